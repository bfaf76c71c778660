from django.core.management.base import BaseCommand, CommandError

from cards.models import Deck
from cards.selectors.content import coverage


class Command(BaseCommand):
    help = "Each passage of a deck's sources with the questions citing it; uncited passages stand out."

    def add_arguments(self, parser):
        parser.add_argument("--deck", help="Deck slug (default: the only deck).")
        parser.add_argument(
            "--fail-on-uncovered", action="store_true", help="Exit non-zero when a passage has no question (for CI)."
        )

    def handle(self, *args, deck: str | None, fail_on_uncovered: bool, **options):
        decks = Deck.objects.filter(slug=deck) if deck else Deck.objects.all()
        found = list(decks[:2])
        if len(found) != 1:
            raise CommandError("name the deck with --deck SLUG" if found else f"no deck {deck!r}")
        rows = coverage(found[0])
        width = max((len(r.passage.key) for r in rows), default=10)
        for row in rows:
            if row.uncovered:
                self.stdout.write(
                    self.style.WARNING(f"{row.passage.key:<{width}}  NO QUESTION  {row.passage.text[:70]}")
                )
                continue
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(row.by_kind.items()))
            topics = ", ".join(f"{t} {n}" for t, n in sorted(row.by_topic.items()))
            self.stdout.write(f"{row.passage.key:<{width}}  {len(row.questions):>3} questions  [{kinds}]  ({topics})")
        uncovered = sum(1 for r in rows if r.uncovered)
        self.stdout.write(f"{len(rows)} passages, {uncovered} without a question")
        if uncovered and fail_on_uncovered:
            raise CommandError(f"{uncovered} passage(s) without a question")
