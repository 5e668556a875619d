"""Shapes of the campaign API: a project's deletion and its scheme."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from corpus.scheme_edit import PRESETS
from corpus.serializers import SchemeSerializer, StrictSerializer, TextField


class ProjectDeleteSerializer(serializers.Serializer):
    confirm_name = TextField(
        max_length=200, help_text="The project's name, typed: the first confirmation."
    )
    confirm_gold = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: delete the gold layer too (required while the project has gold "
        "claims: the second confirmation).",
    )


class PresetSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Give it as “preset” to PUT.")
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()


class RenamesField(serializers.DictField):
    """``{field: {old code: new code}}``."""

    child = serializers.DictField(child=serializers.CharField(max_length=32))


class SchemeWriteSerializer(StrictSerializer):
    scheme = serializers.JSONField(
        required=False,
        help_text="The whole new scheme (as GET gives it), checked against the claims.",
    )
    preset = serializers.ChoiceField(
        choices=[p.name for p in PRESETS],
        required=False,
        help_text="Instead of a scheme: start again from a preset.",
    )
    renames = RenamesField(
        required=False,
        default=dict,
        help_text="Value codes renamed by this change, {field: {old: new}}: migrated on every "
        "claim, with history. The scheme must have the new code and not the old one.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("scheme" in attrs) == ("preset" in attrs):
            raise serializers.ValidationError("Give either a scheme or a preset.")
        return attrs


class SchemeAnswerSerializer(serializers.Serializer):
    scheme = SchemeSerializer()
    presets = PresetSerializer(many=True)
    migrated = serializers.IntegerField(
        required=False, help_text="After a PUT: claims whose codes were renamed."
    )
