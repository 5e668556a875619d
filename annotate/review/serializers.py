"""Serializers of the agreement and adjudication endpoints (``annotate.review.api``)."""

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


class SuggesterQuerySerializer(serializers.Serializer):
    overlap = serializers.FloatField(required=False, min_value=0.01, max_value=1.0)


class FigureSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    observed_agreement = serializers.FloatField(allow_null=True)
    n_units = serializers.IntegerField()
    n_values = serializers.IntegerField()
    undefined_reason = serializers.CharField(allow_null=True)


class SpanFiguresSerializer(serializers.Serializer):
    matched = serializers.IntegerField()
    proposals = serializers.IntegerField()
    gold = serializers.IntegerField()
    precision = serializers.FloatField(allow_null=True)
    recall = serializers.FloatField(allow_null=True)
    f1 = serializers.FloatField(allow_null=True)


class FieldScoreSerializer(serializers.Serializer):
    field = serializers.CharField()
    level = serializers.CharField()
    alpha = FigureSerializer()
    n_proposed = serializers.IntegerField(help_text="Matched proposals with a value for it.")


class SuggesterScoreSerializer(serializers.Serializer):
    suggester = serializers.CharField(help_text='Name and version, e.g. "rules/2".')
    name = serializers.CharField()
    version = serializers.CharField()
    n_articles = serializers.IntegerField(help_text="Gold articles it proposed something in.")
    n_gold_claims = serializers.IntegerField()
    n_proposals = serializers.IntegerField(help_text="Its proposals in the gold articles.")
    overlap = SpanFiguresSerializer(help_text="Spans matched at the Jaccard threshold.")
    exact = SpanFiguresSerializer(help_text="Spans matched exactly.")
    source_correct = serializers.IntegerField()
    source_accuracy = serializers.FloatField(allow_null=True, help_text="Over overlap.matched.")
    # A declared field named "fields" shadows Serializer.fields for the type checker only
    # (DRF's metaclass takes declared fields off the class); the key matches the agreement
    # report's.
    fields = FieldScoreSerializer(many=True)  # type: ignore[assignment]


class SuggesterScoresSerializer(serializers.Serializer):
    """Every suggester scored as an annotator against the project's gold layer."""

    overlap_threshold = serializers.FloatField()
    n_gold_articles = serializers.IntegerField()
    n_gold_claims = serializers.IntegerField()
    suggesters = SuggesterScoreSerializer(many=True)


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
