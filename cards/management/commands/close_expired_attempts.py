from django.core.management.base import BaseCommand
from django.utils import timezone

from cards.services.blocks import close_expired_blocks
from cards.services.quizzes import close_expired_attempts


class Command(BaseCommand):
    help = "Submit every quiz attempt and timed block whose time ran out (run it every minute from cron)."

    def handle(self, *args, **options):
        now = timezone.now()
        self.stdout.write(f"submitted {close_expired_attempts(now=now)} expired attempt(s)")
        self.stdout.write(f"submitted {close_expired_blocks(now=now)} expired block(s)")
