from django.core.management.base import BaseCommand

from cards.services.accounts import setup_roles


class Command(BaseCommand):
    help = "Create the Instructors group with its permissions (idempotent)."

    def handle(self, *args, **options):
        group = setup_roles()
        names = ", ".join(sorted(p.codename for p in group.permissions.all()))
        self.stdout.write(f"group {group.name!r}: {names}")
