"""Shapes of the claim-cluster API: fields and types only; the services check."""

from __future__ import annotations

from rest_framework import serializers

from annotate.models import ClaimCluster, ClusterRelation
from common import limits
from corpus.serializers import IdField, StrictSerializer, TextField


class ClusterMemberSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="claim_id")
    relation = serializers.ChoiceField(choices=ClusterRelation.choices)


class ClusterSerializer(serializers.ModelSerializer[ClaimCluster]):
    layer = serializers.SerializerMethodField()
    members = ClusterMemberSerializer(many=True, read_only=True)

    class Meta:
        model = ClaimCluster
        fields = [
            "id",
            "statement",
            "layer",
            "annotator",
            "version",
            "created",
            "updated",
            "members",
        ]
        read_only_fields = fields

    def get_layer(self, cluster: ClaimCluster) -> str:
        return "gold" if cluster.annotator_id is None else "annotator"


class ClusterLayerQuerySerializer(StrictSerializer):
    layer = serializers.ChoiceField(
        choices=["gold", "mine"], required=False, default="gold",
        help_text="The gold layer, or your own.",
    )  # fmt: skip


class ClusterCreateSerializer(StrictSerializer):
    layer = serializers.ChoiceField(choices=["gold", "mine"], default="gold")
    statement = TextField(max_length=limits.CLUSTER_STATEMENT.size)
    claims = serializers.ListField(child=IdField(), max_length=500, default=list)


class SuggestedClaimSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    article = serializers.IntegerField()
    quote = serializers.CharField()
    source = serializers.CharField(allow_null=True)  # type: ignore[assignment]
    score = serializers.FloatField()
