from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cards.interop import json_bank
from cards.services.banks import load_bank


class Command(BaseCommand):
    help = "Load (upsert by uid) a question bank in the JSON bank format. Atomic; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--keep-missing",
            action="store_true",
            help="Do not retire questions of the deck that the file no longer has.",
        )

    def handle(self, *args, path: Path, keep_missing: bool, **options):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc
        try:
            report = load_bank(data=json_bank.loads(text, name=str(path)), retire_missing=not keep_missing)
        except json_bank.BankError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{path}: {problem}")
            raise CommandError(f"{path}: {len(exc.problems)} problem(s); nothing was written") from exc
        self.stdout.write(f"{path}: {report.summary()}")
