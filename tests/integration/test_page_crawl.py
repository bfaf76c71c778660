"""Every page a user can reach by following links renders, with DEBUG on, without a server
error and without template syntax in its HTML: a `{{ name }}` that Jinja2's debug undefined
printed (the layout's `{{ scripts }}` once leaked above every study page's header this way), a
`{%` or `{#` that a template failed to parse as a tag or comment.

Demo-like data: the baclofen bank and the demo course (seed_demo, with a small class), a student with reviews, a
practice quiz in progress and one submitted, a reported question and class statistics, so that
the pages show their tables and panels rather than their empty states."""

import copy
import re
import uuid
from collections import Counter, deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import Resolver404, resolve, reverse
from django.views import defaults

from cards.models import Card, ClassStats, Course, Deck
from tests.answers import card_answer

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"]*)"')
# Authored cloze deletions ({{c1::baclofen}}) are the bank's text, shown as written in the editor
# and in lists of prompts, where one may be cut short ("{{c…").
CLOZE = re.compile(r"\{\{c\d+::|\{\{(?:c\d*:{0,2})?…")
TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#")
SKIPPED = ("/static/", "/admin/", "/api/", "/accounts/logout/")
SAME_KIND_LIMIT = 3  # pages of one URL pattern (and query keys) visited: every template, not every row


@pytest.fixture
def debug_site():
    """DEBUG on, with the template engines rebuilt under it (they read DEBUG when made)."""
    with override_settings(DEBUG=True, TEMPLATES=copy.deepcopy(settings.TEMPLATES)):
        yield


@pytest.fixture
def demo(db):
    call_command("load_bank", "fixtures/baclofen/bank.json", verbosity=0)
    # A small class (the default 36 students take seconds): pages with the class's data.
    call_command("seed_demo", class_size=3, days=5, stdout=open("/dev/null", "w"))  # noqa: SIM115
    User = get_user_model()
    return {
        "course": Course.objects.get(join_code="BACLOFEN"),
        "deck": Deck.objects.get(slug="baclofen"),
        "student": User.objects.get(username="student1"),
        "instructor": User.objects.get(username="instructor"),
    }


def assert_clean(url: str, response) -> str:
    assert response.status_code < 500, url
    if "html" not in response.get("Content-Type", ""):
        return ""
    html = response.content.decode()
    leaked = TEMPLATE_SYNTAX.search(CLOZE.sub("", html))
    assert leaked is None, (
        f"{url}: template syntax in the page: {html[max(leaked.start() - 80, 0) : leaked.end() + 80]!r}"
    )
    return html


def crawl(client, start: str = "/") -> dict[str, int]:
    """GET every same-origin link from `start` (redirects followed); the status of each URL."""
    seen: dict[str, int] = {}
    kinds: Counter = Counter()
    queue = deque([start])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        parts = urlsplit(url)
        try:
            route = resolve(parts.path).route
        except Resolver404:
            route = parts.path
        kind = (route, tuple(sorted(re.findall(r"([^&=]+)=", parts.query))))
        if kinds[kind] >= SAME_KIND_LIMIT:
            continue
        kinds[kind] += 1
        response = client.get(url)
        seen[url] = response.status_code
        targets = [response["Location"]] if response.status_code in (301, 302, 303) else []
        targets += HREF.findall(assert_clean(url, response).replace("&amp;", "&"))
        for href in targets:
            absolute = urljoin(url, href)
            target = urlsplit(absolute)
            if target.scheme or target.netloc or not target.path.startswith("/"):
                continue  # another site, mailto:, javascript:
            if target.path.startswith(SKIPPED) or target.path.endswith(".csv") or "/export/" in target.path:
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                queue.append(link)
    return seen


def study_some_cards(client, course, deck, count: int = 6) -> list[str]:
    """Answer `count` cards through the study page's forms; where each answer leads (a feedback
    page, or for a rated flashcard the next card)."""
    feedback = []
    for _ in range(count):
        html = client.get(reverse("cards:study_session", args=[course.pk, deck.pk])).content.decode()
        found = re.search(r'name="card" value="(\d+)"', html) or re.search(r"/reveal/(\d+)/", html)
        if found is None:
            break
        card = Card.objects.get(pk=found.group(1))
        data = {"card": card.pk, "kind": card.question.kind, "reps": card.reps, "review_id": str(uuid.uuid4())}
        data.update(card_answer(card))
        response = client.post(reverse("cards:study_answer", args=[course.pk, deck.pk]), data)
        assert response.status_code == 302, response.content[:500]
        feedback.append(response["Location"])
    return feedback


def test_every_page_a_student_reaches_renders_cleanly(demo, debug_site):
    course, deck, student = demo["course"], demo["deck"], demo["student"]
    client = Client()
    client.force_login(student)
    feedback = study_some_cards(client, course, deck)
    assert feedback
    for url in feedback:  # a card's answer feedback
        assert_clean(url, client.get(url))
    first = client.get(next(url for url in feedback if "/reviewed/" in url))
    assert first.status_code == 200 and "Next review in" in first.content.decode()
    # a practice quiz submitted (its result), another in progress (its page)
    for submit in (True, False):
        response = client.post(reverse("cards:practice_start"), {"course": course.pk, "length": 5})
        assert response.status_code == 302
        attempt_url = response["Location"]
        html = assert_clean(attempt_url, client.get(attempt_url))
        if submit:
            attempt_id = resolve(urlsplit(attempt_url).path).kwargs["attempt_id"]
            client.post(reverse("cards:attempt_submit", args=[attempt_id]))
    assert "Submit the quiz" in html
    # a tutor block answered once and submitted (its result), a timed one in progress (its page)
    for mode in ("tutor", "timed"):
        response = client.post(
            reverse("cards:block_new"), {"course": course.pk, "pool": "all", "size": 3, "mode": mode}
        )
        assert response.status_code == 302, response.content[:300]
        block_id = resolve(urlsplit(response["Location"]).path).kwargs["block_id"]
        html = assert_clean(response["Location"], client.get(response["Location"]))
        card = Card.objects.get(pk=re.search(r'name="card" value="(\d+)"', html).group(1))
        answer = {"card": card.pk, "kind": card.question.kind, "n": 1, **card_answer(card)}
        client.post(reverse("cards:block_answer", args=[block_id]), answer)
        if mode == "tutor":
            client.post(reverse("cards:block_submit", args=[block_id]))
    client.post(
        reverse("cards:report_problem", args=[Card.objects.filter(user=student).first().question_id]),
        {"comment": "The key looks wrong."},
    )
    pages = crawl(client)
    study = reverse("cards:study_session", args=[course.pk, deck.pk])
    for expected in (
        "/",
        reverse("cards:study_home"),
        study,
        reverse("cards:dashboard"),
        reverse("cards:quiz_list"),
        reverse("cards:block_list"),
        reverse("cards:block_new"),
        reverse("cards:notes"),
        reverse("cards:preferences"),
        reverse("password_change"),
    ):
        assert expected in pages, sorted(pages)
    assert any("/result/" in url for url in pages) and any(re.search(r"/attempts/\d+/$", url) for url in pages)
    assert any(re.search(r"/blocks/\d+/result/$", url) for url in pages)
    assert any(re.search(r"/blocks/\d+/(\?n=\d+)?$", url) for url in pages)
    assert all(status < 400 for status in pages.values()), {u: s for u, s in pages.items() if s >= 400}


def test_every_page_an_instructor_reaches_renders_cleanly(demo, debug_site):
    course, deck = demo["course"], demo["deck"]
    learner = Client()
    learner.force_login(demo["student"])
    study_some_cards(learner, course, deck)
    learner.post(reverse("cards:practice_start"), {"course": course.pk, "length": 5})
    client = Client()
    client.force_login(demo["instructor"])
    analytics = reverse("cards:course_analytics", args=[course.pk])
    assert "No class statistics yet" not in assert_clean(analytics, client.get(analytics))  # seed_demo's
    ClassStats.objects.filter(course=course).delete()
    assert "No class statistics yet" in assert_clean(analytics, client.get(analytics))
    client.post(reverse("cards:refresh_analytics", args=[course.pk]))
    pages = crawl(client)
    for expected in (
        reverse("cards:teach_home"),
        reverse("cards:course_detail", args=[course.pk]),
        reverse("cards:course_analytics", args=[course.pk]),
        reverse("cards:deck_detail", args=[deck.pk]),
        reverse("cards:deck_coverage", args=[deck.pk]),
        reverse("cards:deck_import", args=[deck.pk]),
        reverse("cards:reports"),
        reverse("cards:course_new"),
        reverse("cards:deck_new"),
    ):
        assert expected in pages, sorted(pages)
    for route in ("question_edit", "question_history", "item_detail", "source_detail", "question_new"):
        assert any(resolve(urlsplit(u).path).url_name == route for u in pages), route
    # The one known dead end: "What the class forgets" links every question to its item
    # analysis, which is 404 for a question no quiz or first-try answer has analysed yet.
    broken = {u: s for u, s in pages.items() if s >= 400 and resolve(urlsplit(u).path).url_name != "item_detail"}
    assert broken == {}
    # the question editor's preview (htmx) and the missing page
    preview = client.post(reverse("cards:question_preview", args=[deck.pk]), {"kind": "single", "prompt": "Which?"})
    assert_clean("preview", preview)


def test_the_anonymous_pages_render_cleanly(demo, debug_site):
    client = Client()
    pages = crawl(client, reverse("login"))
    for expected in (reverse("login"), reverse("signup"), reverse("password_reset")):
        assert expected in pages, sorted(pages)
    assert all(status < 400 for status in pages.values()), pages
    # the reset email, and the page its link opens
    demo["student"].email = "student1@example.com"
    demo["student"].save()
    done = client.post(reverse("password_reset"), {"email": "student1@example.com"}, follow=True)
    assert "Check your email" in assert_clean("password_reset_done", done)
    (message,) = mail.outbox
    assert not TEMPLATE_SYNTAX.search(message.body) and "&#x27;" not in message.body
    link = re.search(r"https?://[^/]+(/\S+)", message.body).group(1)
    confirm = client.get(link, follow=True)
    assert "Choose a new password" in assert_clean(link, confirm)
    assert "This link has expired" in assert_clean("expired", client.get(link.replace("-", "x", 1)))
    assert "Log in" in assert_clean("signup", client.post(reverse("signup"), {"username": ""}))


def test_the_error_pages_render_cleanly(student_client, rf):
    """With DEBUG off (on, Django shows its own): 404 and 403 in the layout, 400 and 500 with
    no context at all (Django renders them without a request's context processors)."""
    missing = student_client.get("/no-such-page/")
    assert missing.status_code == 404 and "Not found" in assert_clean("404", missing)
    assert 'href="/dashboard/">Progress</a>' in missing.content.decode()
    forbidden = student_client.get(reverse("cards:teach_home"))
    assert forbidden.status_code == 403 and "Not allowed" in assert_clean("403", forbidden)
    request = rf.get("/")
    bad = defaults.bad_request(request, Exception())
    assert bad.status_code == 400 and "Bad request" in assert_clean("400", bad)
    broken = defaults.server_error(request)
    assert broken.status_code == 500 and "Something went wrong" in broken.content.decode()
    assert not TEMPLATE_SYNTAX.search(broken.content.decode())
