"""Images in authored Markdown, pure: how text refers to an uploaded image, and what is wrong
with an image reference.

An image is written `![alt text](img:<name>)`, where <name> is the stored image's name (the
SHA-256 of its bytes and its extension, as cards.services.media stores it). Nothing else is
shown as an image: an external URL, a data: URL or a path on the server shows its alt text.
The alt text is required: a student using a screen reader gets the structure or the graph in
words."""

from __future__ import annotations

import re

STORAGE_FOLDER = "question-images"  # under the storage's root (MEDIA_ROOT by default)
SCHEME = "img:"
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}  # Pillow format -> file extension
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
NAME = re.compile(r"^[0-9a-f]{64}\.(?:png|jpg|webp)$")

# Markdown image syntax, as far as authors write it: ![alt](target "optional title")
_IMAGE = re.compile(r"!\[(?P<alt>(?:[^\]\\]|\\.)*)\]\(\s*<?(?P<target>[^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")


def image_refs(text: str) -> list[tuple[str, str]]:
    """(alt, target) of each Markdown image in `text`, in order."""
    return [(m["alt"], m["target"]) for m in _IMAGE.finditer(text or "")]


def image_name(target: str) -> str | None:
    """The stored image's name an `img:<name>` target names, or None for any other target."""
    if not target.startswith(SCHEME):
        return None
    name = target[len(SCHEME) :]
    return name if NAME.match(name) else None


def image_names(text: str) -> list[str]:
    """Names of the uploaded images `text` places, in order, without repeats."""
    names: list[str] = []
    for _alt, target in image_refs(text):
        name = image_name(target)
        if name and name not in names:
            names.append(name)
    return names


def image_problems(text: str) -> list[str]:
    """What is wrong with the uploaded images of one authored text: one without alt text. An
    image from anywhere else (an external or data: URL) is no error: it is never fetched, the
    text shows its alt text (cards.core.rendering)."""
    problems = []
    for alt, target in image_refs(text):
        if image_name(target) is not None and not alt.strip():
            problems.append(
                f"the image {target[:16]}... needs alt text: write what it shows between the brackets, "
                "![like this](img:...)"
            )
    return problems


def rename_images(text: str, renamed: dict[str, str]) -> str:
    """`text` with each `img:<old>` reference that `renamed` lists pointing at its new name."""
    if not renamed or not text:
        return text

    def swap(match: re.Match) -> str:
        name = image_name(match["target"])
        if name not in renamed:
            return match[0]
        return match[0].replace(SCHEME + name, SCHEME + renamed[name])

    return _IMAGE.sub(swap, text)
