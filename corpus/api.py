"""The corpus API: tokens, projects and articles. Thin: reads through the selectors and
``corpus.permissions``, writes through ``corpus.services`` and ``corpus.importers``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, permissions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import ApiView
from common.http import AuthenticatedRequest
from config.api_errors import ErrorSerializer
from corpus import api_tokens, importers, login_throttle, selectors, services
from corpus import permissions as access
from corpus.models import Article, Project, Role
from corpus.serializers import (
    ArticleCreateSerializer,
    ArticleFilterSerializer,
    ArticleSerializer,
    ArticleSummarySerializer,
    ArticleUploadSerializer,
    CredentialsSerializer,
    ProjectDetailSerializer,
    ProjectSerializer,
    TokenSerializer,
    UploadResultSerializer,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

UNWRAP = {"auto": None, "yes": True, "no": False}


# --- Tokens --------------------------------------------------------------------------


@extend_schema(tags=["auth"])
class TokenView(ApiView):
    """``POST`` a username and password for a token; ``DELETE`` revokes your token."""

    serializer_class = TokenSerializer
    pagination_class = None

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return list(super().get_permissions())

    def get_authenticators(self) -> list[Any]:
        # Logging in needs no session (and so no CSRF token); a bad token header sent
        # along must not stop it either.
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    @extend_schema(
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            429: OpenApiResponse(
                ErrorSerializer, "Too many failed logins for this username: wait and retry."
            ),
        },
        summary="Get a token",
        description="Your API token: the same one each time until you revoke it, change "
        "your password, or it expires (``expires``; null when tokens do not expire).",
    )
    def post(self, request: Request) -> Response:
        data = self.validated(CredentialsSerializer)
        # Counted before the password is checked (see corpus.login_throttle).
        lock = login_throttle.attempt(data["username"], request._request)
        if lock is not None:
            raise exceptions.Throttled(wait=lock.seconds, detail=lock.message)
        user = authenticate(request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise exceptions.ValidationError("Unable to log in with this username and password.")
        login_throttle.reset(data["username"], request._request)
        token = services.token_issue(user=user)
        return Response(
            {
                "token": token.key,
                "username": user.get_username(),
                "expires": api_tokens.expires_at(token),
            }
        )

    @extend_schema(
        responses={204: None},
        summary="Revoke your token",
        description="Deletes your token: requests with it are refused from now on. "
        "POST /api/auth/token/ makes a new one.",
    )
    def delete(self, request: AuthenticatedRequest) -> Response:
        user: User = request.user
        services.token_revoke(user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Projects ------------------------------------------------------------------------


@extend_schema(tags=["projects"], summary="Your projects")
class ProjectList(ApiView, generics.ListAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self) -> Any:
        return selectors.projects_for_user(self.request.user)


@extend_schema(tags=["projects"], summary="A project, with its annotation scheme")
class ProjectDetail(ApiView, generics.RetrieveAPIView):
    serializer_class = ProjectDetailSerializer
    lookup_field = "slug"

    def get_object(self) -> Project:
        # The same rule as access.project_for, with the role and counts annotated.
        project = selectors.projects_for_user(self.request.user).filter(slug=self.kwargs["slug"])
        found = project.first()
        if found is None:
            raise Http404("No such project.")
        return found


# --- Articles ------------------------------------------------------------------------


@extend_schema(tags=["articles"])
class ArticleList(ApiView):
    serializer_class = ArticleSummarySerializer

    @extend_schema(
        parameters=[ArticleFilterSerializer],
        responses=ArticleSummarySerializer(many=True),
        summary="The project's articles you may read",
        description="Annotators see the articles assigned to them; curators and managers "
        "all. Without the text (GET /api/articles/{id}/ has it).",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        filters = self.validated_query(ArticleFilterSerializer)
        articles = selectors.article_list(
            request.user, project, selectors.ArticleFilters(**filters)
        ).select_related("project")
        return self.paginated(articles, ArticleSummarySerializer)

    @extend_schema(
        request=ArticleCreateSerializer,
        responses={
            201: ArticleSerializer,
            200: OpenApiResponse(ArticleSerializer, "The project already had this text."),
        },
        summary="Add an article from its text (managers)",
        description="The text is normalised (NFC, LF line ends, trimmed) and frozen with its "
        "SHA-256; a text the project already has is not added twice: the answer is then "
        "200 with the existing article.",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = access.project_for(request.user, slug, Role.MANAGER, "add articles")
        data = self.validated(ArticleCreateSerializer)
        result = services.article_create(project=project, **data)
        return Response(
            ArticleSerializer(result.article).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


@extend_schema(tags=["articles"])
class ArticleUpload(ApiView):
    parser_classes = [MultiPartParser]
    serializer_class = UploadResultSerializer
    pagination_class = None

    @extend_schema(
        request={"multipart/form-data": ArticleUploadSerializer},
        responses={
            201: UploadResultSerializer,
            200: OpenApiResponse(
                UploadResultSerializer, "Nothing new: the project had every text already."
            ),
        },
        summary="Import a file of articles (managers)",
        description="The file is read as the import_articles command reads it (same formats, "
        "rules and messages): all of its articles are added, or none.",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = access.project_for(request.user, slug, Role.MANAGER, "import articles")
        data = self.validated(ArticleUploadSerializer)
        upload = data["file"]
        if upload.size > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise exceptions.ValidationError(
                {
                    "file": f"the file has {upload.size:,} bytes; the limit is "
                    f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"
                }
            )
        # The name is stored as Article.source_file: keep it printable.
        name = "".join(ch for ch in upload.name or "" if ch.isprintable())[:500] or "upload"
        result = importers.import_file(
            project=project,
            name=name,
            data=upload.read(),
            unwrap=UNWRAP[data["unwrap"]],
            strip_boilerplate=data["strip_boilerplate"],
            language=data["language"] or "en",
        )
        if result.failed:
            raise exceptions.ValidationError({"file": result.error})
        body = UploadResultSerializer(
            {"file": name, "created": result.created, "skipped": result.skipped}
        ).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


@extend_schema(tags=["articles"], summary="An article with its text")
class ArticleDetail(ApiView, generics.RetrieveAPIView):
    serializer_class = ArticleSerializer

    def get_object(self) -> Article:
        return access.article_for(self.request.user, self.kwargs["pk"])
