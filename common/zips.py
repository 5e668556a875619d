"""Reading a zip from elsewhere without trusting it: one set of checks for every upload.

A zip's table of contents says how big each member is once inflated, and that can lie;
a small zip can inflate to terabytes (a zip bomb). So a zip is refused before anything
is inflated when its table says too much (``check_member``: names, encryption,
compression, declared size and ratio), and every read is bounded whatever the table
says (``read_member``: inflated a piece at a time, counted, stopped past the bound).

Used by the project archive's restore (``annotate/exchange/archive_checks.py``) and by
the article upload (``corpus/uploads.py``).
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable

from django.core.exceptions import ValidationError

# Text deflates 5-20-fold; a member inflating more than this is a bomb.
MAX_RATIO = 200
# Below this size a member may inflate as much as it likes (a tiny file of spaces).
RATIO_FROM_BYTES = 1024**2
READ_BYTES = 1024**2

ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


def unsafe_name(name: str) -> bool:
    """A member name that could write outside a folder or fool a reader (an absolute
    path, ``..``, a drive, a backslash, a NUL)."""
    return (
        name.startswith(("/", "\\"))
        or "\\" in name
        or ":" in name
        or "\0" in name
        or ".." in name.split("/")
    )


def check_ratio(info: zipfile.ZipInfo) -> None:
    """Refuse a member over ``RATIO_FROM_BYTES`` that declares it inflates more than
    ``MAX_RATIO``-fold."""
    if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(
        info.compress_size, 1
    ):
        raise ValidationError(
            f"{info.filename} inflates {info.file_size // max(info.compress_size, 1):,}-fold "
            f"(to {info.file_size:,} bytes): refused as a zip bomb."
        )


def check_member(info: zipfile.ZipInfo, *, max_bytes: int, setting: str = "") -> None:
    """One member's table entry: a safe name, not encrypted, stored or deflated, at most
    ``max_bytes`` declared, no bomb's ratio. Reads nothing."""
    name = info.filename
    if unsafe_name(name):
        raise ValidationError(f"The zip holds a member with an unsafe name, “{name}”.")
    if info.flag_bits & 0x1:
        raise ValidationError(f"{name} is encrypted.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValidationError(
            f"{name} is compressed with method {info.compress_type}; use deflate."
        )
    if info.file_size > max_bytes:
        named = f" ({setting})" if setting else ""
        raise ValidationError(
            f"{name} inflates to {info.file_size:,} bytes, over the limit of {max_bytes:,}{named}."
        )
    check_ratio(info)


def read_member(
    archive: zipfile.ZipFile,
    name: str,
    *,
    max_bytes: int,
    count: Callable[[int], None] | None = None,
) -> bytes:
    """The member's bytes, inflated a piece at a time and refused past ``max_bytes``
    whatever the zip declares; ``count`` is told each piece's size (for a bound on the
    whole zip). ``ValidationError`` for a damaged member."""
    parts: list[bytes] = []
    size = 0
    try:
        with archive.open(name) as handle:
            # zipfile inflates as much as one read asks for, even past the declared size.
            while piece := handle.read(min(READ_BYTES, max_bytes + 1 - size)):
                parts.append(piece)
                size += len(piece)
                if count is not None:
                    count(len(piece))
                if size > max_bytes:
                    raise ValidationError(f"{name} inflates to more than {max_bytes:,} bytes.")
    except KeyError as exc:
        raise ValidationError(f"The zip has no {name}.") from exc
    except ZIP_ERRORS as exc:
        raise ValidationError(f"{name} is damaged: {exc}.") from exc
    return b"".join(parts)
