"""Shapes of the sources and targets API: fields and types only; the services check."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from annotate.models import (
    Source,
    SourceKind,
    SourceMerge,
    SourceStatus,
    Target,
)
from common import limits
from corpus.serializers import (
    IdField,
    StrictSerializer,
    TextField,
    WholeNumberField,
)

KIND_CHOICE_ERROR = f"“{{input}}” is not a kind; use one of: {', '.join(SourceKind.values)}."

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
    proposed_by = serializers.SerializerMethodField(
        help_text="The username of the annotator who proposed it; shown to curators and "
        "managers and to the proposer, else null."
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
            "status",
            "proposed_by",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "version": {"help_text": "Send it back with a change; it grows with each one."},
            "status": {
                "help_text": "“proposed” (an annotator's, waiting for a curator; hidden from "
                "other annotators) or “confirmed”."
            },
        }

    def get_aliases(self, source: Source) -> list[str]:
        return [a.alias for a in source.aliases.all()]

    def get_proposed_by(self, source: Source) -> str | None:
        if source.proposed_by_id is None:
            return None
        if not self.context.get("curator") and source.proposed_by_id != self.context.get("viewer"):
            return None
        return source.proposed_by.username if source.proposed_by else None


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
    status = serializers.ChoiceField(
        choices=SourceStatus.choices,
        required=False,
        allow_blank=True,
        help_text="Only the proposed, or only the confirmed sources.",
    )


class SourceConfirmSerializer(StrictSerializer):
    name = TextField(
        max_length=limits.SOURCE_NAME.size,
        required=False,
        help_text="Confirm it under this name instead (the proposed name becomes no alias).",
    )
    kind = serializers.ChoiceField(
        choices=SourceKind.choices,
        required=False,
        error_messages={"invalid_choice": KIND_CHOICE_ERROR},
    )


class SourceMergeRecordSerializer(serializers.ModelSerializer[SourceMerge]):
    """A recorded merge: what was folded into ``kept`` and what moved."""

    # Null: a merge made by a command (no user), a merge not split back yet, or a user
    # deleted since (the record keeps what moved).
    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    split_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    claim_ids = serializers.SerializerMethodField(help_text="The claims that moved.")

    class Meta:
        model = SourceMerge
        fields = [
            "id",
            "kept",
            "kept_name",
            "merged_id",
            "merged",
            "aliases",
            "added_aliases",
            "filled",
            "claim_ids",
            "actor",
            "at",
            "split_at",
            "split_by",
        ]
        read_only_fields = fields

    def get_claim_ids(self, record: SourceMerge) -> list[int]:
        ids: list[int] = record.moved.get("annotate.claim:source", [])
        return ids


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


class SourceStaleVersionSerializer(serializers.Serializer):
    """The 409 answer to a change based on an old version of a source."""

    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(help_text="“stale_version”.")
    current = SourceSerializer(help_text="The source as it is now: reapply the change to it.")
