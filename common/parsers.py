"""The API's JSON parser (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``): DRF's, reading
with ``loads_bounded`` so that nesting deeper than 64 levels, ``NaN``, ``1e999`` and
over-long integers are a JSON 400 ("JSON parse error - …"), never a ``RecursionError``.
``DiskMultiPartParser``: DRF's multipart parser with the files written to disk as they
arrive, for uploads that are read line by line (the annotation import).
``InMemoryMultiPartParser``: DRF's, with fewer copies of a body held in memory anyway (the
article upload)."""

from __future__ import annotations

import io
import itertools
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http import QueryDict, multipartparser
from django.http.multipartparser import FIELD, RAW, LazyStream, MultiPartParserError
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_str
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from common.jsonload import loads_bounded


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # DRF's check of the charset (text codecs only: no bz2_codec bombs); not in the stubs.
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            return loads_bounded(stream.read().decode(encoding))
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None


class DiskMultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, every uploaded file written to a temporary file as it
    arrives (``TemporaryFileUploadHandler``), never held in memory whatever its size: the
    view reads it from there, line by line."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {})["request"]
        django_request = request._request
        django_request.upload_handlers = [TemporaryFileUploadHandler(django_request)]
        return super().parse(stream, media_type, parser_context)


class InMemoryMultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, with a shorter way for a body held in memory anyway.

    When Django would keep the upload in memory (the body no larger than
    ``FILE_UPLOAD_MAX_MEMORY_SIZE``, the default upload handlers) the body is read in one
    piece and cut at its boundaries; each file's bytes are one slice of it, which the
    view's ``read()`` gets back without another copy. Django's parser copied a 6.7 MB
    upload four times on the way (64 KB chunks through its lazy stream, a ``BytesIO``
    grown chunk by chunk, ``read()``): ~10 ms of a 1,000-document upload (issue 21).

    Only a plainly formed body goes that way (``_plain_parts``): every part between two
    CRLF-delimited boundaries, no boundary text elsewhere, headers parsed by Django's own
    function, no transfer encoding, within Django's limits on fields, files and field
    bytes. Anything else — and anything Django would refuse — is handed to Django's
    parser as the bytes already read, for its result or its error."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        handlers = request.upload_handlers
        encoding = parsers.get_encoding(parser_context)  # type: ignore[attr-defined]
        try:
            django_parser = DjangoMultiPartParser(meta, stream, handlers, encoding)
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from None
        length = django_parser._content_length  # type: ignore[attr-defined]
        if (
            stream is None
            or not 0 < length <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE
            or [type(h) for h in handlers] != _DEFAULT_HANDLERS
        ):
            return super().parse(stream, media_type, parser_context)
        body = stream.read(length)
        found = _plain_parts(body, django_parser, encoding)
        if found is not None:
            return parsers.DataAndFiles(*found)
        return super().parse(io.BytesIO(body), media_type, parser_context)


_DEFAULT_HANDLERS = [MemoryFileUploadHandler, TemporaryFileUploadHandler]
# Django's own header reading and its bound (not in django-stubs).
parse_boundary_stream = multipartparser.parse_boundary_stream  # type: ignore[attr-defined]
MAX_TOTAL_HEADER_SIZE: int = multipartparser.MAX_TOTAL_HEADER_SIZE  # type: ignore[attr-defined]
_MAX_PARTS = 16  # more parts than an upload form has: Django's parser


def _plain_parts(
    body: bytes, django_parser: DjangoMultiPartParser, encoding: str
) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
    """The fields and files of ``body`` as Django's parser gives them, or None when the
    body is not plainly formed (see ``InMemoryMultiPartParser``)."""
    dash = b"--" + django_parser._boundary  # type: ignore[attr-defined]
    starts: list[int] = []
    at = body.find(dash)
    while at >= 0:
        starts.append(at)
        if len(starts) > _MAX_PARTS + 1:
            return None
        at = body.find(dash, at + len(dash))
    # --B CRLF part CRLF --B CRLF part … CRLF --B-- [CRLF], and --B nowhere else.
    if len(starts) < 2 or starts[0] != 0 or body[starts[-1] + len(dash) :] not in _CLOSING:
        return None
    post: QueryDict = QueryDict(mutable=True)
    files: MultiValueDict[str, Any] = MultiValueDict()
    fields = field_bytes = n_files = 0
    for start, end in itertools.pairwise(starts):
        head = start + len(dash)
        if body[head : head + 2] != b"\r\n" or body[end - 2 : end] != b"\r\n":
            return None
        head += 2
        # Within the part, before the CRLF that ends it (Django reads the headers from
        # the part's first 1,024 bytes: past them, its error).
        header_end = body.find(b"\r\n\r\n", head, min(head + MAX_TOTAL_HEADER_SIZE, end - 2))
        if header_end < 0:
            return None
        kind, headers, _ = parse_boundary_stream(
            LazyStream(iter([body[head : header_end + 4]])),  # type: ignore[arg-type]
            MAX_TOTAL_HEADER_SIZE,
        )
        if kind == RAW or "content-transfer-encoding" in headers:
            return None
        try:
            name = force_str(
                headers["content-disposition"][1]["name"].strip(), encoding, errors="replace"
            )
        except (KeyError, IndexError, AttributeError):
            return None
        content = body[header_end + 4 : end - 2]
        if kind == FIELD:
            fields += 1
            field_bytes += len(content) + len(name) + 2
            if (
                settings.DATA_UPLOAD_MAX_NUMBER_FIELDS is not None
                and fields > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            ) or (
                settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None
                and field_bytes > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            ):
                return None  # Django's parser says what is wrong
            post.appendlist(name, force_str(content, encoding, errors="replace"))
            continue
        n_files += 1
        if (
            settings.DATA_UPLOAD_MAX_NUMBER_FILES is not None
            and n_files > settings.DATA_UPLOAD_MAX_NUMBER_FILES
        ):
            return None
        file_name = django_parser.sanitize_file_name(
            force_str(headers["content-disposition"][1]["filename"], encoding, errors="replace")
        )
        if not file_name:
            continue
        content_type, content_type_extra = headers.get("content-type", ("", {}))
        files.appendlist(
            name,
            InMemoryUploadedFile(
                file=io.BytesIO(content),  # read() hands back ``content`` itself
                field_name=name,
                name=file_name,
                content_type=content_type.strip(),
                size=len(content),
                charset=content_type_extra.get("charset"),
                content_type_extra=content_type_extra,
            ),
        )
    post._mutable = False
    return post, files


_CLOSING = (b"--", b"--\r\n")
