"""Shapes of the assignments API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotate.models import (
    Assignment,
    AssignmentStatus,
)
from common import limits
from corpus.serializers import (
    MAX_ID,
    IdField,
    StrictSerializer,
    TextField,
)

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
