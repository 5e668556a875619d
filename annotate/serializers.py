"""Shapes of the annotate API: sources, targets, assignments, claims and their history.

As in ``corpus.serializers``: fields and types only. Offsets, quotes, labels, sources and
targets are checked by ``annotate.services`` (with ``annotate.offsets`` and
``annotate.scheme``), the same functions the pages call.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from annotate.models import (
    Assignment,
    AssignmentStatus,
    Claim,
    History,
    HistoryAction,
    Source,
    SourceKind,
    Target,
)
from common import limits
from corpus.serializers import (
    MAX_ID,
    ArticleSerializer,
    IdField,
    StrictSerializer,
    TextField,
    WholeNumberField,
)

KIND_CHOICE_ERROR = f"“{{input}}” is not a kind; use one of: {', '.join(SourceKind.values)}."
LABEL_HELP = "A value code of this field in the project's scheme (GET /api/projects/{slug}/)."

# --- Sources and targets -------------------------------------------------------------


class SourceSerializer(serializers.ModelSerializer[Source]):
    aliases = serializers.SerializerMethodField()
    wikidata_url = serializers.CharField(
        read_only=True, help_text="The Wikidata page when external_id is a QID, else empty."
    )
    claim_count = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Live claims citing the source; null for annotators, who stay blind to "
        "what others cited.",
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "external_id",
            "wikidata_url",
            "aliases",
            "claim_count",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "version": {"help_text": "Send it back with a change; it grows with each one."}
        }

    def get_aliases(self, source: Source) -> list[str]:
        return [a.alias for a in source.aliases.all()]


class SourceWriteSerializer(StrictSerializer):
    name = TextField(
        max_length=limits.SOURCE_NAME.size,
        help_text="Unique in the project after folding case, "
        "diacritics and spaces; not another source's alias.",
    )
    kind = serializers.ChoiceField(
        choices=SourceKind.choices,
        default=SourceKind.PERSON,
        error_messages={"invalid_choice": KIND_CHOICE_ERROR},
    )
    description = TextField(
        required=False, allow_blank=True, max_length=limits.DESCRIPTION.size, default=""
    )
    external_id = TextField(
        required=False,
        allow_blank=True,
        max_length=limits.EXTERNAL_ID.size,
        default="",
        help_text="E.g. Q123.",
    )
    aliases = serializers.ListField(
        child=TextField(max_length=limits.ALIAS.size),
        max_length=limits.ALIASES.size,
        required=False,
        default=list,
        help_text="Other names; on update, the whole new list.",
    )


class SourceUpdateSerializer(SourceWriteSerializer):
    """A change to a source: only the fields given change, based on ``version``."""

    version = WholeNumberField(
        help_text="The version you saw; if the source has moved on, the answer is 409 with "
        "its current state and nothing is changed."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "version":
                field.required, field.default = False, empty


class SourceFilterSerializer(serializers.Serializer):
    q = TextField(
        required=False,
        allow_blank=True,
        max_length=limits.QUERY.size,
        help_text="Search names and aliases, ignoring case, diacritics and spacing.",
    )
    kind = serializers.ChoiceField(
        choices=SourceKind.choices,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": KIND_CHOICE_ERROR},
    )


class SourceMergeSerializer(StrictSerializer):
    merge = IdField(
        help_text="The source to fold into this one: its claims, name and aliases move here "
        "and it is deleted."
    )


class TargetSerializer(serializers.ModelSerializer[Target]):
    class Meta:
        model = Target
        fields = ["id", "name", "position", "created"]
        read_only_fields = fields


class TargetWriteSerializer(StrictSerializer):
    name = TextField(max_length=limits.TARGET_NAME.size)


# --- Assignments ---------------------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    annotator_username = serializers.CharField(source="annotator.username", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "article",
            "annotator",
            "annotator_username",
            "status",
            "assigned_by",
            "created",
            "updated",
        ]
        read_only_fields = fields


class AssignmentFilterSerializer(serializers.Serializer):
    article = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    annotator = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="A user id (managers only)."
    )
    status = serializers.ChoiceField(
        choices=AssignmentStatus.choices, required=False, allow_blank=True
    )


class AssignmentWriteSerializer(StrictSerializer):
    article = IdField(help_text="An article of the project.")
    annotator = IdField(
        required=False,
        help_text="The user id of a member of the project (GET …/members/ lists them).",
    )
    username = TextField(
        required=False,
        max_length=limits.USERNAME.size,
        help_text="Or the member's username, instead of ``annotator``.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("annotator" in attrs) == ("username" in attrs):
            raise serializers.ValidationError(
                {"annotator": "Give the annotator's user id or their username (one of them)."}
            )
        return attrs


# --- Claims --------------------------------------------------------------------------


class MentionSerializer(StrictSerializer):
    start = WholeNumberField(help_text="Code-point offset, inclusive.")
    end = WholeNumberField(help_text="Code-point offset, exclusive.")


class StanceSerializer(StrictSerializer):
    target = IdField(help_text="A target of the project.")
    stance = TextField(max_length=32, help_text=LABEL_HELP)


class ClaimSerializer(serializers.ModelSerializer[Claim]):
    """A claim as stored. ``start``/``end`` are half-open Unicode code-point offsets into
    the article's text (not UTF-16 units); ``quote`` is the text between them."""

    annotator_username = serializers.CharField(source="annotator.username", read_only=True)
    source_mention = serializers.SerializerMethodField()
    stances = serializers.SerializerMethodField()
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

    def get_deleted(self, claim: Claim) -> bool:
        return claim.deleted_at is not None


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


class SourceStaleVersionSerializer(serializers.Serializer):
    """The 409 answer to a change based on an old version of a source."""

    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="“stale_version”.")
    current = SourceSerializer(help_text="The source as it is now: reapply the change to it.")


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
