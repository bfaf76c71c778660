"""The product's pages are Jinja2 templates only (quizapp/templating.py): each one parses, and
none keeps a Django tag, which Jinja2 would reject or, inside a comment-like `{# ... %}`,
print on the page."""

import re
from pathlib import Path

import pytest
from django.template import engines

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    path.relative_to(folder).as_posix()
    for folder in (ROOT / "quizapp" / "jinja2", ROOT / "cards" / "jinja2")
    for path in folder.rglob("*")
    if path.suffix in (".html", ".jinja")
)
DJANGO_ONLY = re.compile(
    r"\{% *(load|url|csrf_token|static|empty|cache|comment|widthratio|partialdef|localize)\b"
    r"|forloop\.|\{% *include \S+ with |\|\w+:"  # Django's `with` includes and `|filter:arg`
)


def test_the_templates_are_found():
    assert "layout.jinja" in TEMPLATES and "cards/student/home.html" in TEMPLATES
    assert "registration/password_reset_email.html" in TEMPLATES


def test_no_django_engine_template_is_left():
    assert not list((ROOT / "quizapp" / "templates").rglob("*.html"))
    assert not list((ROOT / "cards" / "templates").rglob("*.html"))


@pytest.mark.parametrize("name", TEMPLATES)
def test_each_template_parses_and_keeps_no_django_tag(name):
    env = engines["jinja2"].env
    source = env.loader.get_source(env, name)[0]
    env.parse(source)
    assert DJANGO_ONLY.findall(source) == [], name
