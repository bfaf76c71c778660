"""Exam dates, pure: no Django, no clock. Until a student's exam, no card is scheduled after
the exam day: a review's due date is capped so that the card comes back on the eve of the
exam at the latest (on the eve, on the exam day itself). The last review before the exam is
then the latest one possible, which leaves the most recall on the day (a card reviewed on the
eve with a stability of a day or more is at 90% or better the next morning: FSRS's interval
at 90% retention equals the stability). From the exam day on, nothing is capped.

New cards come at a pace that covers the deck before the exam: when the course's daily limit
would leave cards unseen on the exam day, the day's allowance is raised to the pace
(`new_allowance`), and the dashboard says so. It is raised rather than only warned about
because an exam date (the student's own, or the course's set by its instructors) is a request
to have seen everything by then; the dashboard shows the pace, the limit it exceeds and the
daily workload it brings, so nothing is raised silently.

Study days start at 04:00 local (cards.core.scheduling.DAY_ROLLOVER_HOUR)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cards.core.scheduling import DAY_ROLLOVER_HOUR, FSRS_DECAY, Outcome, Rating, study_day

EXAM_TARGET = 0.9  # predicted recall on the exam day the last review aims for


def day_start(day: date, tz_name: str) -> datetime:
    """When a study day starts, in UTC."""
    return datetime.combine(day, time(DAY_ROLLOVER_HOUR), tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def due_cap(now: datetime, exam: date | None, tz_name: str) -> datetime | None:
    """The latest due date a review made `now` may get: the start of the exam's eve, or on the
    eve the start of the exam day; None without an exam or from the exam day on."""
    if exam is None:
        return None
    today = study_day(now, tz_name)
    if today >= exam:
        return None
    eve = day_start(exam - timedelta(days=1), tz_name)
    return eve if now < eve else day_start(exam, tz_name)


def capped(outcome: Outcome, now: datetime, cap: datetime | None) -> Outcome:
    """The outcome with its due date no later than `cap` (and its interval to match)."""
    if cap is None or outcome.state.due is None or outcome.state.due <= cap:
        return outcome
    due = max(cap, now)
    return Outcome(rating=outcome.rating, state=replace(outcome.state, due=due), interval=due - now)


def capped_all(outcomes: dict[Rating, Outcome], now: datetime, cap: datetime | None) -> dict[Rating, Outcome]:
    return {rating: capped(outcome, now, cap) for rating, outcome in outcomes.items()}


def days_left(now: datetime, exam: date | None, tz_name: str) -> int | None:
    """Study days from today to the exam (0 on the exam day); None without one or after it."""
    if exam is None:
        return None
    left = (exam - study_day(now, tz_name)).days
    return left if left >= 0 else None


def effective_exam(student: date | None, course: date | None) -> date | None:
    """The student's own exam date, else the course's."""
    return student or course


def new_cards_pace(*, unseen: int, done_new: int = 0, days: int | None) -> int | None:
    """New cards a day that show every card not yet seen by the exam's eve: the cards unseen
    at the start of today (`unseen` now, plus the `done_new` seen today, so the pace holds all
    day) over the `days` study days left before the exam (today to the eve). None without an
    exam ahead, and on the exam day itself (no day is left before it)."""
    if days is None or days < 1:
        return None
    return -(-(unseen + done_new) // days)


def new_allowance(*, limit: int, unseen: int | None, done_new: int, days: int | None) -> int:
    """Today's new cards of a course: its daily limit, raised to the exam's pace when the limit
    would not show every card before the exam (`unseen` None: no exam ahead). A limit of 0
    (an instructor pausing new cards) is kept: a pause is not raised."""
    pace = None if unseen is None else new_cards_pace(unseen=unseen, done_new=done_new, days=days)
    if pace is None or limit <= 0:
        return limit
    return max(limit, pace)


# -- what the dashboard shows of an exam -------------------------------------------------------


def recall_at(stability: float, last_review: datetime, moment: datetime, parameters: Sequence[float] | None) -> float:
    """FSRS's predicted recall of a card at `moment` from its stability and last review, with
    the forgetting curve of `parameters` (their w[20]; None: FSRS's defaults). Whole days
    elapsed, as fsrs counts them."""
    decay = -(parameters[20] if parameters else -FSRS_DECAY)
    factor = 0.9 ** (1 / decay) - 1
    days = max(0, (moment - last_review).days)
    return (1 + factor * days / stability) ** decay


@dataclass(frozen=True)
class TopicRecall:
    topic: str
    recall: float | None  # mean predicted exam-day recall of the topic's studied cards; None: none studied
    studied: int
    unseen: int  # cards never studied: shown apart, not averaged in as 0


@dataclass(frozen=True)
class ExamCard:
    """A card as the exam's forecast needs it (`last_review` None: never studied)."""

    topic: str
    stability: float | None
    last_review: datetime | None
    due: datetime | None


def topic_recall(cards: Iterable[ExamCard], moment: datetime, parameters: Sequence[float] | None) -> list[TopicRecall]:
    """Per topic (by name): the mean predicted recall at `moment` (the exam day's start) of the
    cards studied, if nothing more were studied before it, and the cards not yet seen."""
    sums: dict[str, list] = {}
    for card in cards:
        entry = sums.setdefault(card.topic, [0.0, 0, 0])
        if card.last_review is None or not card.stability:
            entry[2] += 1
        else:
            entry[0] += recall_at(card.stability, card.last_review, moment, parameters)
            entry[1] += 1
    return [
        TopicRecall(topic=name, recall=total / studied if studied else None, studied=studied, unseen=unseen)
        for name, (total, studied, unseen) in sorted(sums.items())
    ]


def daily_workload(cards: Iterable[ExamCard], *, today: date, exam: date, tz_name: str) -> list[tuple[date, int]]:
    """Reviews due per study day from today to the exam day (both included) of the cards
    studied: overdue ones count today; a due date after the exam day (set before the exam
    date was) is not in the range."""
    days = [today + timedelta(days=i) for i in range((exam - today).days + 1)]
    ends = [day_start(day + timedelta(days=1), tz_name) for day in days]
    counts = [0] * len(days)
    for card in cards:
        if card.last_review is None or card.due is None:
            continue
        i = bisect_right(ends, card.due)
        if i < len(days):
            counts[i] += 1
    return list(zip(days, counts, strict=True))
