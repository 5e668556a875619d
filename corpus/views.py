from django.http import HttpRequest, HttpResponse


def project_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def article_list(request: HttpRequest, slug: str) -> HttpResponse:
    raise NotImplementedError


def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
