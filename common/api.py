"""The base of every API view, and the API's pagination.

``ApiView`` holds what every view of the API does alike: one page of a list, and the
request's body or query parameters checked by a serializer (else a 400).
"""

from __future__ import annotations

from typing import Any

from rest_framework import generics
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from common.http import AuthenticatedRequest


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


# The base of every API view: the pagination, and helpers for input. (No docstring: the
# schema would show it as every operation's description.)
class ApiView(generics.GenericAPIView):
    pagination_class: type[Pagination] | None = Pagination
    # Every view of the API but the token's takes authenticated requests only.
    request: AuthenticatedRequest

    def validated(self, serializer_class: type[BaseSerializer], data: Any = None) -> dict[str, Any]:
        """The request body (or ``data``) checked by ``serializer_class``, else a 400."""
        if data is None:
            data = self.request.data
        serializer = serializer_class(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def validated_query(self, serializer_class: type[BaseSerializer]) -> dict[str, Any]:
        """The query parameters checked by ``serializer_class``, else a 400."""
        return self.validated(serializer_class, self.request.query_params)

    def paginated(self, queryset: Any, serializer_class: type[BaseSerializer]) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)
