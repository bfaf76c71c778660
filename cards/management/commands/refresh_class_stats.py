from django.core.management.base import BaseCommand
from django.utils import timezone

from cards.management.courses import add_course_option, chosen_courses
from cards.models import ClassStats
from cards.selectors import cohort
from cards.services import class_stats


class Command(BaseCommand):
    help = (
        "Recalculate the class analytics snapshots (run it every few minutes from cron). "
        "By default only the courses whose snapshot is older than CLASS_STATS_MAX_AGE_MINUTES."
    )

    def add_arguments(self, parser):
        add_course_option(parser)
        parser.add_argument("--all", action="store_true", help="Every course, however recent its snapshot.")

    def handle(self, *args, course=None, all=False, **options):
        courses = chosen_courses(course)
        now = timezone.now()
        if not (all or course):
            recent = ClassStats.objects.filter(computed_at__gt=now - cohort.max_age()).values("course_id")
            courses = courses.exclude(pk__in=recent)
        done = 0
        for c in courses:
            stats = class_stats.refresh(c, now=now)
            done += 1
            self.stdout.write(f"course {c.pk} ({c.title}): {stats.students} students, {stats.seconds:.2f} s")
        self.stdout.write(f"recalculated {done} course(s)")
