"""The JSON bank with its images: a zip holding `bank.json` (the quizapp bank, as the JSON
export writes it) and `images/<name>` for each image its questions place (`![alt](img:<name>)`).
Pure: bytes in, bytes out.

Reading is guarded as an upload must be: at most MAX_ENTRIES entries, no entry or total
larger than the limits once unpacked (a zip bomb stops there), names only `bank.json` and
`images/<sha256>.<png|jpg|webp>` (no paths, no `..`). The images' bytes are not trusted here:
the importer re-encodes each one as an upload is (cards.services.media)."""

from __future__ import annotations

import io
import zipfile

from cards.core.images import NAME
from cards.interop.json_bank import BankError, Problem

BANK = "bank.json"
IMAGES = "images/"
MAX_ENTRIES = 501
MAX_ENTRY_BYTES = 5 * 1024 * 1024  # unpacked: bank.json's limit is the import's; an image's is less
MAX_TOTAL_BYTES = 50 * 1024 * 1024


def write_bundle(bank_json: str, images: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(BANK, bank_json)
        for name in sorted(images):
            bundle.writestr(IMAGES + name, images[name], compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def read_bundle(content: bytes, *, name: str) -> tuple[bytes, dict[str, bytes]]:
    """(bank.json's bytes, {image name: bytes}) of a bundle, or BankError naming every problem."""
    try:
        bundle = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise BankError([Problem(name, f"not a zip file ({exc})")]) from exc
    with bundle:
        entries = [info for info in bundle.infolist() if not info.is_dir()]
        problems = _entry_problems(entries, name)
        if problems:
            raise BankError(problems)
        try:
            files = {info.filename: _read(bundle, info) for info in entries}
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise BankError([Problem(name, f"the zip file is damaged ({exc})")]) from exc
    bank = files.pop(BANK)
    return bank, {path[len(IMAGES) :]: data for path, data in files.items()}


def _entry_problems(entries: list[zipfile.ZipInfo], name: str) -> list[Problem]:
    if len(entries) > MAX_ENTRIES:
        return [Problem(name, f"{len(entries)} files in the zip; at most {MAX_ENTRIES}")]
    problems = []
    names = [info.filename for info in entries]
    if BANK not in names:
        problems.append(Problem(name, f"the zip has no {BANK} (export a deck as 'JSON with images' to see the layout)"))
    for info in entries:
        where = f"{name}: {info.filename}"
        if info.filename != BANK and not (
            info.filename.startswith(IMAGES) and NAME.match(info.filename[len(IMAGES) :])
        ):
            problems.append(Problem(where, f"unexpected file: a bundle holds {BANK} and images/<sha256>.png|jpg|webp"))
        elif info.file_size > MAX_ENTRY_BYTES:
            problems.append(Problem(where, f"{info.file_size:,} bytes unpacked; at most {MAX_ENTRY_BYTES:,}"))
    total = sum(info.file_size for info in entries)
    if total > MAX_TOTAL_BYTES:
        problems.append(Problem(name, f"{total:,} bytes unpacked; at most {MAX_TOTAL_BYTES:,}"))
    return problems


def _read(bundle: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The entry's bytes, never more than it declared (a lying header does not unpack a bomb)."""
    with bundle.open(info) as handle:
        data = handle.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise ValueError(f"{info.filename} is larger than it says")
    return data
