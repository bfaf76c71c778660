"""Generate a realistic study population, for benchmarks and scaling measurements.

    manage.py seed_population --students 1000 --questions 200 --days 365 --seed 1

What it makes (every name starts with --prefix, default "bench"):

- a class course of N students x Q questions (questions cloned from the baclofen bank,
  loaded first if missing: real prompts, choices, explanations and cited passages), an
  instructor who teaches it, and two quizzes (a midterm and a final) with attempts and
  responses;
- a year (--days) of study history per student: cards introduced 20 a day, learning steps,
  reviews at FSRS intervals, forgetting drawn from FSRS retrievability, lapses, late and
  skipped days, students who drop out and students who joined this week;
- a heavy student: one deck of --heavy-cards cards and about --heavy-reviews reviews;
- a light student: --light-cards cards and no history.

The histories follow the FSRS formulas (default parameters of the `fsrs` package, desired
retention 0.9) but are simulated here, not produced by the scheduler (without fuzz or the
exact learning-step rules), so `verify_reviews` would not replay them: they are for load,
not for auditing.

Seeded and reproducible: the same --seed and --now give the same rows (ids aside). Rows go
in with bulk inserts, student by student in batches, so memory stays bounded at any size.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsrs
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import DateTimeField, JSONField, Max, UUIDField

from cards.core import grading, scheduling
from cards.interop import json_bank
from cards.models import (
    Attempt,
    Card,
    Choice,
    Course,
    Deck,
    Enrollment,
    Passage,
    Profile,
    Question,
    Quiz,
    Response,
    ReviewLog,
    Source,
)
from cards.services.accounts import make_instructor
from cards.services.banks import load_bank

BANK = Path(settings.BASE_DIR) / "fixtures" / "baclofen" / "bank.json"
PASSWORD = "bench-password-123"  # noqa: S105  # nosec B105 - every generated account shares it (documented)
TIMEZONES = [
    ("UTC", 0),
    ("Europe/London", 0),
    ("Europe/Paris", 1),
    ("America/New_York", -5),
    ("America/Los_Angeles", -8),
    ("Asia/Kolkata", 5),
    ("Australia/Sydney", 10),
]
NEW_PER_DAY = 20
SIBLINGS = 3  # questions citing one passage in the generated decks (siblings, buried together)
BATCH_STUDENTS = 10
INSERT_BATCH = 5000

W = fsrs.scheduler.DEFAULT_PARAMETERS
DECAY = scheduling.FSRS_DECAY
FACTOR = scheduling.FSRS_FACTOR
DAY = timedelta(days=1)


def _retrievability(elapsed_days: float, stability: float) -> float:
    return (1 + FACTOR * max(0.0, elapsed_days) / stability) ** DECAY


def _initial_difficulty(rating: int) -> float:
    return min(10.0, max(1.0, W[4] - math.exp(W[5] * (rating - 1)) + 1))


def _next_difficulty(d: float, rating: int) -> float:
    delta = -W[6] * (rating - 3)
    d2 = d + (10.0 - d) * delta / 9.0
    easy = W[4] - math.exp(W[5] * 3) + 1
    return min(10.0, max(1.0, W[7] * easy + (1 - W[7]) * d2))


def _recall_stability(d: float, s: float, r: float, rating: int) -> float:
    hard = W[15] if rating == 2 else 1
    easy = W[16] if rating == 4 else 1
    return s * (1 + math.exp(W[8]) * (11 - d) * s ** -W[9] * (math.exp((1 - r) * W[10]) - 1) * hard * easy)


def _forget_stability(d: float, s: float, r: float) -> float:
    long_term = W[11] * d ** -W[12] * ((s + 1) ** W[13] - 1) * math.exp((1 - r) * W[14])
    return max(0.01, min(long_term, s / math.exp(W[17] * W[18])))


def _short_term(s: float, rating: int) -> float:
    grow = math.exp(W[17] * (rating - 3 + W[18])) * s ** -W[19]
    return max(0.01, s * (max(grow, 1.0) if rating > 1 else grow))


@dataclass
class Learner:
    """How one simulated student studies."""

    tz: str
    hour: float  # usual study time, UTC hours
    ability: float  # > 1 remembers better than FSRS predicts, < 1 worse
    diligence: float  # chance of studying on a given day
    start: datetime
    stop: datetime  # dropped out (or now)


@dataclass
class CardHistory:
    question: int
    cloze: int
    events: list = field(default_factory=list)  # (reviewed_at, rating, state before, after (JSON), was new)
    final: dict | None = None


class Simulator:
    """FSRS-shaped histories: one card at a time, events in time order."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now

    def _state(self, **kw) -> dict:
        return kw

    def _study_time(self, learner: Learner, day: datetime) -> datetime:
        midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
        hour = (learner.hour + self.rng.gauss(0, 1.2)) % 24
        return midnight + timedelta(hours=hour, microseconds=self.rng.randrange(60_000_000))

    def _next_session(self, learner: Learner, due: datetime) -> datetime:
        """When the learner next sits down at or after `due` (review cards count for the day)."""
        day = due
        while self.rng.random() > learner.diligence:
            day += DAY
        moment = self._study_time(learner, day)
        if moment < due - timedelta(hours=20):
            moment += DAY
        return moment

    def history(self, learner: Learner, introduced: datetime, created: datetime, qid: int, cloze: int):
        rng = self.rng
        h = CardHistory(question=qid, cloze=cloze)
        state = {
            "state": 1,
            "step": 0,
            "stability": None,
            "difficulty": None,
            "due": created,
            "last_review": None,
            "reps": 0,
            "lapses": 0,
        }
        text = state_text(state)
        t = introduced
        end = min(self.now, learner.stop)
        while t < end:
            s, d = state["stability"], state["difficulty"]
            if state["last_review"] is None:
                p = min(0.97, 0.72 * learner.ability)
                roll = rng.random()
                rating = 1 if roll > p else (4 if roll < 0.06 else (2 if roll < 0.1 else 3))
                s, d = W[rating - 1], _initial_difficulty(rating)
            else:
                elapsed = (t - state["last_review"]).total_seconds() / 86400
                r = _retrievability(elapsed, s)
                if state["state"] == 2:
                    recalled = rng.random() < r ** (1 / learner.ability)
                else:  # a step minutes after the last one: short-term memory is strong
                    recalled = rng.random() < min(0.97, 0.9 * learner.ability)
                roll = rng.random()
                rating = 1 if not recalled else (2 if roll < 0.04 else (4 if roll > 0.94 else 3))
                if state["state"] == 2:
                    s = _recall_stability(d, s, r, rating) if rating > 1 else _forget_stability(d, s, r)
                else:
                    s = _short_term(s, rating)
                d = _next_difficulty(d, rating)
            before_text, was_new = text, state["reps"] == 0
            lapses = state["lapses"] + (1 if state["state"] == 2 and rating == 1 else 0)
            if state["state"] == 2 and rating > 1:
                new_state, step, due = 2, None, t + timedelta(days=max(1, round(s)))
            elif state["state"] == 2:  # forgot: relearn for 10 minutes
                new_state, step, due = 3, 0, t + timedelta(minutes=10)
            elif rating == 1:
                new_state, step = state["state"], 0
                due = t + timedelta(minutes=1 if state["state"] == 1 else 10)
            elif rating == 4 or (state["step"] or 0) + 1 >= (2 if state["state"] == 1 else 1):
                new_state, step, due = 2, None, t + timedelta(days=max(1, round(s)))
            else:
                new_state, step, due = state["state"], (state["step"] or 0) + 1, t + timedelta(minutes=10)
            state = {
                "state": new_state,
                "step": step,
                "stability": s,
                "difficulty": d,
                "due": due,
                "last_review": t,
                "reps": state["reps"] + 1,
                "lapses": lapses,
            }
            text = state_text(state)  # each state is written twice (after, then before): once here
            h.events.append((t, rating, before_text, text, was_new))
            # A review comes back on a later study day; a step comes back minutes later.
            t = self._next_session(learner, due) if new_state == 2 else due + timedelta(seconds=rng.uniform(5, 240))
        h.final = state
        return h


def _json_number(value) -> str:
    return "null" if value is None else repr(float(value))


def _json_moment(value) -> str:
    return "null" if value is None else f'"{value.isoformat()}"'


def state_text(state: dict) -> str:
    """json.dumps(CardState.to_json()) for a state dict, written out: three times faster."""
    return (
        f'{{"state": {state["state"]}, "step": {"null" if state["step"] is None else state["step"]}, '
        f'"stability": {_json_number(state["stability"])}, "difficulty": {_json_number(state["difficulty"])}, '
        f'"due": {_json_moment(state["due"])}, "last_review": {_json_moment(state["last_review"])}, '
        f'"reps": {state["reps"]}, "lapses": {state["lapses"]}}}'
    )


def db_moment():
    """An aware UTC datetime as the driver takes it (SQLite stores naive UTC text)."""
    if connection.vendor == "sqlite":
        return lambda v: None if v is None else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return lambda v: v


def db_uuid():
    return (lambda v: v) if connection.features.has_native_uuid_field else (lambda v: v.hex)


_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4_hex(rng: random.Random) -> str:
    """A version-4 UUID from the seeded generator, as 32 hex digits (both databases take it)."""
    return f"{(rng.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"


def _converter(field):
    """How a value of this field goes to the database driver, decided once per field."""
    if isinstance(field, JSONField):
        return lambda v: None if v is None else json.dumps(v)
    if isinstance(field, UUIDField):
        return db_uuid()
    if isinstance(field, DateTimeField):
        return db_moment()
    return lambda v: v


def insert_rows(model, attnames: list[str], rows) -> int:
    """Insert rows (tuples of driver-ready values, in `attnames` order) in bulk: COPY on
    PostgreSQL, one prepared INSERT run by executemany elsewhere.

    Not bulk_create: here it wrote ~7,000 review-log rows/s on SQLite (999 parameters per
    statement is 66 rows per INSERT, each compiled anew, plus a model instance per row),
    which makes a class of a few million reviews take ten minutes instead of one."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(by_name[name].column) for name in attnames)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(attnames))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608  # nosec B608 - model names
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= INSERT_BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def fast_insert(model, objs: list) -> int:
    """Model instances (primary keys set) through `insert_rows`."""
    convert = [(f.attname, _converter(f)) for f in model._meta.concrete_fields]
    names = [name for name, _ in convert]
    return insert_rows(model, names, ([conv(getattr(o, name)) for name, conv in convert] for o in objs))


LOG_COLUMNS = [
    "user_id",
    "card_id",
    "kind",
    "review_id",
    "question_revision",
    "rating",
    "answer",
    "correct",
    "score",
    "response_ms",
    "was_new",
    "reviewed_at",
    "state_before",
    "state_after",
]


class Progress:
    """A one-line progress bar on stderr (one line per 10% when not a terminal)."""

    def __init__(self, total: int, label: str, enabled: bool = True):
        self.total, self.label, self.enabled = max(1, total), label, enabled
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.last_decile = -1

    def update(self, done: int, extra: str = "") -> None:
        if not self.enabled:
            return
        share = min(1.0, done / self.total)
        bar = "#" * int(share * 30) + "-" * (30 - int(share * 30))
        line = f"{self.label} [{bar}] {share:4.0%} {done}/{self.total} {extra} {time.monotonic() - self.started:5.1f}s"
        if self.tty:
            sys.stderr.write("\r" + line)
            if done >= self.total:
                sys.stderr.write("\n")
        elif int(share * 10) != self.last_decile:
            self.last_decile = int(share * 10)
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


class Command(BaseCommand):
    help = "Generate a seeded, realistic population (students, cards, a year of reviews) with bulk inserts."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=1000)
        parser.add_argument("--questions", type=int, default=200)
        parser.add_argument("--days", type=int, default=365, help="Length of the class's history.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--heavy-cards", type=int, default=10_000)
        parser.add_argument("--heavy-reviews", type=int, default=100_000, help="About this many (simulated).")
        parser.add_argument("--light-cards", type=int, default=10)
        parser.add_argument("--prefix", default="bench")
        parser.add_argument("--now", help="ISO datetime the histories end at (default: now, to the minute).")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opt):
        self.rng = random.Random(opt["seed"])  # nosec B311 - seeded test data, not secrets
        self.prefix = opt["prefix"]
        self.progress = not opt["no_progress"]
        now = datetime.fromisoformat(opt["now"]) if opt["now"] else datetime.now(UTC).replace(second=0, microsecond=0)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self.now = now.astimezone(UTC)
        self.sim = Simulator(self.rng, self.now)
        self.db_moment = db_moment()
        if Deck.objects.filter(slug__startswith=f"{self.prefix}-").exists():
            raise CommandError(f"a population with prefix {self.prefix!r} exists: use a fresh database or --prefix")
        started = time.monotonic()
        self.templates = self._templates()
        self.password = make_password(PASSWORD)
        teacher = self._users([f"{self.prefix}-teacher"], [("UTC", 0)])[0]
        make_instructor(teacher)

        class_deck = self._deck("class", "Bench class deck", opt["questions"], teacher)
        course = self._course("Bench class", class_deck, teacher)
        names = [f"{self.prefix}-s{i:05d}" for i in range(opt["students"])]
        zones = [self.rng.choice(TIMEZONES) for _ in names]
        reviews = self._class_histories(course, class_deck, names, zones, days=opt["days"])
        responses = self._quizzes(course, class_deck, teacher, days=opt["days"])

        heavy_deck = self._deck("heavy", "Bench heavy deck", None, teacher, cards=opt["heavy_cards"])
        heavy_course = self._course("Bench heavy", heavy_deck, teacher)
        heavy_reviews = self._heavy(heavy_course, heavy_deck, opt["heavy_cards"], opt["heavy_reviews"])

        light_deck = self._deck("light", "Bench light deck", None, teacher, cards=opt["light_cards"])
        light_course = self._course("Bench light", light_deck, teacher)
        light = self._users([f"{self.prefix}-light"], [("UTC", 0)])[0]
        Enrollment.objects.bulk_create([Enrollment(user=light, course=light_course)])  # cards made below
        self._cards_and_logs([(light, light_course, light_deck, [], None)])

        self.stdout.write(
            f"seeded {opt['students']} students x {class_deck.questions.count()} questions "
            f"({reviews:,} reviews, {responses:,} quiz responses), a heavy student "
            f"({Card.objects.filter(deck=heavy_deck).count():,} cards, {heavy_reviews:,} reviews) and a light "
            f"student ({opt['light_cards']} cards) in {time.monotonic() - started:.1f}s; password {PASSWORD!r}"
        )

    # --- content ------------------------------------------------------------------------

    def _templates(self) -> list[tuple[Question, list[Choice]]]:
        source = Deck.objects.filter(slug="baclofen").first()
        if source is None:
            load_bank(data=json_bank.loads(BANK.read_text(encoding="utf-8"), name=str(BANK)))
            source = Deck.objects.get(slug="baclofen")
        questions = list(source.questions.filter(status=Question.Status.PUBLISHED).order_by("uid"))
        choices: dict[int, list[Choice]] = {}
        for c in Choice.objects.filter(question__in=questions).order_by("question_id", "order", "id"):
            choices.setdefault(c.question_id, []).append(c)
        # A fixed shuffle of the bank, dealt kind by kind, so even a deck of ten questions
        # mixes every kind (and most topics).
        self.rng.shuffle(questions)
        by_kind: dict[str, list[Question]] = {}
        for q in questions:
            by_kind.setdefault(q.kind, []).append(q)
        dealt = []
        while any(by_kind.values()):
            for kind in sorted(by_kind):
                if by_kind[kind]:
                    dealt.append(by_kind[kind].pop())
        return [(q, choices.get(q.pk, [])) for q in dealt]

    def _deck(self, name: str, title: str, questions: int | None, owner, *, cards: int | None = None) -> Deck:
        """A deck of `questions` questions, or of questions making exactly `cards` cards."""
        deck = Deck.objects.create(slug=f"{self.prefix}-{name}", title=title, owner=owner)
        passages = self._sibling_passages(name, owner)
        made, n_cards, rows = 0, 0, []
        i = 0
        while (questions is not None and made < questions) or (cards is not None and n_cards < cards):
            template, _choices = self.templates[i % len(self.templates)]
            i += 1
            count = template.card_count if template.kind == "cloze" else 1
            if cards is not None and n_cards + count > cards:
                continue
            rows.append(
                Question(
                    deck=deck,
                    uid=f"{self.prefix}-{name}-{made:05d}",
                    kind=template.kind,
                    prompt=template.prompt,
                    back=template.back,
                    answers=template.answers,
                    explanation=template.explanation,
                    topic_id=template.topic_id,
                    tags=template.tags,
                    status=Question.Status.PUBLISHED,
                    card_count=template.card_count,
                    passage_id=passages(made, template.passage_id),
                    quote=template.quote,
                    cited_text=template.cited_text,
                    revision=1,
                )
            )
            made += 1
            n_cards += count
        Question.objects.bulk_create(rows, batch_size=1000)
        by_uid = {t.prompt + "\x00" + t.kind: c for t, c in self.templates}
        new_choices = [
            Choice(question=q, text=c.text, correct=c.correct, feedback=c.feedback, order=c.order)
            for q in Question.objects.filter(deck=deck).order_by("uid")
            for c in by_uid.get(q.prompt + "\x00" + q.kind, [])
        ]
        Choice.objects.bulk_create(new_choices, batch_size=2000)
        return deck

    def _sibling_passages(self, name: str, owner):
        """Which passage the `made`-th question of a deck cites: a copy of its template's
        passage shared by SIBLINGS questions in a row. The bank's 95 questions cite 11
        passages; cloned as they are into a deck of 200, every question would have ~18
        siblings, and burying siblings (on by default) would leave a student 11 cards a day:
        a bank of that shape is no population to time a study loop on. Groups of three are
        Anki's notes of a few cards each; burying still runs on every answer."""
        source = Source.objects.create(
            slug=f"{self.prefix}-{name}", title=f"Bench {name} material", text="", owner=owner
        )
        originals = Passage.objects.in_bulk([t.passage_id for t, _ in self.templates if t.passage_id])
        made_for: dict[int, int] = {}

        def passage_for(made: int, template_passage: int | None) -> int | None:
            if template_passage is None:
                return None
            group = made // SIBLINGS
            if group not in made_for:
                original = originals[template_passage]
                made_for[group] = Passage.objects.create(
                    source=source,
                    key=f"{original.key}-{group}",
                    text=original.text,
                    order=group,
                    heading=original.heading,
                ).pk
            return made_for[group]

        return passage_for

    def _course(self, title: str, deck: Deck, teacher) -> Course:
        course = Course.objects.create(title=title, owner=teacher, join_code=f"{self.prefix[:4].upper()}{deck.pk:06d}")
        course.instructors.add(teacher)
        course.decks.add(deck)
        return course

    def _users(self, names: list[str], zones: list[tuple[str, int]]):
        User = get_user_model()
        User.objects.bulk_create(
            [User(username=n, email=f"{n}@example.org", password=self.password) for n in names], batch_size=1000
        )
        users = list(User.objects.filter(username__in=names).order_by("username"))
        by_name = {u.username: u for u in users}
        Profile.objects.bulk_create(
            [Profile(user=by_name[n], timezone=z[0]) for n, z in zip(names, zones, strict=True)], batch_size=1000
        )
        return [by_name[n] for n in names]

    def _question_keys(self, deck: Deck) -> list[dict]:
        """What a right and a wrong answer look like for each card of the deck."""
        choices: dict[int, list[tuple[int, bool]]] = {}
        for qid, cid, correct in (
            Choice.objects.filter(question__deck=deck)
            .order_by("order", "id")
            .values_list("question_id", "id", "correct")
        ):
            choices.setdefault(qid, []).append((cid, correct))
        keys = []
        for q in Question.objects.filter(deck=deck).order_by("uid"):
            clozes = range(1, q.card_count + 1) if q.kind == "cloze" else (0,)
            deletions = grading.cloze_deletions(q.prompt) if q.kind == "cloze" else {}
            for cloze in clozes:
                right = [c for c, ok in choices.get(q.pk, []) if ok]
                wrong = [c for c, ok in choices.get(q.pk, []) if not ok]
                text = deletions.get(cloze, ("",))[0] if q.kind == "cloze" else (q.answers or [""])[0]
                keys.append({"id": q.pk, "kind": q.kind, "cloze": cloze, "right": right, "wrong": wrong, "text": text})
        for key in keys:  # the answer a right and a wrong review stores, as JSON once
            key["answer_texts"] = tuple(json.dumps(self._answer(key, rating)[0]) for rating in (3, 1))
        return keys

    def _answer(self, key: dict, rating: int) -> tuple[dict, bool, float]:
        ok = rating > 1
        kind = key["kind"]
        if kind == "flashcard":
            return {"rating": rating}, ok, 1.0 if ok else 0.0
        if kind == "multiple":
            picked = key["right"] if ok else key["wrong"][:1]
            return {"choices": picked}, ok, 1.0 if ok else 0.0
        if kind in ("single", "truefalse"):
            options = key["right"] if ok else (key["wrong"] or key["right"])
            return {"choice": options[0]}, ok, 1.0 if ok else 0.0
        return {"text": key["text"] if ok else "not sure"}, ok, 1.0 if ok else 0.0

    # --- histories ----------------------------------------------------------------------

    def _learner(self, tz_offset: int, start: datetime, dropout: bool) -> Learner:
        rng = self.rng
        stop = self.now
        if dropout:
            stop = start + timedelta(days=rng.uniform(7, max(8.0, (self.now - start).days)))
        local_hour = rng.choice([7.5, 12.5, 17, 19, 20.5, 21.5, 22.5])
        return Learner(
            tz="",
            hour=(local_hour - tz_offset) % 24,
            ability=min(1.6, max(0.6, rng.gauss(1.0, 0.18))),
            diligence=min(0.98, max(0.25, rng.gauss(0.75, 0.15))),
            start=start,
            stop=stop,
        )

    def _schedule(self, learner: Learner, keys: list[dict], per_day: int) -> list[datetime | None]:
        """When each card is first studied: `per_day` new cards on each study day."""
        intro: list[datetime | None] = []
        day = learner.start
        while len(intro) < len(keys):
            if day >= min(self.now, learner.stop):
                intro += [None] * (len(keys) - len(intro))
                break
            if self.rng.random() < learner.diligence:
                moment = self.sim._study_time(learner, day)
                for j in range(min(per_day, len(keys) - len(intro))):
                    intro.append(moment + timedelta(seconds=40 * j))
            day += DAY
        return intro

    def _class_histories(self, course: Course, deck: Deck, names: list[str], zones, *, days: int) -> int:
        keys = self._question_keys(deck)
        progress = Progress(len(names), "students", self.progress)
        total = 0
        for first in range(0, len(names), BATCH_STUDENTS):
            chunk = slice(first, first + BATCH_STUDENTS)
            users = self._users(names[chunk], zones[chunk])
            Enrollment.objects.bulk_create([Enrollment(user=u, course=course) for u in users])
            plans = []
            for user, (_tz, offset) in zip(users, zones[chunk], strict=True):
                roll = self.rng.random()
                if roll < 0.08:  # joined this week
                    start = self.now - timedelta(days=self.rng.uniform(0, 6))
                else:
                    start = self.now - timedelta(days=days) + timedelta(days=self.rng.uniform(0, 21))
                learner = self._learner(offset, start, dropout=0.08 <= roll < 0.2)
                plans.append((user, course, deck, keys, learner))
            total += self._cards_and_logs(plans)
            progress.update(min(len(names), first + BATCH_STUDENTS), f"{total:,} reviews")
        return total

    def _heavy(self, course: Course, deck: Deck, cards: int, target: int) -> int:
        user = self._users([f"{self.prefix}-heavy"], [("UTC", 0)])[0]
        # bulk_create: no post_save, so the enrolment's cards are this generator's, with their history
        Enrollment.objects.bulk_create([Enrollment(user=user, course=course)])
        keys = self._question_keys(deck)
        # Long enough, at this pace, for about `target` reviews (about 10 per card a year).
        per_day = max(NEW_PER_DAY, math.ceil(cards / 300))
        days = max(30, round(365 * target / max(1, cards) / 10))
        learner = Learner(
            tz="UTC", hour=19, ability=1.05, diligence=0.92, start=self.now - timedelta(days=days), stop=self.now
        )
        return self._cards_and_logs([(user, course, deck, keys, learner)], per_day=per_day)

    def _cards_and_logs(self, plans, *, per_day: int = NEW_PER_DAY) -> int:
        """Cards in their final state plus their review logs, for each (user, course, deck, keys, learner)."""
        made = 0
        with transaction.atomic():
            next_id = (Card.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            cards, logs = [], []
            for user, course, deck, keys, learner in plans:
                if learner is None:  # no history: new cards, due now
                    for k in self._question_keys(deck):
                        cards.append(
                            Card(
                                id=next_id,
                                user=user,
                                question_id=k["id"],
                                deck=deck,
                                course=course,
                                cloze=k["cloze"],
                                due=self.now,
                                created_at=self.now,
                            )
                        )
                        next_id += 1
                    continue
                intro = self._schedule(learner, keys, per_day)
                for key, first in zip(keys, intro, strict=True):
                    h = self.sim.history(learner, first, learner.start, key["id"], key["cloze"]) if first else None
                    st = h.final if h else {}
                    cards.append(
                        Card(
                            id=next_id,
                            user=user,
                            question_id=key["id"],
                            deck=deck,
                            course=course,
                            cloze=key["cloze"],
                            state=st.get("state", 1),
                            step=st.get("step", 0),
                            stability=st.get("stability"),
                            difficulty=st.get("difficulty"),
                            due=st.get("due", learner.start),
                            last_review=st.get("last_review"),
                            reps=st.get("reps", 0),
                            lapses=st.get("lapses", 0),
                            created_at=learner.start,
                        )
                    )
                    if h is not None:
                        logs.extend(self._logs(user.pk, next_id, key, h))
                    next_id += 1
            fast_insert(Card, cards)
            made += insert_rows(ReviewLog, LOG_COLUMNS, logs)
        return made

    def _logs(self, user_id: int, card_id: int, key: dict, h: CardHistory):
        """Review-log rows (LOG_COLUMNS order, driver-ready) of one card's history."""
        rng, moment = self.rng, self.db_moment
        right, wrong = key["answer_texts"]
        for at, rating, before, after, was_new in h.events:
            ok = rating > 1
            yield (
                user_id,
                card_id,
                "review",
                uuid4_hex(rng),
                1,
                rating,
                right if ok else wrong,
                ok,
                1.0 if ok else 0.0,
                int(min(600_000, rng.lognormvariate(8.7, 0.6))),
                was_new,
                moment(at),
                before,
                after,
            )

    # --- quizzes ------------------------------------------------------------------------

    def _quizzes(self, course: Course, deck: Deck, teacher, *, days: int) -> int:
        """A midterm and a final: 20 questions each, taken by most students."""
        keys = [k for k in self._question_keys(deck) if k["cloze"] <= 1]
        students = list(Enrollment.objects.filter(course=course).order_by("user_id").values_list("user_id", flat=True))
        made = 0
        for title, fraction in (("Midterm", 0.4), ("Final", 0.85)):
            when = self.now - timedelta(days=days * (1 - fraction))
            quiz = Quiz.objects.create(
                course=course, title=f"{title} (bench)", created_by=teacher, num_questions=20, opens_at=when
            )
            picked = self.rng.sample(keys, min(20, len(keys)))
            quiz.questions.add(*{k["id"] for k in picked})
            attempts, responses = [], []
            for user_id in students:
                if self.rng.random() >= 0.85:
                    continue
                ability = self.rng.gauss(0.7, 0.15)
                attempt = Attempt(
                    quiz=quiz,
                    user_id=user_id,
                    status=Attempt.Status.SUBMITTED,
                    started_at=when,
                    submitted_at=when + timedelta(minutes=25),
                    question_ids=[k["id"] for k in picked],
                    max_score=float(len(picked)),
                    score=0.0,
                )
                attempts.append(attempt)
                for k in picked:
                    answer, correct, score = self._answer(k, 3 if self.rng.random() < ability else 1)
                    attempt.score += score
                    at = when + timedelta(seconds=self.rng.uniform(10, 1400))
                    responses.append(
                        Response(
                            attempt=attempt,
                            question_id=k["id"],
                            question_revision=1,
                            answer=answer,
                            correct=correct,
                            score=score,
                            first_answered_at=at,
                            answered_at=at,
                        )
                    )
            Attempt.objects.bulk_create(attempts, batch_size=1000)
            for r in responses:
                r.attempt_id = r.attempt.pk
            Response.objects.bulk_create(responses, batch_size=INSERT_BATCH)
            made += len(responses)
        return made
