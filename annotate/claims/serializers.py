"""Shapes of the claims API: claims, their stances and mentions, their history.

Fields and types only. Offsets, quotes, labels, sources and targets are checked by the
services (with ``annotate.claims.offsets`` and ``annotate.scheme``), as for the pages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models.expressions import RawSQL
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotate.chains.links import MAX_LINKS
from annotate.chains.store import claim_chain
from annotate.models import (
    ChainLink,
    Claim,
    ClaimQuerySet,
    ClaimStance,
    History,
    HistoryAction,
)
from common import limits
from common.prepared import Prepared
from corpus.serializers import (
    MAX_ID,
    ArticleSerializer,
    IdField,
    StrictSerializer,
    TextField,
    WholeNumberField,
)

LABEL_HELP = "A value code of this field in the project's scheme (GET /api/projects/{slug}/)."


# --- Claims --------------------------------------------------------------------------


class MentionSerializer(StrictSerializer):
    start = WholeNumberField(help_text="Code-point offset, inclusive.")
    end = WholeNumberField(help_text="Code-point offset, exclusive.")


class StanceSerializer(StrictSerializer):
    target = IdField(help_text="A target of the project.")
    stance = TextField(max_length=32, help_text=LABEL_HELP)


class LinkMentionSerializer(MentionSerializer):
    quote = TextField(
        required=False,
        trim_whitespace=False,
        help_text="The text at start–end; when given, checked against the article.",
    )


class ChainLinkSerializer(StrictSerializer):
    """One intermediary that carried the claim (position 1 is the first carrier; the
    claim's own ``source`` is the original speaker, position 0)."""

    position = serializers.IntegerField(
        read_only=True, help_text="1, 2, …: the link's place in the chain (the list's order)."
    )
    source = IdField(help_text="A source of the project's registry.")  # type: ignore[assignment]
    source_mention = LinkMentionSerializer(
        required=False, allow_null=True, help_text="Where the text names this carrier."
    )
    reliability = TextField(
        required=False,
        allow_blank=True,
        max_length=32,
        help_text="This carrier's reliability: a value of the scheme's source_reliability.",
    )


CHAIN_HELP = (
    "The attribution chain: the intermediaries that carried the claim from its source, "
    "first carrier first (the claim's source is position 0). Sent, it replaces the chain "
    "whole; [] removes it."
)


class ClaimSerializer(serializers.ModelSerializer[Claim]):
    """A claim as stored. ``start``/``end`` are half-open Unicode code-point offsets into
    the article's text (not UTF-16 units); ``quote`` is the text between them."""

    annotator_username = serializers.CharField(source="annotator.username", read_only=True)
    source_mention = serializers.SerializerMethodField()
    stances = serializers.SerializerMethodField()
    chain = serializers.SerializerMethodField(help_text=CHAIN_HELP)
    deleted = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "article",
            "annotator",
            "annotator_username",
            "start",
            "end",
            "quote",
            "prefix",
            "suffix",
            "source",
            "source_mention",
            "attribution",
            "stances",
            "chain",
            "source_reliability",
            "information_credibility",
            "claim_type",
            "checkworthy",
            "note",
            "version",
            "deleted",
            "created",
            "updated",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "prefix": {"help_text": "Up to 32 code points of text before the quote."},
            "suffix": {"help_text": "Up to 32 code points of text after the quote."},
            "version": {"help_text": "Send it back with a change; it grows with each one."},
            **{
                name: {"help_text": LABEL_HELP}
                for name in (
                    "attribution",
                    "source_reliability",
                    "information_credibility",
                    "claim_type",
                    "checkworthy",
                )
            },
        }

    @extend_schema_field(MentionSerializer(allow_null=True))
    def get_source_mention(self, claim: Claim) -> dict[str, Any] | None:
        if claim.mention_start is None:
            return None
        return {"start": claim.mention_start, "end": claim.mention_end}

    @extend_schema_field(StanceSerializer(many=True))
    def get_stances(self, claim: Claim) -> list[dict[str, Any]]:
        # .all() uses the list's prefetch; sorted in Python so that it stays one query.
        stances = sorted(claim.stances.all(), key=lambda s: s.target_id)
        return [{"target": s.target_id, "stance": s.stance} for s in stances]

    @extend_schema_field(ChainLinkSerializer(many=True))
    def get_chain(self, claim: Claim) -> list[dict[str, Any]]:
        return claim_chain(claim)

    def get_deleted(self, claim: Claim) -> bool:
        return claim.deleted_at is not None


# What ``ClaimSerializer`` reads of a claim, as columns (``claims_as_json``).
_COLUMNS = (
    "id",
    "article_id",
    "annotator_id",
    "annotator__username",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "source_id",
    "mention_start",
    "mention_end",
    "attribution",
    "source_reliability",
    "information_credibility",
    "claim_type",
    "checkworthy",
    "note",
    "version",
    "deleted_at",
    "created",
    "updated",
)


def _when(value: dt.datetime, zone: dt.tzinfo) -> str:
    """What DRF's ``DateTimeField`` writes (ISO 8601 in the current time zone ``zone``,
    ``Z`` for UTC), without its per-call set-up."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# On PostgreSQL a claim's stances and its chain's links come with the claim, as one JSON
# array each (correlated subqueries, each a lookup by the claim_id index): one query where
# three round trips cost more (~0.2 ms less client CPU a fetch, and two round trips). On
# SQLite, whose queries cost no round trip, two plain queries after the claims cost less
# CPU than the JSON functions (1.4 ms against 1.65 ms a call for 20 claims).
_STANCE_COLUMNS = "target_id, stance"
_LINK_COLUMNS = "position, source_id, mention_start, mention_end, reliability"


def _json_list(table: str, columns: str) -> RawSQL:
    return RawSQL(
        f"(SELECT json_agg(json_build_array({columns})) FROM {table} "
        f"WHERE {table}.claim_id = {Claim._meta.db_table}.{Claim._meta.pk.column})",
        (),
    )


def _parsed(value: Any) -> Any:
    """A ``json`` column as psycopg parses it; NULL where there was no row to aggregate."""
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else value


def _with_lists(claims: ClaimQuerySet, postgresql: bool) -> Any:
    """The claims' ``_COLUMNS`` as ``values_list`` rows; on PostgreSQL with the JSON lists
    of their stances and links after them (see above)."""
    if not postgresql:
        return claims.values_list(*_COLUMNS)
    return claims.annotate(
        stance_rows=_json_list(ClaimStance._meta.db_table, _STANCE_COLUMNS),
        chain_rows=_json_list(ChainLink._meta.db_table, _LINK_COLUMNS),
    ).values_list(*_COLUMNS, "stance_rows", "chain_rows")


def _claim_rows(claims: ClaimQuerySet) -> list[tuple[Any, ...]]:
    """The claims' ``_COLUMNS``, then the list of their stances' (target, stance) and the
    list of their chain links' (position, source, mention start, end, reliability)."""
    claims = claims.prefetch_related(None)
    postgresql = connections[claims.db].vendor == "postgresql"
    return _lists_added(list(_with_lists(claims, postgresql)), claims.db, postgresql)


def _lists_added(
    rows: list[tuple[Any, ...]], alias: str, postgresql: bool
) -> list[tuple[Any, ...]]:
    """``_claim_rows``' rows from the claims' rows: their JSON lists parsed (PostgreSQL),
    or read in two more queries (SQLite)."""
    if postgresql:
        return [(*row[:-2], _parsed(row[-2]), _parsed(row[-1])) for row in rows]
    ids = [row[0] for row in rows]
    stances: dict[int, list[tuple[Any, ...]]] = {}
    chains: dict[int, list[tuple[Any, ...]]] = {}
    # Plain SQL for the two lists (integers and text, nothing to convert): the ORM's
    # building of a query costs more than the query here. In slices of ids, under
    # SQLite's bound on a statement's parameters.
    with connections[alias].cursor() as cursor:
        for at in range(0, len(ids), 5000):
            some = ids[at : at + 5000]
            marks = ", ".join(["%s"] * len(some))
            for table, columns, into in (
                (ClaimStance._meta.db_table, _STANCE_COLUMNS, stances),
                (ChainLink._meta.db_table, _LINK_COLUMNS, chains),
            ):
                cursor.execute(
                    f"SELECT claim_id, {columns} FROM {table} WHERE claim_id IN ({marks})", some
                )
                for claim_id, *values in cursor.fetchall():
                    into.setdefault(claim_id, []).append(tuple(values))
    return [(*row, stances.get(row[0], ()), chains.get(row[0], ())) for row in rows]


def _layer_query(whose: str, live: bool) -> Callable[..., Any]:
    """The build of ``_LAYERS[whose, live]``: an article's claims of one annotator
    (``whose`` "one"), of the gold layer or of everyone, live ones only or all."""

    def build(article: int, annotator: int | None = None) -> Any:
        claims = Claim.objects.filter(article_id=article)
        if whose == "one":
            claims = claims.filter(annotator_id=annotator)
        elif whose == "gold":
            claims = claims.gold()
        if live:
            claims = claims.live()
        return _with_lists(claims, connection.vendor == "postgresql")

    return build


# The one-request fetch's claims (``layer_as_json``), each variant built and compiled once
# (``common.prepared``): building the claims' query cost the ORM more than running it.
_LAYERS = {
    (whose, live): (
        Prepared(_layer_query(whose, live), article=int, annotator=int)
        if whose == "one"
        else Prepared(_layer_query(whose, live), article=int)
    )
    for whose in ("one", "gold", "all")
    for live in (True, False)
}


def layer_as_json(article_id: int, whose: int | str, deleted: bool) -> list[dict[str, Any]]:
    """``claims_as_json`` of an article's claims of one layer: ``whose`` a user id (that
    annotator's), "gold" or "all"; deleted ones too with ``deleted``. Whether the user may
    read them is the caller's check (``annotate.claims.api.chosen_claims_as_json``)."""
    postgresql = connection.vendor == "postgresql"
    if isinstance(whose, int):
        rows = _LAYERS["one", not deleted].rows(article=article_id, annotator=whose)
    else:
        rows = _LAYERS[whose, not deleted].rows(article=article_id)
    return _rows_as_json(_lists_added(rows, DEFAULT_DB_ALIAS, postgresql))


def claims_as_json(claims: ClaimQuerySet) -> list[dict[str, Any]]:
    """``ClaimSerializer(claims, many=True).data``, the same dicts in the same order, from
    rows rather than model instances (``_claim_rows``: one query on PostgreSQL, three on
    SQLite) and a few microseconds a claim, where the serializer builds its fields and
    walks each instance's (~0.3 ms a claim). Used by the one-request fetch
    (``?include=claims``, through ``layer_as_json``); ``tests/api/test_article_include.py``
    holds the two equal."""
    return _rows_as_json(_claim_rows(claims))


def _rows_as_json(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    zone = timezone.get_current_timezone()  # once, not for each date (~15 µs each)
    out = []
    for (
        pk,
        article_id,
        annotator_id,
        username,
        start,
        end,
        quote,
        prefix,
        suffix,
        source_id,
        mention_start,
        mention_end,
        attribution,
        source_reliability,
        information_credibility,
        claim_type,
        checkworthy,
        note,
        version,
        deleted_at,
        created,
        updated,
        stance_rows,
        chain_rows,
    ) in rows:
        claim: dict[str, Any] = {
            "id": pk,
            "article": article_id,
            "annotator": annotator_id,
        }
        if annotator_id is not None:  # the serializer leaves the key out for gold claims
            claim["annotator_username"] = username
        claim.update(
            {
                "start": start,
                "end": end,
                "quote": quote,
                "prefix": prefix,
                "suffix": suffix,
                "source": source_id,
                "source_mention": (
                    None if mention_start is None else {"start": mention_start, "end": mention_end}
                ),
                "attribution": attribution,
                "stances": [
                    {"target": target, "stance": stance}
                    for target, stance in sorted(stance_rows, key=_first)
                ],
                "chain": [
                    {
                        "position": position,
                        "source": link_source,
                        "source_mention": (
                            None if m_start is None else {"start": m_start, "end": m_end}
                        ),
                        "reliability": reliability,
                    }
                    for position, link_source, m_start, m_end, reliability in sorted(
                        chain_rows, key=_first
                    )
                ],
                "source_reliability": source_reliability,
                "information_credibility": information_credibility,
                "claim_type": claim_type,
                "checkworthy": checkworthy,
                "note": note,
                "version": version,
                "deleted": deleted_at is not None,
                "created": _when(created, zone),
                "updated": _when(updated, zone),
            }
        )
        out.append(claim)
    return out


def _first(row: Sequence[Any]) -> Any:
    return row[0]


def _label_field() -> TextField:
    return TextField(required=False, allow_blank=True, max_length=32, help_text=LABEL_HELP)


class ClaimWriteSerializer(StrictSerializer):
    """A new claim. Offsets are taken as given (no snapping to words here): they must not
    split a character, and ``quote`` must be exactly the text between them."""

    start = WholeNumberField(help_text="Code-point offset of the first character.")
    end = WholeNumberField(help_text="Code-point offset just past the last character.")
    quote = TextField(
        multiline=True,
        trim_whitespace=False,
        help_text="The text at start–end, checked against the article.",
    )
    source = IdField(  # type: ignore[assignment]
        required=False, allow_null=True, help_text="A source of the project's registry."
    )
    source_mention = MentionSerializer(
        required=False, allow_null=True, help_text="Where the text names the source."
    )
    attribution = _label_field()
    stances = StanceSerializer(many=True, required=False, help_text="At most one per target.")
    # many=True makes a ListSerializer, which takes max_length (the stubs don't know).
    chain = ChainLinkSerializer(  # type: ignore[call-arg]
        many=True, required=False, max_length=MAX_LINKS, help_text=CHAIN_HELP
    )
    source_reliability = _label_field()
    information_credibility = _label_field()
    claim_type = _label_field()
    checkworthy = _label_field()
    note = TextField(
        multiline=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=limits.NOTE.size,
    )


class ClaimUpdateSerializer(ClaimWriteSerializer):
    """A change to a claim: the fields to change, and the ``version`` it is based on.
    New offsets need the quote at them."""

    version = WholeNumberField(
        help_text="The version you saw; if the claim has moved on, the answer is 409 with "
        "its current state and nothing is changed."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "version":
                field.required = False

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("start" in attrs or "end" in attrs) and "quote" not in attrs:
            raise serializers.ValidationError(
                {"quote": ["give the quote at the new offsets, so that they can be checked"]}
            )
        return attrs


class ClaimFilterSerializer(serializers.Serializer):
    annotator = serializers.RegexField(
        r"^(all|gold|[1-9][0-9]{0,18})$",
        required=False,
        allow_blank=True,
        help_text="Whose claims: a user id, “gold” (the adjudicated layer) or “all”; "
        "default: yours. Others' claims are for curators and managers.",
    )
    include_deleted = serializers.BooleanField(
        required=False, default=False, help_text="Include deleted claims (to restore them)."
    )

    def validate_annotator(self, value: str) -> str:
        if value not in ("", "all", "gold") and int(value) > MAX_ID:  # 19 digits pass 2**63 - 1
            raise serializers.ValidationError(f"A user id is at most {MAX_ID}.")
        return value


class ClaimDeleteSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="The version you saw: if the claim has changed since, nothing is deleted "
        "and the answer is 409.",
    )


class HistorySerializer(serializers.ModelSerializer[History]):
    actor_username = serializers.CharField(
        source="actor.username", read_only=True, allow_null=True, default=None
    )
    action = serializers.ChoiceField(choices=HistoryAction.choices, read_only=True)
    before = serializers.JSONField(
        read_only=True, allow_null=True, help_text="The claim before (null for a create)."
    )
    after = serializers.JSONField(read_only=True, allow_null=True, help_text="The claim after.")

    class Meta:
        model = History
        fields = ["id", "action", "actor", "actor_username", "at", "before", "after"]
        read_only_fields = fields


class StaleVersionSerializer(serializers.Serializer):
    """The 409 answer to a change based on an old version of a claim."""

    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="“stale_version”.")
    current = ClaimSerializer(help_text="The claim as it is now: reapply the change to it.")


class DuplicateClaimSerializer(serializers.Serializer):
    """The 409 answer to a claim identical to one of your live claims."""

    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="“duplicate_claim”.")
    existing = ClaimSerializer(help_text="Your claim that is identical to this one.")
    url = serializers.CharField(help_text="The API address of that claim.")


class ArticleIncludeSerializer(ClaimFilterSerializer):
    """``GET /api/articles/{id}/``'s query: the claims to embed, and whose."""

    include = serializers.ChoiceField(
        choices=["claims"],
        required=False,
        allow_blank=True,
        help_text="“claims”: the article's claims come with it (``claims``), chosen by "
        "``annotator`` and ``include_deleted`` as on /api/articles/{id}/claims/, unpaginated.",
    )


class ArticleWithClaimsSerializer(ArticleSerializer):
    """An article with its frozen text and, with ``?include=claims``, its claims."""

    # Not read-only, so that the schema does not require it: it is there only when asked.
    claims = ClaimSerializer(
        many=True,
        required=False,
        help_text="Only with ?include=claims: the claims you may read, in text order.",
    )

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "claims"]
