"""Anki export (.apkg) with genanki, pure (no Django).

One note per question that is not retired, in bank order:

- cloze questions become notes of a cloze model (fields Text, Back Extra): our `{{c1::...}}`
  syntax is Anki's, so each deletion is one card;
- every other kind becomes a note of a basic model (fields Front, Back, Explanation, Source):
  Front is the prompt (plus the choices as a list for single / multiple / true-false), Back the
  correct answer(s) and each choice's feedback.

Note GUIDs are `genanki.guid_for(uid)` and the model and deck ids are fixed, so importing a
newer export into Anki updates the notes instead of duplicating them (review history kept).
Text is HTML-escaped; the Markdown subset of the bank is shown as written, except images:
`![alt](img:<name>)` becomes `<img src="<name>" alt="alt">` and the image goes into the package
as media (the `media` map Anki reads), so Anki shows it.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os
import re
import sqlite3
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import genanki

from cards.core.grading import cloze_deletions
from cards.core.images import image_name
from cards.interop.json_bank import BankError, Problem

Progress = Callable[[int, int], None]

# Fixed ids: Anki recognises the note types of a previous import by these.
BASIC_MODEL_ID = 1740213951
CLOZE_MODEL_ID = 1740213952
# Anki ids are 64-bit, genanki recommends deck / model ids in [2**30, 2**31).
ID_LOW, ID_SPAN = 1 << 30, 1 << 30
CHOICE_KINDS = ("single", "multiple", "truefalse")

CSS = """\
.card { font-family: sans-serif; font-size: 20px; text-align: left; color: black; background-color: white; }
.choices li, .feedback li { margin: 0.3em 0; }
.feedback .correct { color: #15803d; }
.explanation { margin-top: 1em; }
.source { margin-top: 1em; font-size: 14px; color: #555; }
.cloze { font-weight: bold; color: #1d4ed8; }
.nightMode .cloze { color: #93c5fd; }
"""

BASIC_MODEL = genanki.Model(
    BASIC_MODEL_ID,
    "quizapp basic",
    fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Explanation"}, {"name": "Source"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": (
                '{{FrontSide}}\n<hr id="answer">\n{{Back}}\n'
                '{{#Explanation}}<div class="explanation">{{Explanation}}</div>{{/Explanation}}\n'
                '{{#Source}}<div class="source">{{Source}}</div>{{/Source}}'
            ),
        }
    ],
    css=CSS,
)

CLOZE_MODEL = genanki.Model(
    CLOZE_MODEL_ID,
    "quizapp cloze",
    model_type=genanki.Model.CLOZE,
    fields=[{"name": "Text"}, {"name": "Back Extra"}],
    templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}", "afmt": "{{cloze:Text}}<br>\n{{Back Extra}}"}],
    css=CSS,
)


def deck_id(slug: str) -> int:
    """A stable Anki deck id for a deck slug."""
    digest = hashlib.sha1(slug.encode("utf-8"), usedforsecurity=False).hexdigest()
    return ID_LOW + int(digest, 16) % ID_SPAN


_IMAGE = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]\((img:[0-9a-f]{64}\.(?:png|jpg|webp))\)")


def _image_tag(match: re.Match) -> str:
    alt = match[1].replace("\\[", "[").replace("\\]", "]").replace("\\\\", "\\")
    return f'<img src="{image_name(match[2])}" alt="{alt}">'  # both already HTML-escaped


def text_html(text: str) -> str:
    return _IMAGE.sub(_image_tag, html.escape(text or "")).replace("\n", "<br>")


def citation(q: dict) -> str:
    """'source#passage: quote', or '' for a question without a citation."""
    source = q.get("source") or {}
    if not source.get("source"):
        return ""
    return f"{source['source']}#{source.get('passage', '')}: {source.get('quote', '')}"


def tags_for(q: dict) -> list[str]:
    """The question's tags and its topic, spaces as underscores (Anki splits tags on spaces)."""
    tags = []
    for tag in [*(q.get("tags") or []), q.get("topic") or ""]:
        tag = "_".join(tag.split())
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def front_html(q: dict) -> str:
    front = f'<div class="prompt">{text_html(q["prompt"])}</div>'
    if q["kind"] in CHOICE_KINDS:
        items = "".join(f"<li>{text_html(c['text'])}</li>" for c in q.get("choices", []))
        front += f'\n<ol class="choices" type="A">{items}</ol>'
    return front


def back_html(q: dict) -> str:
    kind = q["kind"]
    if kind == "flashcard":
        return f'<div class="answer">{text_html(q.get("back", ""))}</div>'
    if kind == "short":
        answers = q.get("answers") or []
        back = f'<div class="answer">{text_html(answers[0] if answers else "")}</div>'
        if len(answers) > 1:
            back += f'\n<div class="also">Also accepted: {text_html(", ".join(answers[1:]))}</div>'
        return back
    choices = q.get("choices", [])
    right = "<br>".join(text_html(c["text"]) for c in choices if c["correct"])
    back = f'<div class="answer">{right}</div>'
    feedback = "".join(
        f'<li class="{"correct" if c["correct"] else "wrong"}"><b>{text_html(c["text"])}</b>: '
        f"{text_html(c['feedback'])}</li>"
        for c in choices
        if (c.get("feedback") or "").strip()
    )
    if feedback:
        back += f'\n<ul class="feedback">{feedback}</ul>'
    return back


def note_for(q: dict, due: int = 0) -> genanki.Note:
    """The Anki note of one bank question."""
    source = citation(q)
    if q["kind"] == "cloze":
        extra = text_html(q.get("explanation", ""))
        if source:
            extra += f'<div class="source">{text_html(source)}</div>'
        fields = [text_html(q["prompt"]), extra]
        model = CLOZE_MODEL
    else:
        fields = [front_html(q), back_html(q), text_html(q.get("explanation", "")), text_html(source)]
        model = BASIC_MODEL
    return genanki.Note(
        model=model,
        fields=fields,
        sort_field=" ".join(q["prompt"].split()),  # plain text, as Anki's browser sorts by it
        tags=tags_for(q),
        guid=genanki.guid_for(q["uid"]),
        due=due,
    )


def _check(questions: list[dict]) -> None:
    problems = []
    for q in questions:
        kind = q.get("kind")
        if kind not in (*CHOICE_KINDS, "short", "flashcard", "cloze"):
            problems.append(Problem(q.get("uid", "?"), f"a {kind!r} question cannot be exported to Anki"))
        elif kind == "cloze" and not any(number > 0 for number in cloze_deletions(q.get("prompt", ""))):
            problems.append(Problem(q["uid"], "a cloze question needs at least one {{c1::...}} deletion"))
    if problems:
        raise BankError(problems)


def write_apkg(
    bank: dict, path: str | os.PathLike, *, progress: Progress | None = None, media: dict[str, bytes] | None = None
) -> int:
    """Write the bank's non-retired questions to an Anki package at `path`; the number of notes.

    `progress(done, total)` is called with (0, total) first, after each note, and with
    (total, total) once the file is complete. BankError (nothing written) for a question of
    an unknown kind or a cloze without deletions. `media` (file name -> bytes) are the images
    the notes show, written as Anki's numbered media files with their map."""
    questions = [q for q in bank.get("questions", []) if q.get("status") != "retired"]
    _check(questions)
    total = len(questions)
    deck_info = bank.get("deck") or {}
    slug = deck_info.get("slug") or "quizapp"
    deck = genanki.Deck(deck_id(slug), deck_info.get("title") or slug, text_html(deck_info.get("description", "")))
    deck.add_model(BASIC_MODEL)
    deck.add_model(CLOZE_MODEL)
    if progress:
        progress(0, total)

    # genanki's Package.write_to_file leaves its temporary database behind; this writes the same
    # package from a temporary directory that is removed, and reports progress note by note.
    with tempfile.TemporaryDirectory(prefix="quizapp-apkg-") as tmp:
        database = Path(tmp) / "collection.anki2"
        timestamp = time.time()
        ids = itertools.count(int(timestamp * 1000))
        connection = sqlite3.connect(database)
        try:
            cursor = connection.cursor()
            genanki.Package(deck).write_to_db(cursor, timestamp, ids)  # schema, deck and models
            for done, q in enumerate(questions, start=1):
                note_for(q, due=done).write_to_db(cursor, timestamp, deck.deck_id, ids)
                if progress and done < total:
                    progress(done, total)
            connection.commit()
        finally:
            connection.close()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as package:
            package.write(database, "collection.anki2")
            names = sorted(media or {})
            for number, name in enumerate(names):
                package.writestr(str(number), media[name])
            package.writestr("media", json.dumps({str(number): name for number, name in enumerate(names)}))
    if progress:
        progress(total, total)
    return total
