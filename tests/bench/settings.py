"""`make bench`'s settings: the product's, with the reference view's URL and template."""

from pathlib import Path

from quizapp.settings import *  # noqa: F403
from quizapp.settings import TEMPLATES

ROOT_URLCONF = "tests.bench.urls"
TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], Path(__file__).parent / "templates"]} for engine in TEMPLATES]
