"""The base of every API view, and the API's pagination.

``ApiView`` holds what every view of the API does alike: one page of a list, and the
request's body or query parameters checked by a serializer (else a 400).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework import generics
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from common.http import AuthenticatedRequest
from common.paging import CappedPaginator


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CappedPagination(Pagination):
    """The pages of a list whose count may be capped (``cap``, set by the view for a
    search): ``count`` is then at most ``cap`` (one ``COUNT`` over ``LIMIT cap + 1``,
    ``common.paging.CappedPaginator``), ``count_capped`` says whether more match, and
    the pages are those of the first ``cap`` rows (a page past them: 404, as any page past
    the end). Without a cap, every row is counted and ``count_capped`` is false."""

    cap: int | None = None
    # Set by the view: each page's rows read by id from these (``common.paging.rows_by_id``:
    # the list's query then sorts only the ids and the order's columns of every match).
    by_id: QuerySet[Any] | None = None

    # (A method where DRF has a class: it calls it with the rows and the page size alone.)
    def django_paginator_class(  # type: ignore[override]
        self, object_list: QuerySet[Any], per_page: int
    ) -> Paginator:
        if self.cap is None and self.by_id is None:
            return Paginator(object_list, per_page)
        return CappedPaginator(object_list, per_page, cap=self.cap, by_id=self.by_id)

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None  # (paginate_queryset set it)
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.count,
                "count_capped": getattr(paginator, "capped", False),
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        found = super().get_paginated_response_schema(schema)
        found["required"] = [*found["required"], "count_capped"]
        found["properties"] = {
            "count": found["properties"]["count"],
            "count_capped": {
                "type": "boolean",
                "description": "True when more rows match than `count` says (a search "
                "counts at most its cap; the pages are those of the first `count` rows).",
            },
            **{k: v for k, v in found["properties"].items() if k != "count"},
        }
        return found


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
