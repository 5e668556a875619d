"""Serializers of the agreement and adjudication endpoints (``annotate.api_review``)."""

from __future__ import annotations

from rest_framework import serializers

from annotate.models import Decision, DecisionOrigin


class AgreementQuerySerializer(serializers.Serializer):
    overlap = serializers.FloatField(required=False, min_value=0.01, max_value=1.0)
    units = serializers.BooleanField(required=False, default=False)


class AgreementSerializer(serializers.Serializer):
    """The project's agreement report (``AgreementReport.to_dict()``), every figure with the
    n behind it, plus Krippendorff's reading of each field's α, the weekly trend and what each
    figure means."""

    overlap_threshold = serializers.FloatField()
    report = serializers.DictField()
    readings = serializers.DictField(child=serializers.CharField(allow_null=True))
    trend = serializers.ListField(child=serializers.DictField())
    help = serializers.DictField(child=serializers.CharField())


class DecisionOriginSerializer(serializers.ModelSerializer):
    class Meta:
        model = DecisionOrigin
        fields = ["claim", "claim_version", "fields"]


class DecisionSerializer(serializers.ModelSerializer):
    origins = DecisionOriginSerializer(many=True, read_only=True)
    curator = serializers.CharField(source="curator.get_username", read_only=True)

    class Meta:
        model = Decision
        fields = ["id", "article", "action", "gold", "curator", "rationale", "created", "origins"]
