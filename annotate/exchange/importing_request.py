"""What the Import page and the import API both do with an uploaded annotation file: the
size limit, the format (given, or guessed from the name and content), the mapping (brat,
Label Studio, doccano), the target (an annotator's claims or suggestions), and the report
in one plain shape to show or send.

Who may import is the callers' business (``annotate.exchange.import_views``): this module is
below the views and knows no request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from annotate.exchange.importing import BratOptions, ImportReport, import_annotations
from annotate.exchange.importing_brat import mapping_from_text
from annotate.exchange.importing_files import (
    BRAT,
    FORMATS,
    Content,
    decode,
    guess_format,
    head,
    printable,
)
from annotate.exchange.importing_suggestions import default_suggester_name, import_suggestions
from annotate.suggest.imported import suggester_name_clean
from corpus.models import Project
from corpus.permissions import role_in

if TYPE_CHECKING:
    from django.contrib.auth.models import User

AUTO = "auto"
FORMAT_CHOICES = (AUTO, *FORMATS)
CLAIMS, SUGGESTIONS = "claims", "suggestions"


def max_bytes() -> int:
    """The largest file the page and the API take (bigger ones: ``manage.py``)."""
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def check_size(size: int | None) -> None:
    if size is not None and size > max_bytes():
        raise ValidationError(
            {
                "file": f"The file has {size:,} bytes; the limit here is {max_bytes():,}. "
                "Split it, or import it with manage.py import_annotations."
            }
        )


@dataclass(frozen=True)
class ImportRequest:
    """One import as a person asked for it: the file and the choices of the form."""

    file_name: str
    data: Content  # JSON Lines from a file are read line by line
    fmt: str = AUTO
    annotator: str = ""  # a username: import as their claims
    as_suggestions: bool = False
    suggester: str = ""  # default: import:<file name>
    partial: bool = False
    dry_run: bool = False
    # brat, Label Studio, doccano: texts the project lacks become articles (the callers
    # allow it to managers).
    create_articles: bool = False
    # brat, Label Studio, doccano: the mapping file's text and name (.json or .toml).
    mapping: str = ""
    mapping_name: str = "mapping.json"


@dataclass
class ImportOutcome:
    report: ImportReport
    request: ImportRequest
    fmt: str
    target: str  # CLAIMS or SUGGESTIONS
    annotator: str | None
    suggester: str | None

    @property
    def refused(self) -> bool:
        """Nothing was written because items were rejected (not a dry run, not partial)."""
        return bool(self.report.rejected) and not self.request.partial and not self.request.dry_run

    def as_dict(self) -> dict[str, Any]:
        report = self.report
        return {
            "file": self.request.file_name,
            "format": self.fmt,
            "target": self.target,
            "annotator": self.annotator,
            "suggester": self.suggester,
            "dry_run": self.request.dry_run,
            "partial": self.request.partial,
            "written": report.written,
            "created": report.created,
            "skipped": report.skipped,
            "assigned": report.assigned,
            "articles_created": report.articles_created,
            "sources_created": report.sources_created,
            "rejected": [{"where": r.where, "reasons": list(r.reasons)} for r in report.rejected],
            "warnings": list(report.warnings),
        }


MAPPING_MAX_BYTES = 64 * 1024


def mapping_text(data: bytes | str, size: int | None = None) -> str:
    """An uploaded mapping file's text: at most 64 KiB of UTF-8 (``ValidationError`` keyed
    ``mapping`` otherwise)."""
    size = size if size is not None else len(data)
    if size > MAPPING_MAX_BYTES:
        raise ValidationError(
            {"mapping": f"The mapping has {size:,} bytes; at most {MAPPING_MAX_BYTES:,}."}
        )
    try:
        return decode(data)
    except ValidationError as error:
        raise _on_field("mapping", error) from error


def safe_file_name(name: str | None) -> str:
    """The name as it may be shown and stored: printable, at most 200 characters."""
    return "".join(ch for ch in printable(name or "") if ch.isprintable())[:200] or "upload"


def _on_field(name: str, error: ValidationError) -> ValidationError:
    return error if hasattr(error, "error_dict") else ValidationError({name: error.messages})


def _size(data: Content) -> int:
    if isinstance(data, bytes):
        return len(data)
    if isinstance(data, str):
        return len(data.encode("utf-8", "surrogatepass"))
    size = data.seek(0, 2)
    data.seek(0)
    return size


def run_import(*, project: Project, request: ImportRequest, actor: User) -> ImportOutcome:
    """Import the file as the request says (the caller checked who may). ``ValidationError``
    keyed by the form's fields (``file``, ``format``, ``annotator``, ``suggester``) for a
    request that can't be carried out; otherwise the outcome, whose report lists the
    rejected items."""
    if request.fmt not in FORMAT_CHOICES:
        raise ValidationError({"format": f"Choose one of: {', '.join(FORMAT_CHOICES)}."})
    if request.as_suggestions == bool(request.annotator):
        raise ValidationError(
            {"annotator": "Choose an annotator to import claims for, or import as suggestions."}
        )
    # The cheap checks of the request first, then the file.
    user = suggester = None
    if request.as_suggestions:
        suggester = suggester_name_clean(
            request.suggester.strip() or default_suggester_name(request.file_name)
        )
    else:
        user = get_user_model().objects.filter(username=request.annotator).first()
        if user is None or role_in(user, project) is None:
            raise ValidationError(
                {"annotator": f"“{request.annotator}” is not a member of the project “{project}”."}
            )
    mapping = None
    if request.mapping:
        try:
            mapping = mapping_from_text(request.mapping, request.mapping_name)
        except ValidationError as error:
            raise _on_field("mapping", error) from error
    data = request.data
    check_size(_size(data))
    try:
        fmt = request.fmt
        if fmt == AUTO and request.file_name.lower().endswith(".zip"):
            fmt = BRAT
        content: Content = data
        if fmt == AUTO and request.file_name.lower().endswith((".jsonl", ".ndjson")):
            fmt = guess_format(request.file_name, head(data))  # JSON Lines or doccano's
        if fmt not in (BRAT, "jsonl"):  # JSON Lines are decoded line by line, as read
            content = decode(data)
            fmt = fmt if fmt != AUTO else guess_format(request.file_name, content)
        common: dict[str, Any] = {
            "project": project,
            "data": content,
            "fmt": fmt,
            "partial": request.partial,
            "dry_run": request.dry_run,
            "brat": BratOptions(mapping=mapping, create_articles=request.create_articles),
        }
        if suggester is not None:
            report = import_suggestions(suggester=suggester, **common)
            return ImportOutcome(report, request, fmt, SUGGESTIONS, None, suggester)
        assert user is not None
        report = import_annotations(annotator=user, actor=actor, **common)
        return ImportOutcome(report, request, fmt, CLAIMS, user.get_username(), None)
    except ValidationError as error:
        raise _on_field("file", error) from error
