from django.core.management.base import BaseCommand
from django.utils import timezone

from cards.management.courses import add_course_option, chosen_courses
from cards.services import scheduler_params, tasks


class Command(BaseCommand):
    help = (
        "Refit every course's scheduler parameters and its students' (run it nightly from cron). "
        "By default each course is a background task for the worker (manage.py db_worker); "
        "--now fits here and prints what changed."
    )

    def add_arguments(self, parser):
        add_course_option(parser)
        parser.add_argument("--now", action="store_true", help="Fit in this process instead of enqueuing.")

    def handle(self, *args, course=None, now=False, **options):
        courses = chosen_courses(course)
        done = 0
        for pk in courses.values_list("pk", flat=True):
            if now:
                self.stdout.write(str(scheduler_params.refit_course(course_id=pk, now=timezone.now())))
            else:
                result = tasks.fit_course_parameters.enqueue(course_id=pk)
                self.stdout.write(f"course {pk}: task {result.id} {result.status}")
            done += 1
        self.stdout.write(f"{'refitted' if now else 'enqueued'} {done} course(s)")
