"""Shapes of the assignments API."""

from __future__ import annotations

from rest_framework import serializers

from annotate.models import (
    Assignment,
    AssignmentStatus,
)
from corpus.serializers import (
    MAX_ID,
    IdField,
    StrictSerializer,
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
    annotator = IdField(help_text="The user id of a member of the project.")
