from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cards.interop import json_bank
from cards.interop.bank_checks import StyleLimits

DEFAULTS = StyleLimits()
# The publishing checks' numeric limits, each a flag named after its StyleLimits field.
LIMIT_HELP = {
    "key_position_tolerance": "Each single-answer key position within this share of an even spread",
    "max_truefalse_share": "Largest share of true/false items",
    "max_longest_key_share": "Largest share of single-answer items whose key is the longest option",
    "max_first_keys_share": "Largest share of select-all items keyed on their first choices",
    "max_per_fact": "Most items per key fact, each at a different level",
    "min_vignette_share": "Smallest share of single-answer items tagged 'vignette'",
    "min_items": "Judge a bank-wide share only over at least this many items",
}


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
        for name, help_text in LIMIT_HELP.items():
            default = getattr(DEFAULTS, name)
            style.add_argument(
                "--" + name.replace("_", "-"),
                type=type(default),
                default=default,
                help=f"{help_text} (default %(default)s).",
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
            style = StyleLimits(**{name: options[name] for name in LIMIT_HELP}, wording=options["wording"])
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
