import sys

from django.core.management.base import BaseCommand, CommandError

from cards.interop import json_bank
from cards.models import Deck
from cards.services.banks import export_bank


class Command(BaseCommand):
    help = "Export a deck. --output - writes to stdout."

    def add_arguments(self, parser):
        parser.add_argument("--format", default="json", choices=["json"])
        parser.add_argument("--output", required=True, help="File path, or - for stdout.")
        parser.add_argument("--deck", help="Deck slug (default: the only deck).")

    def handle(self, *args, format: str, output: str, deck: str | None, **options):
        decks = Deck.objects.all()
        if deck:
            decks = decks.filter(slug=deck)
        found = list(decks[:2])
        if len(found) != 1:
            raise CommandError("name the deck with --deck SLUG" if found else f"no deck {deck!r}")
        text = json_bank.dumps(export_bank(found[0]))
        if output == "-":
            sys.stdout.write(text)
        else:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
            self.stderr.write(f"wrote {len(found[0].questions.all())} questions to {output}")
