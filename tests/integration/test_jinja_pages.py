"""The Jinja2 templates (quizapp/templating.py), the one engine of the product's pages: the
layout every page extends and the study panels print what the Django templates printed: one
CSRF token that the forms post back, the nav, the messages, the percentages."""

import re
import uuid

from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.template import Context, Template, engines
from django.test import Client
from django.urls import reverse, set_script_prefix
from hypothesis import given
from hypothesis import strategies as st

from cards.models import Card, ReviewLog
from quizapp.templating import percent, widthratio

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_study_page_masks_one_token_and_its_forms_post_with_it(student, course, deck):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    html = client.get(reverse("cards:study_session", args=[course.pk, deck.pk])).content.decode()
    tokens = TOKEN.findall(html)
    assert len(tokens) >= 2 and len(set(tokens)) == 1  # the logout form and the panel's forms
    assert f'"X-CSRFToken": "{tokens[0]}"' in html  # what htmx sends
    card = Card.objects.get(pk=re.search(r'name="card" value="(\d+)"', html).group(1))
    choice = re.search(r'name="choices?" value="(\d+)"', html)
    form = {
        "card": card.pk,
        "kind": card.question.kind,
        "review_id": str(uuid.uuid4()),
        "csrfmiddlewaretoken": tokens[0],
    }
    form.update({"choice": choice.group(1)} if choice else {"text": "baclofen"})
    response = client.post(reverse("cards:study_answer", args=[course.pk, deck.pk]), form)
    assert response.status_code == 302 and ReviewLog.objects.filter(user=student).count() == 1


def test_a_page_is_drawn_in_the_layout(student_client):
    html = student_client.get(reverse("cards:dashboard")).content.decode()
    assert html.startswith("<!doctype html>") and html.count("<html") == 1
    assert "<title>Progress · quizapp</title>" in html
    assert 'href="/dashboard/">Progress</a>' in html and "Log out" in html and "(alice)" in html
    assert len(TOKEN.findall(html)) == 1 and '"X-CSRFToken": "' in html
    assert '<main id="main" tabindex="-1">' in html and "<h1>Your progress</h1>" in html


def test_messages_show_once_in_the_layout(student_client, course, deck):
    # undoing with nothing to undo says so on the next page, then never again
    student_client.post(reverse("cards:study_undo", args=[course.pk, deck.pk]))
    first = student_client.get(reverse("cards:dashboard")).content.decode()
    assert 'class="msg msg-error"' in first
    assert 'class="msg msg-error"' not in student_client.get(reverse("cards:dashboard")).content.decode()


def test_messages_are_escaped(rf, student):
    request = rf.get("/")
    request.user = student
    storage = CookieStorage(request)
    storage.add(constants.INFO, "<script>alert(1)</script>")
    request._messages = storage
    html = engines["jinja2"].from_string('{% extends "layout.jinja" %}').render({"messages": storage}, request)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


@given(st.one_of(st.none(), st.floats(min_value=0, max_value=1), st.integers(min_value=0, max_value=1)))
def test_percent_prints_what_widthratio_printed(value):
    expected = Template("{% widthratio value 1 100 %}").render(Context({"value": value}))
    assert str(percent(value)) == expected


@given(
    st.one_of(st.none(), st.just("x"), st.floats(allow_nan=False, allow_infinity=False, width=32), st.integers(-5, 50)),
    st.one_of(st.none(), st.just(0), st.floats(min_value=0.5, max_value=100, width=32), st.integers(1, 50)),
)
def test_widthratio_prints_what_the_django_tag_printed(value, max_value):
    expected = Template("{% widthratio value max_value 100 %}").render(
        Context({"value": value, "max_value": max_value})
    )
    assert widthratio(value, max_value, 100) == expected


def test_the_study_pages_links_follow_the_script_prefix(student_client, course, deck):
    path = reverse("cards:study_session", args=[course.pk, deck.pk])
    set_script_prefix("/quizapp/")  # as the WSGI handler does for SCRIPT_NAME=/quizapp
    try:
        mounted = student_client.get(path).content.decode()
    finally:
        set_script_prefix("/")
    assert f'href="/quizapp{reverse("cards:study_home")}"' in mounted
    assert 'action="/quizapp/' in mounted and 'href="/study/' not in mounted
    plain = student_client.get(path).content.decode()
    assert f'href="{reverse("cards:study_home")}"' in plain and "/quizapp/" not in plain
