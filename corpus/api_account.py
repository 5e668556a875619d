"""The caller's personal API tokens: ``/api/tokens/`` lists and makes them,
``/api/tokens/{id}/`` revokes one. Writes through ``corpus.services``."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from corpus import api_tokens, services
from corpus.api import ApiView
from corpus.models import ApiToken
from corpus.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
)


def _out(token: ApiToken, key: str | None = None) -> dict[str, Any]:
    data = {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created": token.created,
        "last_used": token.last_used,
        "expires": api_tokens.expires_at(token),
    }
    if key is not None:
        data["token"] = key
    return data


@extend_schema(tags=["auth"])
class ApiTokenList(ApiView):
    serializer_class = ApiTokenSerializer

    @extend_schema(
        responses=ApiTokenSerializer(many=True),
        summary="Your personal API tokens",
        description="Named tokens, with when each was made and last used (never the secret).",
    )
    def get(self, request: Request) -> Response:
        user: Any = request.user
        tokens = ApiToken.objects.filter(user=user)
        page = self.paginate_queryset(tokens)
        return self.get_paginated_response(
            ApiTokenSerializer([_out(t) for t in page or []], many=True).data
        )

    @extend_schema(
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer},
        summary="Make a personal API token",
        description="The answer holds the secret (`token`), this once: only its hash is "
        "stored. Changing your password revokes every token.",
    )
    def post(self, request: Request) -> Response:
        data = self.validated(ApiTokenCreateSerializer)
        token, key = services.api_token_create(user=request.user, name=data["name"])
        return Response(
            ApiTokenCreatedSerializer(_out(token, key)).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["auth"])
class ApiTokenDetail(ApiView):
    serializer_class = ApiTokenSerializer
    pagination_class = None

    @extend_schema(
        responses={204: None},
        summary="Revoke a personal API token",
        description="Requests with it are refused from now on (401).",
    )
    def delete(self, request: Request, pk: int) -> Response:
        user: Any = request.user
        token = ApiToken.objects.filter(user=user, pk=pk).first()
        if token is None:
            raise Http404("No such token.")
        services.api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
