"""Check that every card's stored scheduling state is what its review log leads to.

Reads cards in primary-key order with their logs prefetched in batches (bounded memory at
any size), replays each log with `cards.core.replay` and prints each card that disagrees:

    card 12 (user alice, question baclofen-gaba-b): stability is 9.9, the log says 2.31
    checked 1200 cards, 1 mismatches

Each review is replayed with the fitted parameters that scheduled it (the log records them:
ReviewLog.parameter_set; none recorded: FSRS's defaults, and for rows logged before the
record, also the student's current parameters). A card whose memory state a refit
recomputed (cards.services.scheduler_params) matches when its stability and difficulty are
what its reviews give under the parameters then in use.

Exits non-zero when any card mismatches.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import OuterRef, Prefetch, Subquery

from cards.core import replay
from cards.core.fitting import DEFAULT_PARAMETERS
from cards.models import Card, Enrollment, ParameterSet, ReviewLog, SchedulerParameters
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
    "parameter_set",
)


def steps_of(logs, parameter_sets: dict[int, tuple] | None = None) -> list[replay.ReplayStep]:
    """The card's log rows as replay steps, each with the parameters that scheduled it
    (`parameter_sets`: {ParameterSet id: weights})."""
    parameter_sets = parameter_sets or {}
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
            parameters=parameter_sets.get(log.parameter_set_id),
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


class Parameters:
    """The weights of every ParameterSet (one per fit kept) and the fits that schedule students
    now (one per course and per student with their own): two queries, whatever the cards."""

    def __init__(self):
        self.sets = {pk: tuple(values) for pk, values in ParameterSet.objects.values_list("id", "parameters")}
        self.course: dict[int, tuple] = {}
        self.own: dict[tuple[int, int], tuple] = {}
        for fit in SchedulerParameters.objects.select_related("enrollment"):
            if fit.enrollment is None:
                self.course[fit.course_id] = tuple(fit.parameters)
            elif fit.enrollment.own_parameters:
                self.own[(fit.course_id, fit.enrollment.user_id)] = tuple(fit.parameters)

    def current(self, card: Card) -> tuple | None:
        """The parameters that schedule the card's student now (None: FSRS's defaults), as
        cards.selectors.scheduler.effective_parameters says."""
        parameters = self.own.get((card.course_id, card.user_id)) or self.course.get(card.course_id)
        return None if parameters == DEFAULT_PARAMETERS else parameters


def card_mismatches(card: Card, parameters: Parameters | None = None) -> list[replay.Mismatch]:
    parameters = parameters or Parameters()
    # A safety-critical question's cards are scheduled at the course's safety retention (the
    # flag as it is now: one changed since, as a retention, reads as a mismatch).
    safety = card.question.safety_critical
    settings = card.course.scheduler_settings(card.student_retention, safety_critical=safety)
    return replay.verify_card(
        card_state(card),
        steps_of(card.logs.all(), parameters.sets),
        settings,
        question_revision=card.question.revision,
        current=card.course.scheduler_settings(
            card.student_retention, parameters.current(card), safety_critical=safety
        ),
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
        parameters = Parameters()
        for card in cards_with_logs(username=username, card_id=card_id):
            checked += 1
            problems = card_mismatches(card, parameters)
            if problems:
                mismatched += 1
                what = "; ".join(p.description for p in problems)
                self.stdout.write(f"card {card.pk} (user {card.user.username}, question {card.question.uid}): {what}")
        summary = f"checked {checked} cards, {mismatched} mismatches"
        if mismatched:
            self.stdout.write(summary)
            raise CommandError(f"{mismatched} card(s) do not match their review log")
        self.stdout.write(self.style.SUCCESS(summary))
