"""Measurements in this process (Django test client): queries per request, flat cost, the
answer's cost, the class-scale pages and their plans."""

from __future__ import annotations

import hashlib
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from tests.bench.common import BLOCK_SIZE, LOAD_STUDENTS, POOL, PYTHON, ROOT, SECRET, SEED

# --- Django, in this process ------------------------------------------------------------------


def server_env(db_url: str, *, hosts: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
        "DATABASE_URL": db_url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": hosts,
        # Plain HTTP on loopback: TLS and its redirect belong to the proxy in front.
        "SECURE_SSL_REDIRECT": "0",
        # Answers are limited per user; the bench answers far faster than a person.
        "THROTTLE_ANSWER": "1000000/min",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def setup_django(db_url: str) -> None:
    os.environ.update(server_env(db_url, hosts="127.0.0.1,testserver"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def collectstatic() -> None:
    # DEBUG=0 serves fingerprinted files from STATIC_ROOT (whitenoise's manifest).
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=server_env(os.environ["DATABASE_URL"], hosts="127.0.0.1"),
        check=True,
    )


def bench_people():
    """Who the scenarios act as: the class students with the most to study now (tokens and
    sessions made here, in the bench database), the light and heavy students, the teacher."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.db.models import Count, Q
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from cards.accounts.sessions import SessionStore
    from cards.models import Card, Course, Deck, Topic, UserSession

    User = get_user_model()
    now = timezone.now()
    course = Course.objects.get(title="Bench class")
    deck = Deck.objects.get(slug="bench-class")
    ranked = list(
        User.objects.filter(username__startswith="bench-s")
        .annotate(
            ready=Count(
                "cards",
                filter=Q(cards__last_review__isnull=False, cards__due__lte=now + timedelta(hours=12))
                | Q(cards__last_review__isnull=True),
            )
        )
        .order_by("-ready", "username")[: max(POOL, LOAD_STUDENTS * 2)]
    )
    Token.objects.filter(user__in=ranked).delete()
    tokens = [Token(key=hashlib.sha1(f"{u.username}:{SEED}".encode()).hexdigest(), user=u) for u in ranked]  # noqa: S324
    Token.objects.bulk_create(tokens)
    sessions = []
    backend = "cards.accounts.backend.ModelBackend"
    for user in ranked:
        store = SessionStore()
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash()}
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{user.username}").hex
        expiry = now + timedelta(days=1)
        sessions.append(UserSession(session_key=key, session_data=store.encode(data), expire_date=expiry, user=user))
    UserSession.objects.filter(session_key__in=[s.session_key for s in sessions]).delete()
    UserSession.objects.bulk_create(sessions)
    rows = [f"{t.key} {s.session_key} {course.pk} {deck.pk}" for t, s in zip(tokens, sessions, strict=True)]
    heavy = User.objects.get(username="bench-heavy")
    light = User.objects.get(username="bench-light")
    typical = (
        User.objects.filter(username__startswith="bench-s")
        .annotate(n=Count("review_logs"))
        .order_by("n", "username")
        .values_list("username", "n")
    )
    typical_list = list(typical)
    median_name, median_reviews = typical_list[len(typical_list) // 2]
    return {
        "course": course,
        "deck": deck,
        "rows": rows,
        "ranked": ranked,
        "tokens": {t.user_id: t.key for t in tokens},
        "heavy": heavy,
        "light": light,
        "typical": User.objects.get(username=median_name),
        "typical_reviews": median_reviews,
        "teacher": User.objects.get(username="bench-teacher"),
        "topic": Topic.objects.order_by("pk").first(),
        "heavy_cards": Card.objects.filter(user=heavy).count(),
        "heavy_reviews": heavy.review_logs.count(),
        "light_cards": Card.objects.filter(user=light).count(),
        "light_reviews": light.review_logs.count(),
    }


# --- in-process measurements ------------------------------------------------------------------


def timeit(fn, *, number: int, repeat: int = 5) -> float:
    """Seconds per call: the best of `repeat` means over `number` calls (as timeit does)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - started) / number)
    return best


def count_queries(fn) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


@contextmanager
def rolled_back():
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def api_client(token: str):
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def session_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def form_payload(html: str) -> dict:
    def field(name):
        found = re.search(rf'name="{name}" value="([^"]*)"', html)
        return found.group(1) if found else None

    kind = field("kind")
    if kind is None:
        card = re.search(r"/reveal/(\d+)/", html).group(1)
        return {"card": card, "kind": "flashcard", "rating": "3", "review_id": str(uuid.uuid4())}
    data = {"card": field("card"), "kind": kind, "reps": field("reps"), "review_id": str(uuid.uuid4())}
    choice = re.search(r'name="(choices?)" value="(\d+)"', html)
    if choice:
        data[choice.group(1)] = choice.group(2)
    else:
        data["text"] = "GABA-B"
    return data


def queries_per_request(people) -> dict:
    """Queries of one request of each scenario, as the server runs it."""
    from django.test import Client

    from tests.answers import api_answer

    student = people["ranked"][0]
    token = people["tokens"][student.pk]
    course, deck = people["course"], people["deck"]
    api = api_client(token)
    html = session_client(student)
    out = {}
    out["reference"], _ = count_queries(lambda: Client().get(f"/bench/reference/{people['topic'].pk}/"))
    out["api-next"], response = count_queries(lambda: api.get(f"/api/v1/study/next/?deck={deck.pk}"))
    payload = api_answer(response.json()["card"])
    with rolled_back():
        n_answer, answered = count_queries(
            lambda: api.post("/api/v1/study/answer/", payload, content_type="application/json")
        )
    assert answered.status_code == 200, answered.content
    out["api-loop"] = (out["api-next"] + n_answer) / 2
    out["api-answer"] = n_answer
    page_url = f"/study/{course.pk}/{deck.pk}/"
    html.get(page_url)
    out["html-next"], page = count_queries(lambda: html.get(page_url))
    form = form_payload(page.content.decode())
    with rolled_back():
        n_post, posted = count_queries(lambda: html.post(f"{page_url}answer/", form))
    assert posted.status_code == 302, posted.status_code
    out["html-loop"] = (out["html-next"] + n_post) / 2
    out["html-answer"] = n_post
    n_panel, panel = count_queries(lambda: html.get(page_url, HTTP_HX_REQUEST="true"))
    form = form_payload(panel.content.decode())
    with rolled_back():
        n_htmx, posted = count_queries(lambda: html.post(f"{page_url}answer/", form, HTTP_HX_REQUEST="true"))
    assert posted.status_code == 200, posted.status_code
    out["htmx-loop"] = (n_panel + n_htmx) / 2
    out["htmx-panel"], out["htmx-answer"] = n_panel, n_htmx
    block_cycle(html, course)  # warm what the block pages remember per process
    steps = block_cycle(html, course)
    out["block-tutor"] = round(sum(sum(n) for n in steps.values()) / sum(len(n) for n in steps.values()), 1)
    out["block-steps"] = {step: max(n) for step, n in steps.items()}
    return out


def block_cycle(client, course, *, size: int = BLOCK_SIZE) -> dict[str, list[int]]:
    """Queries of each request of one tutor block as the block-tutor scenario makes them
    (tests/bench/study.lua), rolled back: {step: [queries of each request of that step]}."""
    steps = {step: [] for step in ("start", "page", "answer", "feedback", "submit", "result")}

    def step(name, fn):
        n, response = count_queries(fn)
        steps[name].append(n)
        assert response.status_code in (200, 302), (name, response.status_code)
        return response

    with rolled_back():
        data = {"course": course.pk, "pool": "all", "size": size, "mode": "tutor"}
        path = step("start", lambda: client.post("/blocks/new/", data))["Location"]
        while 'id="answer-form"' in (page := step("page", lambda: client.get(path)).content.decode()):
            form = {k: v for k, v in form_payload(page).items() if v is not None}
            form["n"] = re.search(r'name="n" value="(\d+)"', page).group(1)
            feedback = step("answer", lambda form=form: client.post(f"{path}answer/", form))["Location"]
            step("feedback", lambda feedback=feedback: client.get(feedback))
        step("submit", lambda: client.post(f"{path}submit/"))
        step("result", lambda: client.get(f"{path}result/"))
    assert len(steps["answer"]) == size, steps
    return steps


def flat_cost(people) -> list[dict]:
    """next and answer for the heavy student (10,000 cards, 100,000 reviews) and the light one
    (10 cards, no history): queries and time per call, on a card of the same kind (the kinds
    cost differently: a flashcard's intervals, a question's choices). The light student's
    other cards are suspended for it inside a transaction rolled back afterwards."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from cards.models import Card
    from tests.answers import api_answer

    rows, kind = [], None
    for who in ("heavy", "light"):
        user = people[who]
        token, _ = Token.objects.get_or_create(user=user)
        client = api_client(token.key)
        deck_id = user.cards.values_list("deck_id", flat=True).first()
        url = f"/api/v1/study/next/?deck={deck_id}"
        with transaction.atomic():
            if kind is not None:
                Card.objects.filter(user=user).exclude(question__kind=kind).update(suspended=True)
            response = client.get(url)
            assert response.status_code == 200, (who, response.status_code)
            kind = response.json()["card"]["kind"]
            n_next, _ = count_queries(lambda url=url, client=client: client.get(url))
            t_next = timeit(lambda url=url, client=client: client.get(url), number=100)
            payload = api_answer(response.json()["card"])

            def answer(client=client, payload=payload):
                with rolled_back():
                    reply = client.post("/api/v1/study/answer/", payload, content_type="application/json")
                assert reply.status_code == 200, reply.content
                return reply

            answer()  # warm the per-process caches (a deck's typed-answer terms) as a running server has them
            n_answer, _ = count_queries(answer)
            t_answer = timeit(answer, number=100)
            transaction.set_rollback(True)
        rows.append(
            {
                "who": who,
                "kind": kind,
                "next_q": n_next,
                "next_ms": t_next * 1000,
                "answer_q": n_answer,
                "answer_ms": t_answer * 1000,
            }
        )
    return rows


def answer_cost(people) -> dict:
    """The service call (grading, FSRS, writes) against the reference view, in-process."""
    from django.test import Client
    from django.utils import timezone

    from cards.models import Card
    from cards.services.study import answer_card

    ref_client = Client()
    ref_url = f"/bench/reference/{people['topic'].pk}/"
    t_ref = timeit(lambda: ref_client.get(ref_url), number=300)
    user = people["light"]
    card = Card.objects.filter(user=user, question__kind="single").select_related("question").first()
    choice = card.question.choices.order_by("id").first()

    def service():
        with rolled_back():
            answer_card(
                user=user, card_id=card.pk, answer={"choice": choice.pk}, review_id=uuid.uuid4(), now=timezone.now()
            )

    t_service = timeit(service, number=200)
    return {"reference_ms": t_ref * 1000, "service_ms": t_service * 1000, "ratio": t_service / t_ref}


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)  # noqa: S608 - our own captured query
            return "\n".join(r[0] for r in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)  # noqa: S608 - our own captured query
        return "\n".join(f"{'  ' * 0}{r[-1]}" for r in cursor.fetchall())


def page_cost(client, url: str, *, runs: int = 15) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return {
        "url": url,
        "ms": statistics.median(times) * 1000,
        "queries": len(ctx.captured_queries),
        "plans": heaviest_plans(ctx.captured_queries),
    }


def heaviest_plans(captured: list, n: int = 4) -> list[dict]:
    """EXPLAIN of the n slowest SELECTs among captured queries."""
    heaviest = sorted(captured, key=lambda q: float(q["time"]), reverse=True)
    return [
        {"ms": float(q["time"]) * 1000, "sql": q["sql"], "plan": explain(q["sql"])}
        for q in heaviest
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ][:n]


def snapshot_refresh(people) -> dict:
    """The class statistics snapshot the analytics page reads: how long recomputing it takes
    (the aggregates over the whole class), with the plans of its heaviest queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cards.services import class_stats

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        stats = class_stats.refresh(people["course"])
        seconds = time.perf_counter() - started
    return {
        "ms": seconds * 1000,
        "queries": len(ctx.captured_queries),
        "students": stats.students,
        "plans": heaviest_plans(ctx.captured_queries),
    }


def class_pages(people) -> dict:
    from django.test import Client

    ref_client = Client()
    ref_url = f"/bench/reference/{people['topic'].pk}/"
    ref_ms = statistics.median(timeit(lambda: ref_client.get(ref_url), number=50, repeat=1) for _ in range(5)) * 1000
    teacher = session_client(people["teacher"])
    refresh = snapshot_refresh(people)
    pages = {
        "analytics": page_cost(teacher, f"/teach/courses/{people['course'].pk}/analytics/"),
        "dashboard (typical student)": page_cost(session_client(people["typical"]), "/dashboard/"),
        "dashboard (heavy student)": page_cost(session_client(people["heavy"]), "/dashboard/"),
    }
    return {"reference_ms": ref_ms, "pages": pages, "refresh": refresh}


def table_sizes() -> list[tuple]:
    from django.db import connection

    from cards.models import ReviewLog

    rows = ReviewLog.objects.count()
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            size = cursor.fetchone()[0]
        return [("cards_reviewlog rows", rows), ("whole database file", pages * size)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size('cards_reviewlog'), pg_indexes_size('cards_reviewlog'),"
            " pg_total_relation_size('cards_reviewlog')"
        )
        heap, indexes, total = cursor.fetchone()
        cursor.execute(
            "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes"
            " WHERE relname = 'cards_reviewlog' ORDER BY 2 DESC"
        )
        per_index = cursor.fetchall()
    return [
        ("cards_reviewlog rows", rows),
        ("table (heap + TOAST)", total - indexes),
        ("heap only", heap),
        ("indexes", indexes),
        ("total", total),
        *[(f"index {name}", size) for name, size in per_index],
    ]
