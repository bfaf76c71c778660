"""Import a bank file (JSON, GIFT or CSV) into a deck, with a dry run first; and export a
deck in any format. Parsing is pure (cards/interop); this module adds the deck's context
(its topics and cited sources), the deck a file makes when it has none, the size bounds,
and the one atomic write.

An import takes a valid file as it is: only what makes a question unusable refuses the file.
quizapp's house rules (a wrong choice says why, a single-answer question has 3 choices, no
near duplicates) are for its published bank and its editor: an imported question that breaks
them comes in as a draft, with the list of what to review before publishing it
(`ParsedBank.review`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction

from cards.core.images import image_names
from cards.errors import InvalidInput
from cards.interop import apkg, bundle, csv_bank, gift, json_bank
from cards.interop.gift_syntax import short_uid, slugify
from cards.interop.json_bank import BankError, Problem
from cards.models import Deck, Question, Topic
from cards.services import media
from cards.services.authoring import unique_slug
from cards.services.banks import LoadReport, export_bank, load_bank

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_QUESTIONS = 5000
FORMATS = ("json", "gift", "csv", "zip")
EXPORT_FORMATS = ("json", "gift", "csv", "apkg", "zip")  # zip: the JSON bank with its images
CARRY_IMAGES = ("apkg", "zip")
EXTENSIONS = {".json": "json", ".gift": "gift", ".txt": "gift", ".csv": "csv", ".zip": "zip"}
_CLOZE_PART = re.compile(r"^(?P<uid>.+)-c(?P<number>[1-9]\d*)$")


@dataclass
class ParsedBank:
    bank: dict
    warnings: list[Problem] = field(default_factory=list)  # everything to tell, the skips included
    digest: str = ""
    skipped: list[Problem] = field(default_factory=list)  # questions of the file left out
    review: dict[str, list[Problem]] = field(default_factory=dict)  # uid -> house rules it breaks
    where: dict[str, str] = field(default_factory=dict)  # uid -> "file:line" (GIFT) of its question
    new_deck: bool = False  # bank["deck"] does not exist yet: importing creates it
    images: dict[str, media.CleanImage] = field(default_factory=dict)  # a bundle's, re-encoded, by name

    def review_list(self) -> list[tuple[str, str, list[str]]]:
        """(uid, where, messages) of each question to review, in file order."""
        order = [q["uid"] for q in self.bank.get("questions", []) if isinstance(q, dict)]
        return [
            (uid, self.where.get(uid, ""), [p.message for p in self.review[uid]]) for uid in order if uid in self.review
        ]


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


def _deck_info(deck: Deck) -> dict:
    return {"slug": deck.slug, "title": deck.title, "description": deck.description}


def _file_title(name: str) -> str:
    stem = PurePath(name).name.split(".")[0]
    return " ".join(stem.replace("_", " ").replace("-", " ").split()).capitalize() or "Imported"


def _named_deck(*, name: str, named: dict, deck_slug: str, own_deck: bool) -> tuple[Deck | None, dict]:
    """The deck a file goes into when none is given: `deck_slug` (the command's --deck), else the
    deck the file names (a JSON bank's, a GIFT export's, a GIFT file's first $CATEGORY), else
    one named after the file. An existing deck of that slug is used, unless `own_deck` (the
    web import), which always makes a new deck under a free slug."""
    title = named.get("title") or _file_title(name)
    slug = slugify(deck_slug) if deck_slug else named.get("slug") or slugify(title) or "imported"
    if deck_slug:
        title = named.get("title") if named.get("slug") == slug else deck_slug.replace("-", " ").capitalize()
    if own_deck:
        slug = unique_slug(Deck, slug)
    existing = Deck.objects.filter(slug=slug).first()
    if existing is not None:
        return existing, _deck_info(existing)
    return None, {"slug": slug, "title": title, "description": named.get("description", "")}


def read_bank_file(
    *,
    name: str,
    content: bytes,
    fmt: str = "auto",
    strict: bool = False,
    deck: Deck | None = None,
    deck_slug: str = "",
    own_deck: bool = False,
    images: dict[str, media.CleanImage] | None = None,
) -> ParsedBank:
    """Bytes of an uploaded or local file -> a bank dict for `deck`, or BankError naming
    the file and the line (or row, or uid) of every problem. Without a deck, the file's own
    deck (see `_named_deck`), made by the import when it does not exist (`new_deck`).
    A .zip is the JSON bank with its images (`_read_bundle`); `images` are a bundle's."""
    if fmt == "zip" or (fmt == "auto" and PurePath(name).suffix.lower() == ".zip"):
        return _read_bundle(
            name=name, content=content, strict=strict, deck=deck, deck_slug=deck_slug, own_deck=own_deck
        )
    if len(content) > MAX_IMPORT_BYTES:
        raise BankError([Problem(name, f"the file is {len(content):,} bytes; the limit is {MAX_IMPORT_BYTES:,}")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankError([Problem(name, f"not UTF-8 text (byte {exc.start})")]) from exc
    fmt = detect_format(name, fmt)
    parsed = ParsedBank(bank={}, digest=hashlib.sha256(content).hexdigest())
    named: dict = {}
    if fmt == "json":
        bank = json_bank.loads(text, name=name)
        named = (
            {k: v for k, v in bank["deck"].items() if isinstance(v, str)} if isinstance(bank.get("deck"), dict) else {}
        )
        questions = bank.get("questions")
    elif fmt == "gift":
        result = gift.parse(text, name=name, strict=strict)
        questions, named = result.questions, result.deck
        parsed.warnings, parsed.skipped = result.warnings, result.skipped
        parsed.where = {uid: f"{name}:{line}" for uid, line in result.lines.items()}
    else:
        questions = csv_bank.parse(text, name=name)
    if deck is None:
        deck, info = _named_deck(name=name, named=named, deck_slug=deck_slug, own_deck=own_deck)
        parsed.new_deck = deck is None
    else:
        info = _deck_info(deck)
    topics, sources = _deck_context(deck)
    if fmt == "json":
        bank["deck"] = info
    else:
        if fmt == "gift":
            topics = _merge_topics(topics, result.topics)
            _keep_what_gift_cannot_say(questions, deck, parsed.where)
            parsed.warnings += _cloze_parts_without_comment(questions, deck)
        _keep_safety_flags(questions, deck)
        parsed.warnings += _uids_of_other_decks(questions, deck, info["slug"], parsed.where)
        bank = {
            "format": json_bank.FORMAT,
            "version": json_bank.VERSION,
            "deck": info,
            "topics": topics,
            "sources": sources,
            "questions": questions,
        }
    if isinstance(questions, list) and len(questions) > MAX_IMPORT_QUESTIONS:
        raise BankError([Problem(name, f"{len(questions)} questions; at most {MAX_IMPORT_QUESTIONS} per import")])
    bank.setdefault("topics", topics)
    if isinstance(bank["topics"], list):  # otherwise validate() names the problem
        known = {t.get("slug") for t in bank["topics"] if isinstance(t, dict)}
        bank["topics"] += [t for t in topics if t["slug"] not in known]
    if isinstance(questions, list):
        parsed.review = _drafts_to_review(questions)
    problems = json_bank.validate(bank, drafts_follow_house_rules=False)
    parsed.images = images or {}
    problems += _images_not_here(bank, parsed.images)
    if problems:
        raise BankError([Problem(_where(name, p.where, parsed.where), p.message, p.field) for p in problems])
    parsed.bank = bank
    return parsed


def _read_bundle(*, name: str, content: bytes, **options) -> ParsedBank:
    """A zip of bank.json and images/: each image re-encoded as an upload is (what is not an
    image we take refuses the file, naming it), its references renamed when re-encoding
    changed its bytes, then bank.json read as a JSON bank."""
    if len(content) > MAX_IMPORT_BYTES:
        raise BankError([Problem(name, f"the file is {len(content):,} bytes; the limit is {MAX_IMPORT_BYTES:,}")])
    bank_json, raw = bundle.read_bundle(content, name=name)
    cleaned: dict[str, media.CleanImage] = {}
    problems = []
    for image, data in raw.items():
        try:
            cleaned[image] = media.clean_image(data)
        except InvalidInput as exc:
            problems.append(Problem(f"{name}: images/{image}", exc.message))
    if problems:
        raise BankError(problems)
    for old, clean in cleaned.items():
        if clean.name != old:  # re-encoding changed the bytes (a JPEG): the text follows the new name
            bank_json = bank_json.replace(f"img:{old}".encode(), f"img:{clean.name}".encode())
    parsed = read_bank_file(
        name=f"{name}/{bundle.BANK}",
        content=bank_json,
        fmt="json",
        images={clean.name: clean for clean in cleaned.values()},
        **options,
    )
    parsed.digest = hashlib.sha256(content).hexdigest()
    return parsed


def _bank_images(bank: dict) -> dict[str, list[str]]:
    """Image name -> uids of the bank's questions that place it."""
    placed: dict[str, list[str]] = {}
    questions = bank.get("questions")
    for q in questions if isinstance(questions, list) else []:  # anything else: validate() says so
        if isinstance(q, dict):
            for _field, text in json_bank.authored_texts(q):
                for image in image_names(text):
                    placed.setdefault(image, []).append(str(q.get("uid")))
    return placed


def _images_not_here(bank: dict, images: dict) -> list[Problem]:
    """Images the questions place that neither the file brings nor this site has."""
    placed = {n: uids for n, uids in _bank_images(bank).items() if n not in images}
    missing = media.not_stored(set(placed))
    return [
        Problem(uids[0], f"the image img:{image} is neither in the file nor on this site: import the .zip export")
        for image, uids in placed.items()
        if image in missing
    ]


def images_not_carried(*, deck: Deck, fmt: str) -> list[Problem]:
    """What an export in `fmt` leaves behind: the images its questions place (only the .zip
    and the .apkg carry images; the others keep the `![alt](img:...)` text)."""
    if fmt in CARRY_IMAGES:
        return []
    placed = _bank_images(export_bank(deck))
    return [
        Problem(
            ", ".join(uids),
            f"the image img:{image} is not in the {fmt.upper()} file (export 'JSON with images' (.zip) "
            "or .apkg to carry it)",
        )
        for image, uids in placed.items()
    ]


def _where(name: str, where: str, lines: dict[str, str]) -> str:
    return f"{lines[where]}: {where}" if where in lines else f"{name}: {where}"


def _drafts_to_review(questions: list) -> dict[str, list[Problem]]:
    """Questions breaking a house rule come in as drafts; their review notes."""
    notes = json_bank.review_notes(questions)
    for q in questions:
        if isinstance(q, dict) and q.get("uid") in notes and q.get("status") == "published":
            q["status"] = "draft"
            notes[q["uid"]].append(Problem(q["uid"], "it was published: it comes in as a draft until reviewed"))
    return notes


def _rename(q: dict, uid: str, where: dict[str, str]) -> None:
    if q["uid"] in where:
        where[uid] = where.pop(q["uid"])
    q["uid"] = uid


def _keep_what_gift_cannot_say(questions: list[dict], deck: Deck | None, where: dict[str, str]) -> None:
    """GIFT has no status: a question already in the deck keeps its own (and its tags, when the
    file has none), so re-importing an exported file never unpublishes anything. A uid the deck
    holds in other letter cases (GIFT names are read in lower case) is the deck's spelling."""
    if deck is None:
        return
    spelled = {uid.lower(): uid for uid in deck.questions.values_list("uid", flat=True)}
    for q in questions:
        _rename(q, spelled.get(q["uid"].lower(), q["uid"]), where)
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


def _keep_safety_flags(questions: list[dict], deck: Deck | None) -> None:
    """GIFT and CSV cannot say a question is safety-critical: one already in the deck keeps its
    flag (a JSON bank or bundle carries `safety_critical` and is taken as it says)."""
    if deck is None or not isinstance(questions, list):
        return
    uids = [q["uid"] for q in questions if isinstance(q, dict) and isinstance(q.get("uid"), str)]
    flagged = set(deck.questions.filter(uid__in=uids, safety_critical=True).values_list("uid", flat=True))
    for q in questions:
        if isinstance(q, dict) and q.get("uid") in flagged:
            q["safety_critical"] = True


def _cloze_parts_without_comment(questions: list[dict], deck: Deck | None) -> list[Problem]:
    """Short-answer questions named as our GIFT export names a cloze question's blanks, in a file
    that lost the `// cloze:` comment putting them back together (say, through Moodle)."""
    if deck is None:
        return []
    parts = {q["uid"]: m for q in questions if q["kind"] == "short" and (m := _CLOZE_PART.match(q["uid"]))}
    clozes = set(
        deck.questions.filter(kind="cloze", uid__in={m["uid"] for m in parts.values()}).values_list("uid", flat=True)
    )
    return [
        Problem(
            uid,
            f"{uid!r} is blank {m['number']} of the cloze question {m['uid']!r} as quizapp's GIFT export writes it, "
            "but the file has lost the '// cloze:' comment that puts it back together: it comes in as a new "
            "short-answer question",
        )
        for uid, m in parts.items()
        if m["uid"] in clozes
    ]


def _uids_of_other_decks(questions: list, deck: Deck | None, slug: str, where: dict[str, str]) -> list[Problem]:
    """A uid is one question across the site: a file's question named like another deck's
    (the same GIFT file imported into a second deck) takes the deck's slug in front."""
    uids = [q["uid"] for q in questions if isinstance(q, dict) and isinstance(q.get("uid"), str)]
    others = Question.objects.filter(uid__in=uids)
    if deck is not None:
        others = others.exclude(deck=deck)
    taken = set(others.values_list("uid", flat=True))
    if not taken:
        return []
    renamed = []
    used = set(uids)
    wanted = {short_uid(f"{slug}-{uid}") for uid in taken}
    elsewhere = Question.objects.filter(uid__in=wanted)
    used |= set((elsewhere.exclude(deck=deck) if deck is not None else elsewhere).values_list("uid", flat=True))
    for q in questions:
        if isinstance(q, dict) and q.get("uid") in taken:
            new = base = short_uid(f"{slug}-{q['uid']}")
            n = 1
            while new in used or (n > 1 and Question.objects.filter(uid=new).exclude(deck=deck).exists()):
                n += 1
                new = f"{base}-{n}"
            renamed.append(f"{q['uid']} -> {new}")
            used.add(new)
            _rename(q, new, where)
    listed = ", ".join(renamed[:5]) + (f" and {len(renamed) - 5} more" if len(renamed) > 5 else "")
    message = f"{len(renamed)} question uid(s) belong to another deck's questions, so these take the deck's name: "
    return [Problem("uids", message + listed)]


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
            raise _DryRun(load_bank(data=bank, owner=owner, retire_missing=False, drafts_follow_house_rules=False))
    except _DryRun as done:
        return done.report


@transaction.atomic
def apply_import(*, bank: dict, owner=None, new_deck: bool = False, images: dict | None = None) -> LoadReport:
    """The import, in one transaction. With new_deck=True (the preview promised a new deck),
    a deck that has appeared under that slug since is not imported into. `images` (a bundle's,
    ParsedBank.images) are stored first."""
    if new_deck and Deck.objects.filter(slug=bank["deck"]["slug"]).exists():
        raise BankError([Problem("deck", f"a deck {bank['deck']['slug']!r} was made meanwhile: upload the file again")])
    for clean in (images or {}).values():
        media.store_clean_image(clean, user=owner)
    return load_bank(data=bank, owner=owner, retire_missing=False, drafts_follow_house_rules=False)


def export_deck(*, deck: Deck, fmt: str, path=None, progress=None) -> str | int | bytes:
    """JSON/GIFT/CSV as text; the JSON with its images as zip bytes; Anki .apkg written to
    `path` with its images as media (returns the number of notes)."""
    bank = export_bank(deck)
    if fmt == "json":
        return json_bank.dumps(bank)
    if fmt == "zip":
        return bundle.write_bundle(json_bank.dumps(bank), _image_files(bank))
    if fmt == "gift":
        return gift.dump(bank)
    if fmt == "csv":
        return csv_bank.dump(bank)
    if fmt == "apkg":
        if path is None:
            raise ValueError("an .apkg export needs a path")
        return apkg.write_apkg(bank, path, progress=progress, media=_image_files(bank))
    raise ValueError(f"unknown export format {fmt!r}")


def _image_files(bank: dict) -> dict[str, bytes]:
    return {image: media.image_bytes(image) for image in _bank_images(bank)}
