from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cards.interop.json_bank import BankError
from cards.models import Deck
from cards.services.imports import apply_import, plan_import, read_bank_file


class Command(BaseCommand):
    help = (
        "Import a bank file (JSON, GIFT, CSV, or a .zip of JSON with its images) into a deck. "
        "Atomic: on any error nothing is written, and each error names the file, line (or row, or uid) "
        "and what is wrong. A deck "
        "that does not exist is made: the --deck slug, else the deck the file names (a JSON bank's, "
        "a GIFT file's first $CATEGORY), else one named after the file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", default="auto", choices=["auto", "json", "gift", "csv", "zip"])
        parser.add_argument("--deck", help="Slug of the deck to import into (made if it does not exist).")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument("--strict", action="store_true", help="Questions of a type we cannot represent are errors.")

    def handle(self, *args, path: Path, format: str, deck: str | None, dry_run: bool, strict: bool, **options):
        target = Deck.objects.filter(slug=deck).first() if deck else None
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc
        try:
            parsed = read_bank_file(
                name=str(path), content=content, fmt=format, strict=strict, deck=target, deck_slug=deck or ""
            )
            for warning in parsed.warnings:
                self.stderr.write(f"warning: {warning}")
            report = plan_import(bank=parsed.bank) if dry_run else apply_import(bank=parsed.bank, images=parsed.images)
        except BankError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{path}: {len(exc.problems)} problem(s); nothing was written") from exc
        for uid, where, messages in parsed.review_list():
            self.stdout.write(f"to review before publishing: {where or path}: {uid}: {'; '.join(messages)}")
        prefix = "dry run, nothing written: " if dry_run else ""
        if report.deck_created:
            made = "would make" if dry_run else "made"
            self.stdout.write(f"{path}: {made} the new deck {report.deck!r} ({parsed.bank['deck']['title']})")
        self.stdout.write(
            f"{path}: {prefix}{report.summary()}, {len(parsed.skipped)} skipped, "
            f"{len(parsed.review)} draft(s) to review, into deck {report.deck!r}"
        )
