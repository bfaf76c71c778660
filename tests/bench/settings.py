"""`make bench`'s settings: the product's, with the reference view's URL and template (a
Jinja2 template, as every page of the product is: the first engine, quizapp/templating.py)."""

from pathlib import Path

from quizapp.settings import *  # noqa: F403
from quizapp.settings import TEMPLATES

ROOT_URLCONF = "tests.bench.urls"
jinja2, *others = TEMPLATES
TEMPLATES = [{**jinja2, "DIRS": [*jinja2["DIRS"], Path(__file__).parent / "templates"]}, *others]
