"""The checks every claim write shares (one at a time, in bulk, as a suggestion): ids,
the source and targets against the project, the source mention's offsets, the labels
against the scheme, and the collector that turns their problems into one answer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from annotate.claims.offsets import validate_span
from annotate.models import Source, Target
from annotate.scheme import Rules, labels_problems, rules_of
from annotate.sources.selectors import citable_sources
from common import limits, params
from common.text import check_text
from corpus.models import Article, Project

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Row ids are 64-bit; a larger number can't name a row (and SQLite can't compare with it).
MAX_ID = params.MAX_ID


@dataclass(frozen=True)
class StanceInput:
    target: Target | int
    stance: str


def by_target(stance: dict[str, Any]) -> int:
    return int(stance["target"])


@dataclass
class Errors:
    """Collects the problems of one write, so that one answer lists all of them."""

    by_field: dict[str, list[str]] = field(default_factory=dict)

    def collect(self, key: str = "__all__") -> _Collect:
        """Record a ``ValidationError`` raised inside (under ``key`` unless it names its
        own fields) instead of letting it stop the write."""
        return _Collect(self, key)

    def add(self, found: dict[str, list[str]]) -> None:
        """Record problems by field (``message_dict``'s shape)."""
        for name, messages in found.items():
            self.by_field.setdefault(name, []).extend(messages)

    def has(self, name: str) -> bool:
        return name in self.by_field

    def of_item(self, index: int) -> list[ValidationError]:
        """The problems as errors of item ``index`` of a bulk write, one per message."""
        return [
            ValidationError(
                f"item {index}: {name}: {message}"
                if name != "__all__"
                else f"item {index}: {message}",
                code="invalid",
                params={"index": index, "field": name, "message": message},
            )
            for name, messages in self.by_field.items()
            for message in messages
        ]

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


class _Collect:
    """``Errors.collect``'s context (a class, not a generator: a bulk write of 20,000
    claims enters seven a claim)."""

    __slots__ = ("errors", "key")

    def __init__(self, errors: Errors, key: str) -> None:
        self.errors, self.key = errors, key

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: Any, tb: Any) -> bool:
        if kind is None or not issubclass(kind, ValidationError):
            return False
        self.errors.add(messages_by_field(error, self.key))
        return True


def messages_by_field(error: ValidationError, key: str = "__all__") -> dict[str, list[str]]:
    """The error's messages by field (``key`` for those that name none)."""
    return error.message_dict if hasattr(error, "error_dict") else {key: error.messages}


def check_project_open(project: Project) -> None:
    """Refuse a claim write in an archived project (read-only for annotation)."""
    if project.archived:
        raise ValidationError(
            f"The project “{project}” is archived: its claims are read-only. A manager can "
            "unarchive it on the project's settings page."
        )


def row_id(value: Any) -> int | None:
    """``value`` (an int, or a string of digits) as a row id, or None if it can't be one."""
    return params.id_or_none(value)


def resolve_source(
    article: Article,
    source: Source | int | None,
    known: Source | None = None,
    *,
    viewer: User | None,
) -> Source | None:
    """The source, checked to be in the article's project and citable by ``viewer``, who
    writes the claim (``citable_sources``: another annotator's hidden proposal is refused
    like an unknown id). ``known`` is one already loaded (the claim's current source):
    naming it again costs no query and no check."""
    if source is None or source == "":
        return None
    source_id = source.pk if isinstance(source, Source) else source
    found = None
    if (row := row_id(source_id)) is not None:
        if known is not None and known.pk == row and known.project_id == article.project_id:
            return known
        found = citable_sources([row], [article.project], viewer=viewer).first()
    if found is None:
        raise ValidationError({"source": f"Source {source_id} is not in this project's registry."})
    return found


def resolve_stances(
    article: Article, stances: Iterable[StanceInput], known: Iterable[Target] = ()
) -> list[tuple[Target, str]]:
    """The stances' targets, checked to be the article's project's. ``known`` are targets
    already loaded (those of the claim's current stances): when they are all that is
    named, no query."""
    items = list(stances)
    given = [s.target.pk if isinstance(s.target, Target) else s.target for s in items]
    ids = [row_id(i) for i in given]
    wanted = {i for i in ids if i is not None}
    targets = {t.pk: t for t in known if t.project_id == article.project_id and t.pk in wanted}
    if wanted - set(targets):
        targets = {
            t.pk: t for t in Target.objects.filter(project_id=article.project_id, pk__in=wanted)
        }
    missing = [str(g) for g, i in zip(given, ids, strict=True) if i not in targets]
    if missing:
        raise ValidationError(
            {"stances": f"Not targets of this project: {', '.join(dict.fromkeys(missing))}."}
        )
    return [(targets[i], item.stance) for i, item in zip(ids, items, strict=True) if i]


def check_note(note: str | None) -> str:
    """A claim's note: free text, multi-line, bounded (``common.limits.NOTE``)."""
    return check_text(note or "", field="note", limit=limits.NOTE, multiline=True)


def check_mention(article: Article, mention: Sequence[int] | None) -> tuple[int | None, int | None]:
    """The source mention's offsets, checked like a claim's (it may lie outside the
    claim: the source is often named in the sentence before)."""
    if not mention:
        return None, None
    if len(mention) != 2:
        raise ValidationError({"source_mention": "A mention is two offsets: start and end."})
    try:
        span = validate_span(article.text, mention[0], mention[1])
    except ValidationError as error:
        raise ValidationError({"source_mention": error.messages}) from error
    return span.start, span.end


# The schemes' rules read for a write of many claims, by project (its schemes don't change
# during it): a scheme is read once, not once a claim.
LabelsMemo = dict[int, Rules]


def validate_labels_into(
    article: Article,
    errors: Errors,
    *,
    source: Source | None,
    stances: list[tuple[Target, str]],
    values: dict[str, str],
    memo: LabelsMemo | None = None,
) -> None:
    """Check the labels against the scheme, adding to ``errors``. A source or stances
    that already failed to resolve are not reported missing as well. ``memo`` keeps the
    schemes' rules for a write of many claims."""
    unresolved_stances = errors.has("stances")
    has_source = source is not None or errors.has("source")
    named = [(t.name, s) for t, s in stances]
    project = article.project
    rules = memo.get(project.pk) if memo is not None else None
    if rules is None:
        rules = rules_of(project.scheme)
        if memo is not None:
            memo[project.pk] = rules
    found = labels_problems(rules, values, has_source=has_source, stances=named)
    errors.add(found)
    if unresolved_stances and not stances:
        messages = errors.by_field["stances"]
        errors.by_field["stances"] = [m for m in messages if not m.startswith("Give the stance")]
