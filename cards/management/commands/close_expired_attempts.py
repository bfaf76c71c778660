from django.core.management.base import BaseCommand
from django.utils import timezone

from cards.services.quizzes import close_expired_attempts


class Command(BaseCommand):
    help = "Submit every quiz attempt whose time ran out (run it every minute from cron)."

    def handle(self, *args, **options):
        self.stdout.write(f"submitted {close_expired_attempts(now=timezone.now())} expired attempt(s)")
