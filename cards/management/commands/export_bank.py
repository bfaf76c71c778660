import sys

from django.core.management.base import BaseCommand, CommandError

from cards.models import Deck
from cards.services.imports import EXPORT_FORMATS, export_deck, images_not_carried


class Command(BaseCommand):
    help = (
        "Export a deck as JSON (lossless), zip (the JSON with its images), Moodle GIFT, CSV or Anki .apkg "
        "(with its images). --output - writes to stdout. Images a format cannot carry are warned."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", default="json", choices=EXPORT_FORMATS)
        parser.add_argument("--output", required=True, help="File path, or - for stdout (not for apkg).")
        parser.add_argument("--deck", help="Deck slug (default: the only deck).")

    def handle(self, *args, format: str, output: str, deck: str | None, **options):
        decks = Deck.objects.all()
        if deck:
            decks = decks.filter(slug=deck)
        found = list(decks[:2])
        if len(found) != 1:
            raise CommandError("name the deck with --deck SLUG" if found else f"no deck {deck!r}")
        for problem in images_not_carried(deck=found[0], fmt=format):
            self.stderr.write(f"warning: {problem}")
        if format in ("apkg", "zip") and output == "-":
            raise CommandError(f"a .{format} is a binary file: give --output PATH")
        if format == "zip":
            with open(output, "wb") as fh:
                fh.write(export_deck(deck=found[0], fmt="zip"))
            self.stderr.write(f"wrote {found[0].questions.count()} questions and their images to {output}")
            return
        if format == "apkg":
            notes = export_deck(deck=found[0], fmt="apkg", path=output, progress=self._progress)
            self.stderr.write(f"\nwrote {notes} notes to {output}")
            return
        text = export_deck(deck=found[0], fmt=format)
        if output == "-":
            sys.stdout.write(text)
            return
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        self.stderr.write(f"wrote {found[0].questions.count()} questions to {output}")

    def _progress(self, done: int, total: int) -> None:
        if total and (done == total or done % max(1, total // 50) == 0):
            filled = int(30 * done / total)
            self.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} notes", ending="")
            self.stderr.flush()
