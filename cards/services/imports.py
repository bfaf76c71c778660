"""Import a bank file (JSON, GIFT or CSV) into a deck, with a dry run first; and export a
deck in any format. Parsing is pure (cards/interop); this module adds the deck's context
(its topics and cited sources), the size bounds, and the one atomic write."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction

from cards.interop import apkg, csv_bank, gift, json_bank
from cards.interop.json_bank import BankError, Problem
from cards.models import Deck, Topic
from cards.services.banks import LoadReport, export_bank, load_bank

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_QUESTIONS = 5000
FORMATS = ("json", "gift", "csv")
EXPORT_FORMATS = ("json", "gift", "csv", "apkg")
EXTENSIONS = {".json": "json", ".gift": "gift", ".txt": "gift", ".csv": "csv"}


@dataclass
class ParsedBank:
    bank: dict
    warnings: list[Problem] = field(default_factory=list)
    digest: str = ""


def detect_format(name: str, fmt: str = "auto") -> str:
    if fmt != "auto":
        if fmt not in FORMATS:
            raise BankError([Problem(name, f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")])
        return fmt
    found = EXTENSIONS.get(PurePath(name).suffix.lower())
    if found is None:
        raise BankError([Problem(name, "cannot tell the format from the file name: use .json, .gift, .txt or .csv")])
    return found


def _deck_context(deck: Deck | None) -> tuple[list[dict], list[dict]]:
    """The deck's topics and sources in bank form, so imported questions may cite them."""
    topics = [{"slug": t.slug, "name": t.name} for t in Topic.objects.order_by("slug")]
    if deck is None:
        return topics, []
    sources = [
        {
            "slug": s.slug,
            "title": s.title,
            "version": s.version,
            "text": s.text,
            "passages": [{"key": p.key, "text": p.text} for p in s.passages.order_by("order")],
        }
        for s in deck.sources.prefetch_related("passages").order_by("slug")
    ]
    return topics, sources


def read_bank_file(
    *, name: str, content: bytes, fmt: str = "auto", strict: bool = False, deck: Deck | None = None
) -> ParsedBank:
    """Bytes of an uploaded or local file -> a bank dict for `deck`, or BankError naming
    the file and the line (or row, or uid) of every problem."""
    if len(content) > MAX_IMPORT_BYTES:
        raise BankError([Problem(name, f"the file is {len(content):,} bytes; the limit is {MAX_IMPORT_BYTES:,}")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankError([Problem(name, f"not UTF-8 text (byte {exc.start})")]) from exc
    fmt = detect_format(name, fmt)
    topics, sources = _deck_context(deck)
    warnings: list[Problem] = []
    if fmt == "json":
        bank = json_bank.loads(text, name=name)
        if deck is not None:
            bank["deck"] = {"slug": deck.slug, "title": deck.title, "description": deck.description}
    else:
        if fmt == "gift":
            result = gift.parse(text, name=name, strict=strict)
            questions, warnings = result.questions, result.warnings
            topics = _merge_topics(topics, result.topics)
            _keep_what_gift_cannot_say(questions, deck)
        else:
            questions = csv_bank.parse(text, name=name)
        if deck is None:
            raise BankError([Problem(name, f"a {fmt.upper()} file has no deck: name the deck to import into")])
        bank = {
            "format": json_bank.FORMAT,
            "version": json_bank.VERSION,
            "deck": {"slug": deck.slug, "title": deck.title, "description": deck.description},
            "topics": topics,
            "sources": sources,
            "questions": questions,
        }
    if isinstance(bank.get("questions"), list) and len(bank["questions"]) > MAX_IMPORT_QUESTIONS:
        raise BankError(
            [Problem(name, f"{len(bank['questions'])} questions; at most {MAX_IMPORT_QUESTIONS} per import")]
        )
    bank.setdefault("topics", topics)
    if isinstance(bank["topics"], list):  # otherwise validate() names the problem
        known = {t.get("slug") for t in bank["topics"] if isinstance(t, dict)}
        bank["topics"] += [t for t in topics if t["slug"] not in known]
    problems = json_bank.validate(bank)
    if problems:
        raise BankError([Problem(f"{name}: {p.where}", p.message, p.field) for p in problems])
    return ParsedBank(bank=bank, warnings=warnings, digest=hashlib.sha256(content).hexdigest())


def _keep_what_gift_cannot_say(questions: list[dict], deck: Deck | None) -> None:
    """GIFT has no status and no tags: a question already in the deck keeps its own, so
    re-importing an exported file never unpublishes anything."""
    if deck is None:
        return
    existing = {
        uid: (status, tags)
        for uid, status, tags in deck.questions.filter(uid__in=[q["uid"] for q in questions]).values_list(
            "uid", "status", "tags"
        )
    }
    for q in questions:
        if q["uid"] in existing:
            q["status"], tags = existing[q["uid"]]
            q["tags"] = q.get("tags") or list(tags or [])


def _merge_topics(base: list[dict], extra: list[dict]) -> list[dict]:
    known = {t["slug"] for t in base}
    return base + [t for t in extra if t["slug"] not in known]


class _DryRun(Exception):
    def __init__(self, report: LoadReport):
        self.report = report


def plan_import(*, bank: dict, owner=None) -> LoadReport:
    """What importing would create, update and leave alone, without writing anything."""
    try:
        with transaction.atomic():
            raise _DryRun(load_bank(data=bank, owner=owner, retire_missing=False))
    except _DryRun as done:
        return done.report


def apply_import(*, bank: dict, owner=None) -> LoadReport:
    return load_bank(data=bank, owner=owner, retire_missing=False)


def export_deck(*, deck: Deck, fmt: str, path=None, progress=None) -> str | int:
    """JSON/GIFT/CSV as text; Anki .apkg written to `path` (returns the number of notes)."""
    bank = export_bank(deck)
    if fmt == "json":
        return json_bank.dumps(bank)
    if fmt == "gift":
        return gift.dump(bank)
    if fmt == "csv":
        return csv_bank.dump(bank)
    if fmt == "apkg":
        if path is None:
            raise ValueError("an .apkg export needs a path")
        return apkg.write_apkg(bank, path, progress=progress)
    raise ValueError(f"unknown export format {fmt!r}")
