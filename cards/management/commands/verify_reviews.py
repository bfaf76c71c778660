"""Check that every card's stored scheduling state is what its review log leads to.

Reads cards in primary-key order with their logs prefetched in batches (bounded memory at
any size), replays each log with `cards.core.replay` and prints each card that disagrees:

    card 12 (user alice, question baclofen-gaba-b): stability is 9.9, the log says 2.31
    checked 1200 cards, 1 mismatches

Exits non-zero when any card mismatches.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import OuterRef, Prefetch, Subquery

from cards.core import replay
from cards.models import Card, Enrollment, ReviewLog
from cards.services.study import card_state

BATCH = 500
LOG_FIELDS = (
    "id",
    "card",
    "kind",
    "undoes",
    "rating",
    "reviewed_at",
    "state_before",
    "state_after",
    "question_revision",
)


def steps_of(logs) -> list[replay.ReplayStep]:
    return [
        replay.ReplayStep(
            rating=log.rating,
            reviewed_at=log.reviewed_at,
            state_before=log.state_before,
            state_after=log.state_after,
            log_id=log.pk,
            kind=log.kind,
            undoes=log.undoes_id,
            question_revision=log.question_revision,
        )
        for log in logs
    ]


def cards_with_logs(*, username: str | None = None, card_id: int | None = None):
    retention = Enrollment.objects.filter(user=OuterRef("user_id"), course=OuterRef("course_id")).values(
        "desired_retention"
    )[:1]
    cards = (
        Card.objects.select_related("user", "question", "course")
        .annotate(student_retention=Subquery(retention))
        .prefetch_related(Prefetch("logs", queryset=ReviewLog.objects.only(*LOG_FIELDS).order_by("id")))
        .order_by("pk")
    )
    if username is not None:
        cards = cards.filter(user__username=username)
    if card_id is not None:
        cards = cards.filter(pk=card_id)
    return cards.iterator(chunk_size=BATCH)


def card_mismatches(card: Card) -> list[replay.Mismatch]:
    # A safety-critical question's cards are scheduled at the course's safety retention (the
    # flag as it is now: one changed since, as a retention, reads as a mismatch).
    settings = card.course.scheduler_settings(card.student_retention, safety_critical=card.question.safety_critical)
    return replay.verify_card(
        card_state(card),
        steps_of(card.logs.all()),
        settings,
        question_revision=card.question.revision,
    )


class Command(BaseCommand):
    help = "Replay every card's review log and report cards whose stored state does not match it."

    def add_arguments(self, parser):
        parser.add_argument("--user", dest="username", help="Only this student's cards (username).")
        parser.add_argument("--card", dest="card_id", type=int, help="Only this card (id).")

    def handle(self, *args, username=None, card_id=None, **options):
        if username is not None and not get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"no user {username!r}")
        if card_id is not None and not Card.objects.filter(pk=card_id).exists():
            raise CommandError(f"no card {card_id}")
        checked = mismatched = 0
        for card in cards_with_logs(username=username, card_id=card_id):
            checked += 1
            problems = card_mismatches(card)
            if problems:
                mismatched += 1
                what = "; ".join(p.description for p in problems)
                self.stdout.write(f"card {card.pk} (user {card.user.username}, question {card.question.uid}): {what}")
        summary = f"checked {checked} cards, {mismatched} mismatches"
        if mismatched:
            self.stdout.write(summary)
            raise CommandError(f"{mismatched} card(s) do not match their review log")
        self.stdout.write(self.style.SUCCESS(summary))
