"""Uploaded images: validated, re-encoded so that nothing but pixels survives, and stored.

An upload is refused when it is larger than MAX_IMAGE_BYTES (before it is read whole), when it
is not a PNG, JPEG or WebP image (an SVG is refused by name: it can carry scripts), and when its
dimensions pass MAX_IMAGE_PIXELS (a decompression bomb: a small file that unpacks to gigabytes).
What is kept is not the file but its pixels, decoded and encoded again by Pillow: metadata
(PNG text chunks, EXIF, ICC profiles, comments), extra frames and bytes appended after the image
(a polyglot's ZIP or HTML) are all gone. The re-encoded bytes are stored through Django's
storage API under their SHA-256 (cards.models.media)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from cards.core.images import CONTENT_TYPES, EXTENSIONS, STORAGE_FOLDER, image_names
from cards.errors import InvalidInput
from cards.interop.json_bank import Problem, authored_texts
from cards.models import QuestionImage

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 16_000_000  # 4000 x 4000: a structure or a graph never needs more
MAX_IMAGE_SIDE = 8000
MAX_ALT_CHARS = 300
_PLAIN_MODES = {"L", "LA", "RGB", "RGBA"}


@dataclass(frozen=True)
class CleanImage:
    data: bytes  # the re-encoded image, nothing else
    extension: str  # png, jpg, webp
    width: int
    height: int

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()}.{self.extension}"


def _refuse(message: str, code: str = "invalid_image", field: str = "image") -> InvalidInput:
    return InvalidInput(message, code=code, field=field)


def _plain(image: Image.Image, fmt: str) -> Image.Image:
    """The first frame's pixels, upright, in a plain mode, with no metadata attached."""
    image.seek(0)
    try:
        image = ImageOps.exif_transpose(image) or image  # keep the orientation the EXIF said, then drop the EXIF
    except Exception:  # noqa: BLE001 - a malformed EXIF block: the pixels as stored, upright or not
        image.load()
    if image.mode not in _PLAIN_MODES:
        has_alpha = (image.mode == "P" and "transparency" in image.info) or image.mode.endswith("A")
        image = image.convert("RGBA" if has_alpha else "RGB")
    if fmt == "JPEG" and image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())  # pixels only: no info, no EXIF


def clean_image(data: bytes, *, field: str = "image") -> CleanImage:
    """`data` decoded and encoded again (InvalidInput naming `field` if it is not an image we take)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise _refuse(f"The image is {len(data):,} bytes; at most {MAX_IMAGE_BYTES:,}.", "image_too_large", field)
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise _refuse("SVG images are not accepted (they can carry scripts): export it as PNG.", "svg_refused", field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(EXTENSIONS)) as image:
                fmt = image.format or ""
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_IMAGE_SIDE:
                    raise _refuse(
                        f"The image is {width} x {height} pixels; at most {MAX_IMAGE_PIXELS:,} pixels "
                        f"and {MAX_IMAGE_SIDE} on a side.",
                        "image_too_large",
                        field,
                    )
                plain = _plain(image, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _refuse("The image's dimensions are too large to open safely.", "image_too_large", field) from exc
    except UnidentifiedImageError as exc:
        raise _refuse("Not a PNG, JPEG or WebP image.", "invalid_image", field) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise _refuse(f"The image is damaged or cut short ({exc}).", "invalid_image", field) from exc
    out = io.BytesIO()
    if fmt == "PNG":
        plain.save(out, "PNG")
    elif fmt == "JPEG":
        plain.save(out, "JPEG", quality=90)
    else:
        plain.save(out, "WEBP", quality=90)
    return CleanImage(out.getvalue(), EXTENSIONS[fmt], plain.width, plain.height)


def store_clean_image(clean: CleanImage, *, user=None) -> QuestionImage:
    """The stored image of these bytes (stored now unless it already is)."""
    existing = QuestionImage.objects.filter(name=clean.name).first()
    if existing is not None:
        return existing
    path = f"{STORAGE_FOLDER}/{clean.name}"
    if not default_storage.exists(path):
        saved = default_storage.save(path, ContentFile(clean.data))
        if saved != path:  # written meanwhile by another upload of the same picture: keep that one
            default_storage.delete(saved)
    image, _ = QuestionImage.objects.get_or_create(
        name=clean.name,
        defaults={
            "content_type": CONTENT_TYPES[clean.extension],
            "width": clean.width,
            "height": clean.height,
            "size": len(clean.data),
            "uploaded_by": user,
        },
    )
    return image


@dataclass(frozen=True)
class Uploaded:
    image: QuestionImage
    markdown: str  # `![alt](img:<name>)`, for the editor to insert


@transaction.atomic
def upload_image(*, upload, alt: str, user) -> Uploaded:
    """Store an uploaded file (a Django UploadedFile) as an image authored text can place,
    with its alt text (required). The declared size is checked before anything is read, and
    at most one byte more than the limit is ever read."""
    _check_alt(alt)
    size = getattr(upload, "size", None)
    if size is None or size > MAX_IMAGE_BYTES:
        shown = f"{size:,} bytes" if size is not None else "of unknown size"
        raise _refuse(f"The image is {shown}; at most {MAX_IMAGE_BYTES:,} bytes.", "image_too_large")
    data = upload.read(MAX_IMAGE_BYTES + 1)
    image = store_clean_image(clean_image(data), user=user)
    return Uploaded(image, image_markdown(image, alt=alt))


def _check_alt(alt: str) -> str:
    alt = " ".join((alt or "").split())
    if not alt:
        raise _refuse(
            "Alt text is required: say what the image shows (for students using a screen reader).",
            "alt_required",
            "alt",
        )
    if len(alt) > MAX_ALT_CHARS:
        raise _refuse(f"Alt text is {len(alt)} characters; at most {MAX_ALT_CHARS}.", "alt_too_long", "alt")
    return alt


def image_markdown(image: QuestionImage, *, alt: str) -> str:
    """What the editor inserts: `![alt](img:<name>)` (InvalidInput if the alt text is empty)."""
    alt = _check_alt(alt).replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return f"![{alt}](img:{image.name})"


def missing_images(texts: list[str]) -> list[str]:
    """Names of images the texts place that are not stored here."""
    return sorted(not_stored({name for text in texts for name in image_names(text)}))


def not_stored(names: set[str]) -> set[str]:
    """Those of `names` that no stored image has."""
    if not names:
        return set()
    return names - set(QuestionImage.objects.filter(name__in=names).values_list("name", flat=True))


def image_bytes(name: str) -> bytes:
    """The stored bytes of an image (for an export)."""
    with default_storage.open(f"{STORAGE_FOLDER}/{name}", "rb") as handle:
        return handle.read()


def unknown_image_problems(q: dict) -> list[Problem]:
    """A question placing an image that was never uploaded here, per field."""
    problems = []
    for field, text in authored_texts(q):
        problems += [
            Problem(q.get("uid", ""), f"the image img:{name} is not uploaded here: upload it again", field)
            for name in missing_images([text])
        ]
    return problems


def image_url(name: str) -> str:
    """Where the image is served (the storage's URL: MEDIA_URL, or the bucket's)."""
    return default_storage.url(f"{STORAGE_FOLDER}/{name}")
