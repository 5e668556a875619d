"""The discourse networks over the API (curators and managers).

``GET /api/projects/{slug}/networks/{kind}/``: the network as JSON (nodes and edges, as the
network page draws it), or with ``?export=graphml|gexf|csv`` as that file. The filters of the
page: ``layer``, ``outlet``, ``date_from``, ``date_to``, ``attribution``, and ``top``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from annotate.analysis import networks
from annotate.analysis.filters import ClaimFilters, annotating_members
from common.http import AuthenticatedRequest
from corpus import permissions as access
from corpus.api import ApiView
from corpus.models import Role
from corpus.permissions import project_for
from corpus.serializers import StrictSerializer


class NetworkQuerySerializer(StrictSerializer):
    layer = serializers.CharField(required=False, max_length=32)
    outlet = serializers.CharField(required=False, max_length=200)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    attribution = serializers.CharField(required=False, max_length=32)
    top = serializers.IntegerField(required=False, min_value=1, max_value=networks.MAX_TOP)
    export = serializers.ChoiceField(choices=list(networks.FORMATS), required=False)
    csv_raw = serializers.BooleanField(required=False, default=False)


class NetworkSerializer(serializers.Serializer):
    kind = serializers.CharField()
    nodes = serializers.ListField(child=serializers.DictField())
    edges = serializers.ListField(child=serializers.DictField())
    actors_left_out = serializers.IntegerField()


@extend_schema(tags=["analysis"])
class Network(ApiView):
    serializer_class = NetworkSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            NetworkQuerySerializer,
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=list(networks.KINDS)),
        ],
        # JSON by default; ?export= answers the file, in its own media type.
        responses={
            (200, "application/json"): NetworkSerializer,
            **{
                (200, content_type.split(";")[0]): OpenApiTypes.BINARY
                for content_type, _, _ in networks.FORMATS.values()
            },
        },
        summary="A discourse network of a layer (JSON, GraphML, GEXF or a CSV edge list)",
    )
    def get(self, request: AuthenticatedRequest, slug: str, kind: str) -> Any:
        project = project_for(request.user, slug)
        access.require_role(request.user, project, Role.CURATOR, "read the networks")
        if kind not in networks.KINDS:
            raise Http404("No such network: actor-concept or actor-actor.")
        query = self.validated_query(NetworkQuerySerializer)
        members = {m.user_id for m in annotating_members(project)}
        params = {k: str(v) for k, v in query.items() if k not in ("top", "export", "csv_raw")}
        filters = ClaimFilters.from_query(params, annotator_ids=members)
        net = networks.network(project, filters, kind, query.get("top") or networks.TOP)
        if query.get("export"):
            return networks.response(project, filters, net, query["export"], raw=query["csv_raw"])
        return Response(net.as_json())
