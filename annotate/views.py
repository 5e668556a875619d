from django.http import HttpRequest, HttpResponse


def source_list(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
