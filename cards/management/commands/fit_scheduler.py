"""Fit FSRS parameters to a review log file, by the course's policy (cards.core.fitting)."""

import json
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError

from cards.core import fitting
from cards.core.revlog import RevlogError, read_revlog


class Command(BaseCommand):
    help = (
        "Fit FSRS parameters to REVLOG.csv (header user_id,card_id,review_time,review_rating; review_time in "
        "ms since the Unix epoch, UTC; ratings 1-4; every review including same-day steps, any order): one "
        "fit for the whole file (the course) and one per user shrunk toward it (docs/learning.md). Writes "
        '{"default": [21], "course": [21], "students": {"<user_id>": [21], ...}}. Needs no database.'
    )

    def add_arguments(self, parser):
        parser.add_argument("revlog", type=Path, help="The review log (CSV).")
        parser.add_argument("--output", type=Path, required=True, help="Where to write the parameters (JSON).")
        parser.add_argument(
            "--timezone",
            default="UTC",
            help="The students' time zone: their study days decide which reviews the course fit is measured on "
            "(the latest days, held out; default %(default)s). Elapsed days are counted as the scheduler counts "
            "them, whole 24-hour periods, whatever the zone.",
        )
        parser.add_argument(
            "--day-start-hour",
            type=int,
            default=fitting.DAY_ROLLOVER_HOUR,
            help="Local hour the study day starts (default %(default)s).",
        )

    def handle(self, *args, revlog: Path, output: Path, timezone: str, day_start_hour: int, **options):
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"--timezone {timezone!r} is not a time zone (e.g. UTC, Europe/Paris)") from exc
        if not 0 <= day_start_hour <= 23:
            raise CommandError(f"--day-start-hour {day_start_hour} is not an hour from 0 to 23")
        try:
            with revlog.open(encoding="utf-8", newline="") as handle:
                students = read_revlog(handle, name=str(revlog))
        except OSError as exc:
            raise CommandError(f"{revlog}: cannot read: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{revlog}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        except RevlogError as exc:
            raise CommandError(str(exc)) from exc
        day = {"tz_name": timezone, "day_start_hour": day_start_hour}
        course = fitting.fit_course(students, **day)
        widening, spread = fitting.student_spread(
            students, course.parameters, zones=dict.fromkeys(students, timezone), day_start_hour=day_start_hour
        )
        fits = {
            user: fitting.fit_student(reviews, course, held_out=False, spread=spread, **day)
            for user, reviews in students.items()
        }
        result = {
            "default": list(fitting.DEFAULT_PARAMETERS),
            "course": list(course.parameters),
            "students": {user: list(fit.parameters) for user, fit in fits.items()},
        }
        try:
            output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{output}: cannot write: {exc.strerror}") from exc
        reviews = sum(len(r) for r in students.values())
        self.stdout.write(
            f"{reviews} reviews of {len(students)} users: the course fit rests on {course.n_reviews} reviews made a "
            f"day or more after the card's previous one ({course.source}); {held_out(course)}; students' own fits "
            f"move up to {widening:g} of people's spread in their initial stabilities (chosen on the "
            f"students' latest days); written to {output}"
        )


def held_out(fit: fitting.Fit) -> str:
    if fit.log_loss is None:
        return "too few study days to measure it on held-out days"
    scores = f"log loss {fit.log_loss:.4f}, RMSE(bins) {fit.rmse_bins:.4f}"
    return f"fitted without the latest study days, it scores {scores} on them"
