from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cards.interop.json_bank import BankError
from cards.models import Deck
from cards.services.imports import apply_import, plan_import, read_bank_file


class Command(BaseCommand):
    help = (
        "Import a bank file (JSON, GIFT or CSV) into a deck. Atomic: on any error nothing is "
        "written, and each error names the file, line (or row, or uid) and what is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", default="auto", choices=["auto", "json", "gift", "csv"])
        parser.add_argument("--deck", help="Slug of the deck to import into (required for GIFT and CSV).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument("--strict", action="store_true", help="Questions of a type we cannot represent are errors.")

    def handle(self, *args, path: Path, format: str, deck: str | None, dry_run: bool, strict: bool, **options):
        target = None
        if deck:
            target = Deck.objects.filter(slug=deck).first()
            if target is None:
                raise CommandError(f"no deck {deck!r}")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc
        try:
            parsed = read_bank_file(name=str(path), content=content, fmt=format, strict=strict, deck=target)
            for warning in parsed.warnings:
                self.stderr.write(f"warning: {warning}")
            report = plan_import(bank=parsed.bank) if dry_run else apply_import(bank=parsed.bank)
        except BankError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{path}: {len(exc.problems)} problem(s); nothing was written") from exc
        prefix = "dry run, nothing written: " if dry_run else ""
        self.stdout.write(f"{path}: {prefix}{report.summary()}, {len(parsed.warnings)} skipped")
