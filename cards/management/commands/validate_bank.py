from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cards.interop import json_bank


class Command(BaseCommand):
    help = "Check a JSON bank: schema, verbatim quotes, choice sets, counts, near duplicates."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--min-questions", type=int, default=0)
        parser.add_argument("--min-per-topic", type=int, default=0)
        parser.add_argument("--min-per-kind", type=int, default=0)
        parser.add_argument("--topics", default="", help="Comma-separated topic slugs the minimum applies to.")

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
        problems = json_bank.validate(
            data,
            min_questions=min_questions,
            min_per_topic=min_per_topic,
            min_per_kind=min_per_kind,
            topics=topic_list,
        )
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            raise CommandError(f"{path}: {len(problems)} problem(s)")
        count = len(data.get("questions", []))
        self.stdout.write(self.style.SUCCESS(f"{path}: valid ({count} questions)"))
