from django.core.management.base import BaseCommand
from django.utils import timezone

from cards.services import tasks
from cards.services.blocks import close_expired_blocks
from cards.services.quizzes import close_expired_attempts


class Command(BaseCommand):
    help = (
        "Submit every quiz attempt and timed block whose time ran out (run it every minute from cron); "
        "--enqueue leaves it to the background worker (manage.py db_worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Enqueue the task instead of running it here.")

    def handle(self, *args, enqueue=False, **options):
        if enqueue:
            result = tasks.close_expired_attempts.enqueue()
            self.stdout.write(f"task {result.id} {result.status}")
            return
        now = timezone.now()
        self.stdout.write(f"submitted {close_expired_attempts(now=now)} expired attempt(s)")
        self.stdout.write(f"submitted {close_expired_blocks(now=now)} expired block(s)")
