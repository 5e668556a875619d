"""Files uploaded through the browser or the API, ready for ``corpus.importers``.

An upload is one or more files; a ``.zip`` among them stands for the supported files in
it (folders inside are kept in the name: ``batch.zip/ru/one.txt``; hidden files and
``__MACOSX/`` are skipped). Every file is bounded before it is read:

- each file, and each file in a zip, at most ``CLAIMDESK_MAX_UPLOAD_FILE_BYTES``;
- the whole upload at most ``CLAIMDESK_MAX_UPLOAD_BYTES`` (zips counted inflated) and
  ``CLAIMDESK_MAX_UPLOAD_FILES`` files;
- a zip is checked by ``common.zips`` (unsafe names, encryption, the ratio of a zip bomb)
  before anything in it is inflated, and each member is read with its bound whatever the
  zip declares.

A file that breaks a bound or is not supported becomes an ``UploadFile`` with its
``problem``: it is reported beside the others, which go on. Only a bound of the whole
upload (too many files, too many bytes all together) refuses the upload at once.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from common import zips
from corpus.formats import SUPPORTED_SUFFIXES, unsupported_reason

ZIP_SUFFIX = ".zip"
ACCEPTED_SUFFIXES = (*SUPPORTED_SUFFIXES, ZIP_SUFFIX)


@dataclass(frozen=True)
class UploadFile:
    """One file to import: the name to store as ``Article.source_file``, its bytes, and
    why it cannot be imported when that is known before reading it."""

    name: str
    data: bytes = b""
    problem: str = ""


@dataclass(frozen=True)
class Bounds:
    file_bytes: int
    total_bytes: int
    files: int

    @classmethod
    def from_settings(cls) -> Bounds:
        return cls(
            file_bytes=int(settings.CLAIMDESK_MAX_UPLOAD_FILE_BYTES),
            total_bytes=int(settings.CLAIMDESK_MAX_UPLOAD_BYTES),
            files=int(settings.CLAIMDESK_MAX_UPLOAD_FILES),
        )


def safe_name(name: str) -> str:
    """A file name fit to show and store: printable characters only, NFC, at most 500."""
    name = unicodedata.normalize("NFC", name or "")
    kept = "".join(ch for ch in name if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    return kept.strip()[:500] or "upload"


def _too_big(size: int, bounds: Bounds) -> str:
    return (
        f"the file has {size:,} bytes; the limit is {bounds.file_bytes:,} "
        "(CLAIMDESK_MAX_UPLOAD_FILE_BYTES)"
    )


class _Tally:
    """The upload's files and bytes so far, against the bounds of the whole upload."""

    def __init__(self, bounds: Bounds) -> None:
        self.bounds, self.files, self.bytes = bounds, 0, 0

    def file(self) -> None:
        self.files += 1
        if self.files > self.bounds.files:
            raise ValidationError(
                f"The upload has more than {self.bounds.files:,} files "
                "(CLAIMDESK_MAX_UPLOAD_FILES): split it."
            )

    def add(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.bounds.total_bytes:
            raise ValidationError(
                f"The upload holds more than {self.bounds.total_bytes:,} bytes all together "
                "(CLAIMDESK_MAX_UPLOAD_BYTES; zips counted inflated): split it."
            )


def _hidden(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _from_zip(name: str, data: bytes, bounds: Bounds, tally: _Tally) -> list[UploadFile]:
    """The files in a zip, each with its bytes or its problem; a zip that cannot be read,
    or whose table of contents already shows a bomb, is one file with the problem."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except zips.ZIP_ERRORS as exc:
        return [UploadFile(name, problem=f"not a readable zip file ({exc})")]
    members = [info for info in infos if not info.is_dir() and not _hidden(info.filename)]
    declared = sum(info.file_size for info in members)
    # The whole zip's table is checked first: one bomb member refuses the zip.
    try:
        for info in members:
            zips.check_ratio(info)
    except ValidationError as exc:
        return [UploadFile(name, problem=" ".join(exc.messages))]
    if tally.bytes + declared > bounds.total_bytes:
        return [
            UploadFile(
                name,
                problem=f"the zip inflates to {declared:,} bytes; an upload may hold "
                f"{bounds.total_bytes:,} (CLAIMDESK_MAX_UPLOAD_BYTES): split it",
            )
        ]
    found: list[UploadFile] = []
    with archive:
        for info in members:
            inner = safe_name(f"{name}/{info.filename}")
            tally.file()
            if zips.unsafe_name(info.filename):
                found.append(UploadFile(inner, problem="an unsafe name inside the zip"))
                continue
            problem = unsupported_reason(info.filename)
            if problem:
                found.append(UploadFile(inner, problem=problem))
                continue
            try:
                zips.check_member(info, max_bytes=bounds.file_bytes)
                content = zips.read_member(
                    archive, info.filename, max_bytes=bounds.file_bytes, count=tally.add
                )
            except ValidationError as exc:
                found.append(UploadFile(inner, problem=" ".join(exc.messages)))
                continue
            found.append(UploadFile(inner, content))
    return found


def expand(files: Iterable[tuple[str, Any]], bounds: Bounds | None = None) -> list[UploadFile]:
    """The files to import from ``(name, file)`` pairs (an uploaded file, or bytes),
    zips opened; see the module docstring for the bounds. ``ValidationError`` when the
    whole upload is over a bound."""
    bounds = bounds or Bounds.from_settings()
    tally = _Tally(bounds)
    found: list[UploadFile] = []
    for raw_name, upload in files:
        name = safe_name(raw_name)
        size = len(upload) if isinstance(upload, bytes) else int(upload.size or 0)
        is_zip = name.lower().endswith(ZIP_SUFFIX)
        if not is_zip:
            tally.file()
        limit = bounds.total_bytes if is_zip else bounds.file_bytes
        if size > limit:
            problem = (
                f"the zip has {size:,} bytes; the limit is {limit:,} (CLAIMDESK_MAX_UPLOAD_BYTES)"
                if is_zip
                else _too_big(size, bounds)
            )
            found.append(UploadFile(name, problem=problem))
            continue
        problem = "" if is_zip else unsupported_reason(name)
        if problem:
            found.append(UploadFile(name, problem=problem))
            continue
        data = upload if isinstance(upload, bytes) else upload.read(limit + 1)
        if len(data) > limit:  # the size declared was wrong
            found.append(UploadFile(name, problem=_too_big(len(data), bounds)))
            continue
        if is_zip:
            found.extend(_from_zip(name, data, bounds, tally))
        else:
            tally.add(len(data))
            found.append(UploadFile(name, data))
    if not found:
        raise ValidationError({"files": "Choose at least one file."})
    return found
