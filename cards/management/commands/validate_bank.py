from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cards.interop import json_bank
from cards.interop.bank_checks import StyleLimits

DEFAULTS = StyleLimits()


class Command(BaseCommand):
    help = (
        "Check a JSON bank: schema, verbatim quotes, choice sets, counts, near duplicates, and the "
        "publishing checks (key positions, true/false share and wording, longest option, items per fact)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--min-questions", type=int, default=0)
        parser.add_argument("--min-per-topic", type=int, default=0)
        parser.add_argument("--min-per-kind", type=int, default=0)
        parser.add_argument("--topics", default="", help="Comma-separated topic slugs the minimum applies to.")
        style = parser.add_argument_group("publishing checks (on published questions; see docs/bank.md)")
        style.add_argument(
            "--no-style-checks", dest="style", action="store_false", help="Check the format and counts only."
        )
        style.add_argument(
            "--key-position-tolerance",
            type=float,
            default=DEFAULTS.key_position_tolerance,
            help="Each single-answer key position within this share of an even spread (default %(default)s).",
        )
        style.add_argument(
            "--max-truefalse-share",
            type=float,
            default=DEFAULTS.max_truefalse_share,
            help="Largest share of true/false items (default %(default)s).",
        )
        style.add_argument(
            "--max-longest-key-share",
            type=float,
            default=DEFAULTS.max_longest_key_share,
            help="Largest share of single-answer items whose key is the longest option (default %(default)s).",
        )
        style.add_argument(
            "--max-first-keys-share",
            type=float,
            default=DEFAULTS.max_first_keys_share,
            help="Largest share of select-all items keyed on their first choices (default %(default)s).",
        )
        style.add_argument(
            "--max-per-fact",
            type=int,
            default=DEFAULTS.max_per_fact,
            help="Most items per key fact, each at a different level (default %(default)s).",
        )
        style.add_argument(
            "--min-vignette-share",
            type=float,
            default=DEFAULTS.min_vignette_share,
            help="Smallest share of single-answer items tagged 'vignette' (default %(default)s).",
        )
        style.add_argument(
            "--min-items",
            type=int,
            default=DEFAULTS.min_items,
            help="Judge a bank-wide share only over at least this many items (default %(default)s).",
        )
        style.add_argument(
            "--no-wording-check",
            dest="wording",
            action="store_false",
            help="Skip absolute words in false and hedged words in true true/false statements.",
        )

    def handle(self, *args, path: Path, min_questions, min_per_topic, min_per_kind, topics, **options):
        try:
            data = json_bank.loads(path.read_text(encoding="utf-8"), name=str(path))
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc
        except json_bank.BankError as exc:
            raise CommandError(str(exc)) from exc
        topic_list = tuple(t.strip() for t in topics.split(",") if t.strip()) or tuple(
            t["slug"] for t in data.get("topics", []) if isinstance(t, dict) and "slug" in t
        )
        style = None
        if options["style"]:
            style = StyleLimits(
                key_position_tolerance=options["key_position_tolerance"],
                max_truefalse_share=options["max_truefalse_share"],
                max_longest_key_share=options["max_longest_key_share"],
                max_first_keys_share=options["max_first_keys_share"],
                max_per_fact=options["max_per_fact"],
                min_vignette_share=options["min_vignette_share"],
                min_items=options["min_items"],
                wording=options["wording"],
            )
        problems = json_bank.validate(
            data,
            min_questions=min_questions,
            min_per_topic=min_per_topic,
            min_per_kind=min_per_kind,
            topics=topic_list,
            style=style,
        )
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(f"{path}: {len(problems)} problem(s)")
        count = len(data.get("questions", []))
        self.stdout.write(self.style.SUCCESS(f"{path}: valid ({count} questions)"))
