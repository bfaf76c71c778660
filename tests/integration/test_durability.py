"""Durability, with evidence: the review log explains every card (verify_reviews), log rows
cannot be changed through the ORM, and backup -> wipe -> restore gives the same data back."""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.authtoken.models import Token

from cards.core.grading import cloze_deletions
from cards.errors import AnswerRejected
from cards.management.commands.backup import backed_up_models, review_log_digest
from cards.models import Card, Question, ReviewLog, ReviewLogIsAppendOnly
from cards.services.accounts import make_instructor
from cards.services.courses import enroll_student
from cards.services.study import answer_card, rerate_review, undo_last_review
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

START = datetime(2026, 3, 2, 15, 0, 0, 123456, tzinfo=UTC)  # microseconds on purpose: a backup keeps them
KINDS = ("single", "multiple", "truefalse", "short", "cloze", "flashcard")


def answer_for(card: Card, right: bool) -> dict:
    q = card.question
    if q.kind == "flashcard":
        return {"rating": 3 if right else 1}
    if q.kind == "multiple":
        return {"choices": [c.pk for c in q.choices.filter(correct=right)]}
    if q.kind in ("single", "truefalse"):
        return {"choice": q.choices.filter(correct=right).first().pk}
    if q.kind == "short":
        return {"text": q.answers[0] if right else "dopamine"}
    return {"text": cloze_deletions(q.prompt)[card.cloze][0] if right else "sodium"}


def study_pass(user, rng: random.Random) -> list[ReviewLog]:
    """Answer every card of `user` that is due now (80% right); returns the new log rows."""
    logs = []
    for card in Card.objects.filter(user=user).select_related("question").order_by("pk"):
        try:
            outcome = answer_card(
                user=user,
                card_id=card.pk,
                answer=answer_for(card, rng.random() < 0.8),
                review_id=uuid.uuid4(),
                now=timezone.now(),
                response_ms=rng.randint(800, 9000),
            )
        except AnswerRejected as exc:
            if exc.code not in ("not_due", "daily_limit"):
                raise
            continue
        logs.append(outcome.log)
    return logs


def study_days(users, *, days: int, seed: int = 7) -> None:
    """Real answer_card calls over simulated days (learning steps within a day), with an undo
    of a card's very first review, an undo of a later one and a re-rating."""
    saved = random.getstate()
    random.seed(seed)  # fsrs fuzzes with the global random: the same history each run
    try:
        _study_days(users, days=days, rng=random.Random(seed))
    finally:
        random.setstate(saved)


def _study_days(users, *, days: int, rng: random.Random) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for day in range(days):
            for _ in range(3):  # learning steps are 1 and 10 minutes
                for user in users:
                    logs = study_pass(user, rng)
                    if day == 0 and logs:
                        undo_last_review(user=user, now=timezone.now())  # back to a new card
                    if day == 2 and logs:
                        undo_last_review(user=user, now=timezone.now())
                    if day == 1 and logs and users.index(user) == 0:
                        right = [log for log in logs if log.correct and log.rating == 3]
                        if right:
                            latest = right[-1]
                            later = [log for log in logs if log.card_id == latest.card_id and log.pk > latest.pk]
                            if not later:
                                rerate_review(
                                    user=user,
                                    review_id=latest.review_id,
                                    rating=4,
                                    new_review_id=uuid.uuid4(),
                                    now=timezone.now(),
                                )
                traveller.shift(timedelta(minutes=11))
            traveller.shift(timedelta(days=1) - timedelta(minutes=33))


@pytest.fixture
def classroom(db):
    deck = DeckFactory(slug="durability", title="Durability deck")
    for kind in KINDS:
        make_question(deck, kind)
        prompt = "Baclofen is a {{c1::muscle relaxant}} taken {{c2::orally}}." if kind == "cloze" else f"Second {kind}?"
        make_question(deck, kind, prompt=prompt, uid=f"second-{kind}")
    instructor = UserFactory(username="teacher")
    make_instructor(instructor)
    course = CourseFactory(title="Pharmacology 101", owner=instructor, enable_fuzz=True)  # the app's default
    course.instructors.add(instructor)
    course.decks.add(deck)
    students = [UserFactory(username="alice"), UserFactory(username="bob")]
    for student in students:
        enroll_student(user=student, course=course)
    Token.objects.create(user=students[0])
    return {"course": course, "deck": deck, "students": students, "instructor": instructor}


def verify(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_reviews", *args, stdout=out)
    return out.getvalue()


# --- verify_reviews -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_studied_history_verifies_clean(classroom):
    study_days(classroom["students"], days=12)
    logs = ReviewLog.objects.all()
    assert logs.filter(kind="undo").count() >= 3
    undone_first = ReviewLog.objects.filter(kind="undo", undoes__was_new=True)
    assert undone_first.exists(), "a card's very first review was undone"
    rerated = [
        undo
        for undo in logs.filter(kind="undo").select_related("undoes")
        if logs.filter(
            kind="review", card=undo.card_id, pk__gt=undo.pk, rating=4, reviewed_at=undo.undoes.reviewed_at
        ).exists()
    ]
    assert rerated, "a Good answer was re-rated Easy (undo + review at the original time)"
    # the fuzzed branch was exercised: review-state intervals long enough to be fuzzed
    fuzzable = [
        log
        for log in logs.filter(kind="review")
        if log.state_after["state"] == 2
        and datetime.fromisoformat(log.state_after["due"]) - log.reviewed_at >= timedelta(days=3)
    ]
    assert fuzzable
    assert Card.objects.filter(lapses__gt=0).exists()

    out = verify()
    cards = Card.objects.count()
    assert f"checked {cards} cards, 0 mismatches" in out
    assert f"checked {cards // 2} cards, 0 mismatches" in verify("--user", "alice")
    card = Card.objects.filter(reps__gt=0).first()
    assert "checked 1 cards, 0 mismatches" in verify("--card", str(card.pk))


@pytest.mark.django_db
def test_a_tampered_card_is_reported(classroom):
    study_days(classroom["students"], days=4)
    card = Card.objects.filter(user__username="bob", reps__gt=0).select_related("question").first()
    Card.objects.filter(pk=card.pk).update(stability=F("stability") * 2)
    other = Card.objects.filter(user__username="alice", reps__gt=0).first()
    Card.objects.filter(pk=other.pk).update(due=F("due") + timedelta(days=30), lapses=F("lapses") + 1)

    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError, match="2 card"):
        call_command("verify_reviews", stdout=out)
    text = out.getvalue()
    assert f"card {card.pk} (user bob, question {card.question.uid}): stability is {card.stability * 2!r}" in text
    assert f"the log says {card.stability!r}" in text
    assert f"card {other.pk} (user alice, question " in text
    assert "lapses is" in text and "due is" in text
    assert f"checked {Card.objects.count()} cards, 2 mismatches" in text
    # the filters narrow the check
    assert "0 mismatches" in verify("--card", str(Card.objects.exclude(pk__in=[card.pk, other.pk]).first().pk))
    with pytest.raises(CommandError, match="1 card"):
        call_command("verify_reviews", "--user", "bob", stdout=StringIO())


@pytest.mark.django_db
def test_a_reset_by_a_substantive_edit_is_not_a_mismatch(classroom):
    """A substantive edit starts cards over without a log row; verify accepts it because the
    question has a newer revision than the one last reviewed (see docs/reliability.md)."""
    from cards.services.authoring import _reset_cards

    study_days(classroom["students"], days=2)
    card = Card.objects.filter(reps__gt=0).select_related("question").first()
    question = card.question
    with time_machine.travel(START + timedelta(days=30), tick=False):
        Question.objects.filter(pk=question.pk).update(revision=question.revision + 1)
        _reset_cards(question)
        assert "0 mismatches" in verify()
        card.refresh_from_db()
        answer_card(
            user=card.user, card_id=card.pk, answer=answer_for(card, True), review_id=uuid.uuid4(), now=timezone.now()
        )
        assert "0 mismatches" in verify()
    # without a newer revision, the same reset is unexplained
    Card.objects.filter(pk=card.pk).update(reps=0, last_review=None, stability=None, difficulty=None, step=0, state=1)
    with pytest.raises(CommandError, match="1 card"):
        verify()


@pytest.mark.django_db
def test_unknown_user_or_card_is_an_error(classroom):
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("verify_reviews", "--user", "nobody")
    with pytest.raises(CommandError, match="no card 999999"):
        call_command("verify_reviews", "--card", "999999")


@pytest.mark.django_db
def test_verify_reads_cards_in_batches(classroom, django_assert_num_queries, monkeypatch):
    """Bounded memory: cards stream in batches, each batch's logs in one query."""
    from cards.management.commands import verify_reviews

    study_days(classroom["students"], days=2)
    monkeypatch.setattr(verify_reviews, "BATCH", 5)
    cards = Card.objects.filter(user__username="alice").count()
    assert cards == 14
    # the user exists, the parameter sets and the fits in use (two, whatever the cards), the
    # cards, logs of 3 batches of 5
    with django_assert_num_queries(1 + 2 + 1 + 3):
        assert "checked 14 cards, 0 mismatches" in verify("--user", "alice")


# --- the log cannot be changed through the ORM -----------------------------------------


@pytest.mark.django_db
def test_log_rows_cannot_be_changed_through_the_orm(classroom):
    study_days(classroom["students"], days=1)
    log = ReviewLog.objects.filter(kind="review", rating=3).first()
    log.rating = 4
    attempts = [
        log.save,
        lambda: ReviewLog.objects.filter(pk=log.pk).update(rating=4),
        lambda: ReviewLog.objects.bulk_update([log], ["rating"]),
        lambda: ReviewLog.objects.filter(pk=log.pk).delete(),
        log.delete,
    ]
    for attempt in attempts:
        with pytest.raises(ReviewLogIsAppendOnly), transaction.atomic():
            attempt()
    assert ReviewLog.objects.get(pk=log.pk).rating == 3
    assert "0 mismatches" in verify()


@pytest.mark.django_db
def test_a_constructed_row_with_an_existing_id_cannot_overwrite_the_log(classroom):
    study_days(classroom["students"], days=1)
    log = ReviewLog.objects.filter(kind="review").first()
    forged = ReviewLog(
        pk=log.pk,
        user_id=log.user_id,
        card_id=log.card_id,
        review_id=log.review_id,
        question_revision=log.question_revision,
        rating=1,
        reviewed_at=log.reviewed_at,
        state_before=log.state_before,
        state_after=log.state_after,
    )
    assert forged._state.adding  # a constructed (or deserialized) object is "adding"
    with contextlib.suppress(Exception), transaction.atomic():  # any refusal is what we want
        forged.save()
    assert ReviewLog.objects.get(pk=log.pk).rating == log.rating, "the stored row was overwritten"


# --- backup and restore -----------------------------------------------------------------


def snapshot_of_data() -> dict:
    counts = {m._meta.label_lower: m._base_manager.count() for m in backed_up_models()}
    cards = list(
        Card.objects.order_by("pk").values_list(
            "pk", "user_id", "state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses"
        )
    )
    logs = list(
        ReviewLog.objects.order_by("pk").values_list(
            "pk", "review_id", "kind", "undoes_id", "reviewed_at", "state_before", "state_after", "answer"
        )
    )
    created = list(Card.objects.order_by("pk").values_list("pk", "created_at"))
    return {"counts": counts, "cards": cards, "logs": logs, "created": created, "digest": review_log_digest()}


@pytest.fixture
def studied(classroom):
    study_days(classroom["students"], days=5)
    return classroom


@pytest.mark.django_db(transaction=True)
def test_backup_flush_restore_gives_everything_back(studied, tmp_path):
    before = snapshot_of_data()
    assert before["counts"]["cards.reviewlog"] > 20
    assert any(ts.microsecond for _pk, _rid, _k, _u, ts, *_ in before["logs"])
    path = tmp_path / "site.jsonl.gz"
    call_command("backup", str(path))
    assert path.exists() and not (tmp_path / "site.jsonl.gz.partial").exists()
    with gzip.open(path, "rt") as stream:
        lines = stream.read().splitlines()
    header, manifest = json.loads(lines[0]), json.loads(lines[-1])["manifest"]
    assert header["format"] == "quizapp-backup"
    assert manifest["counts"] == before["counts"]
    assert manifest["review_log"] == {
        "rows": before["digest"][0],
        "sha256": before["digest"][1],
        "over": "review_id|card_id|rating|reviewed_at|kind per row, ordered by id",
    }

    objects = [json.loads(line) for line in lines[1:-1]]
    group = next(o for o in objects if o["model"] == "auth.group")
    # permissions by natural key: migrate gives them ids of its own in the new database
    assert sorted(group["fields"]["permissions"]) == [
        ["author_content", "cards", "deck"],
        ["view_cohort_stats", "cards", "deck"],
    ]
    card = next(o for o in objects if o["model"] == "cards.card")
    assert isinstance(card["fields"]["user"], int)  # everything else keeps its primary key

    call_command("flush", interactive=False)
    assert Card.objects.count() == ReviewLog.objects.count() == 0
    assert get_user_model().objects.count() == 0

    call_command("restore", str(path))
    after = snapshot_of_data()
    assert after == before  # counts, card states, every log row (microseconds included), checksum
    assert "0 mismatches" in verify()

    # people can log in again, with their passwords and API tokens
    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password("correct-horse-battery")
    assert Token.objects.get(user=alice)
    assert get_user_model().objects.get(username="teacher").has_perm("cards.author_content")
    # and study on: new rows get fresh ids (sequences moved past the restored ones)
    card = Card.objects.filter(user=alice).order_by("due").select_related("question").first()
    with time_machine.travel(START + timedelta(days=60), tick=False):
        outcome = answer_card(
            user=alice, card_id=card.pk, answer=answer_for(card, True), review_id=uuid.uuid4(), now=timezone.now()
        )
    assert outcome.log.pk > max(pk for pk, *_ in before["logs"])
    assert "0 mismatches" in verify()


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_has_data(studied, tmp_path):
    path = tmp_path / "site.jsonl.gz"
    call_command("backup", str(path))
    before = snapshot_of_data()
    with pytest.raises(CommandError, match=r"restore refused: the database is not empty \(\d+ questions, \d+ cards"):
        call_command("restore", str(path))
    assert snapshot_of_data() == before


def _rewrite(path, out, edit):
    with gzip.open(path, "rt") as stream:
        lines = stream.read().splitlines()
    with gzip.open(out, "wt") as stream:
        stream.write("\n".join(edit(lines)) + "\n")


@pytest.mark.django_db(transaction=True)
def test_restore_rolls_back_when_the_file_does_not_match_its_manifest(studied, tmp_path):
    path = tmp_path / "site.jsonl.gz"
    call_command("backup", str(path))
    call_command("flush", interactive=False)

    def drop_last_review(lines):
        last = max(i for i, line in enumerate(lines) if '"model": "cards.reviewlog"' in line)
        return lines[:last] + lines[last + 1 :]

    def change_a_rating(lines):
        for i, line in enumerate(lines):
            if '"model": "cards.reviewlog"' in line and '"rating": 3' in line:
                return [*lines[:i], line.replace('"rating": 3', '"rating": 4'), *lines[i + 1 :]]
        raise AssertionError("no Good review")

    from io import StringIO

    for name, edit, expected in [
        ("dropped.jsonl.gz", drop_last_review, "cards.reviewlog: the manifest says"),
        ("rerated.jsonl.gz", change_a_rating, "review log checksum: the manifest says"),
        ("truncated.jsonl.gz", lambda lines: lines[:-1], "the backup has no manifest"),
    ]:
        bad = tmp_path / name
        _rewrite(path, bad, edit)
        err = StringIO()
        with pytest.raises(CommandError, match="restore rolled back"):
            call_command("restore", str(bad), stderr=err)
        assert expected in err.getvalue(), err.getvalue()
        assert Card.objects.count() == ReviewLog.objects.count() == Question.objects.count() == 0
        assert get_user_model().objects.count() == 0

    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CommandError, match="restore failed, nothing was written"):
        call_command("restore", str(cut))
    assert ReviewLog.objects.count() == 0

    not_a_backup = tmp_path / "bank.json.gz"
    with gzip.open(not_a_backup, "wt") as stream:
        stream.write('{"format": "quizapp-bank"}\n')
    with pytest.raises(CommandError, match="not a quizapp backup"):
        call_command("restore", str(not_a_backup))

    call_command("restore", str(path))  # the untouched file still restores
    assert "0 mismatches" in verify()
