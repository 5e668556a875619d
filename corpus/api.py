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
from rest_framework.response import Response

from common.api import ApiView, CappedPagination
from common.http import AuthenticatedRequest
from config.api_errors import ErrorSerializer
from corpus import (
    api_tokens,
    import_jobs,
    importers,
    login_throttle,
    search,
    selectors,
    services,
    uploads,
)
from corpus import permissions as access
from corpus.models import Article, Project, Role
from corpus.serializers import (
    ArticleCreateSerializer,
    ArticleFilterSerializer,
    ArticleFromUrlsSerializer,
    ArticleImportSerializer,
    ArticleSerializer,
    ArticleSummarySerializer,
    ArticleUploadSerializer,
    CredentialsSerializer,
    ImportJobSerializer,
    ImportPreviewSerializer,
    ProjectCreateSerializer,
    ProjectDetailSerializer,
    ProjectFilterSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    TokenSerializer,
    UploadResultSerializer,
    article_summaries_as_json,
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
    def post(self, request: AuthenticatedRequest) -> Response:
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


@extend_schema(tags=["projects"])
class ProjectList(ApiView):
    serializer_class = ProjectSerializer

    @extend_schema(
        parameters=[ProjectFilterSerializer],
        responses=ProjectSerializer(many=True),
        summary="Your projects",
        description="The projects you belong to; archived ones with ?archived=true.",
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        archived = self.validated_query(ProjectFilterSerializer)["archived"]
        projects = selectors.projects_for_user(request.user).filter(archived=archived)
        return self.paginated(projects, ProjectSerializer)

    @extend_schema(
        request=ProjectCreateSerializer,
        responses={201: ProjectDetailSerializer},
        summary="Create a project (you become its manager)",
        description="Who may is the server's CLAIMDESK_PROJECT_CREATORS setting (everyone, "
        "staff, or a group): others get 403. The project starts with the default scheme "
        "(PUT /api/projects/{slug}/scheme/ changes it, or applies a preset).",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.validated(ProjectCreateSerializer)
        project = services.project_start(creator=request.user, **data)
        found = selectors.projects_for_user(request.user).get(pk=project.pk)
        return Response(ProjectDetailSerializer(found).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["projects"])
class ProjectDetail(ApiView):
    serializer_class = ProjectDetailSerializer
    pagination_class = None

    def get_object(self) -> Project:
        # The same rule as access.project_for, with the role and counts annotated.
        project = selectors.projects_for_user(self.request.user).filter(slug=self.kwargs["slug"])
        found = project.first()
        if found is None:
            raise Http404("No such project.")
        return found

    @extend_schema(summary="A project, with its annotation scheme")
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        return Response(ProjectDetailSerializer(self.get_object()).data)

    @extend_schema(
        request=ProjectUpdateSerializer,
        responses={200: ProjectDetailSerializer},
        summary="Change a project (managers)",
        description="Its name, description, guidelines, suggestion settings, agreement "
        "thresholds, or archived state (only the fields given). An archived project is "
        "read-only for annotation: its claims can't be added, changed or deleted.",
    )
    def patch(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = self.get_object()
        access.require_role(request.user, project, Role.MANAGER, "change the project")
        data = self.validated(ProjectUpdateSerializer)
        services.project_update(project=project, **data)
        return Response(ProjectDetailSerializer(self.get_object()).data)


# --- Articles ------------------------------------------------------------------------


@extend_schema(tags=["articles"])
class ArticleList(ApiView):
    serializer_class = ArticleSummarySerializer
    pagination_class = CappedPagination

    @extend_schema(
        parameters=[ArticleFilterSerializer],
        responses=ArticleSummarySerializer(many=True),
        summary="The project's articles you may read",
        description="Annotators see the articles assigned to them; curators and managers "
        "all. Without the text (GET /api/articles/{id}/ has it). A search (`q`) counts at "
        f"most {search.COUNT_CAP:,} matches: with more, `count` is {search.COUNT_CAP:,}, "
        "`count_capped` true, and the pages are those of the first "
        f"{search.COUNT_CAP:,} by title.",
    )
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = access.project_for(request.user, slug)
        filters = self.validated_query(ArticleFilterSerializer)
        assert isinstance(self.paginator, CappedPagination)
        if filters.get("q"):
            self.paginator.cap = search.COUNT_CAP  # a search: "more than 1,000 match"
        # The page's ids by the filters, its rows read by id (as the HTML list: the page
        # sorted every match's whole row by title before taking 50 of them).
        self.paginator.by_id = selectors.article_list(
            request.user, project, selectors.ArticleFilters()
        ).select_related("project")
        articles = selectors.article_list(
            request.user, project, selectors.ArticleFilters(**filters)
        )
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
        body = {  # UploadResultSerializer's answer, built without it (article_summaries_as_json)
            "file": name,
            "created": article_summaries_as_json(result.created, project),
            "skipped": article_summaries_as_json(result.skipped, project),
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else 200)


def _manager_project(request: AuthenticatedRequest, slug: str, what: str) -> Project:
    project = access.project_for(request.user, slug)
    access.require_role(request.user, project, Role.MANAGER, what)
    return project


def _job_response(project: Project, job: str, code: int = status.HTTP_200_OK) -> Response:
    found = import_jobs.job_for(project, job)
    if found is None:
        raise Http404("No such import job.")
    return Response(ImportJobSerializer(import_jobs.job_out(found, job)).data, status=code)


@extend_schema(tags=["articles"])
class ArticleImport(ApiView):
    parser_classes = [MultiPartParser]
    serializer_class = ImportJobSerializer
    pagination_class = None

    @extend_schema(
        request={"multipart/form-data": ArticleImportSerializer},
        responses={
            202: OpenApiResponse(ImportJobSerializer, "The import job (follow it at its URL)."),
            200: OpenApiResponse(ImportPreviewSerializer, "dry_run: what each file would give."),
        },
        summary="Import files of articles, zips too (managers)",
        description="Several files at once, and .zip files of them; each file is read as "
        "the import_articles command reads it and imported in its own transaction (all its "
        "articles or none). A broken file is reported in the job's results with its "
        "reason; the others are imported. The import runs as a background job: the answer "
        "is 202 with the job, to follow at /api/projects/{slug}/articles/jobs/{job}/ "
        "(without a worker it is done already). With dry_run, the answer is 200 with what "
        "each file would give, and nothing is written. Bounds: "
        "CLAIMDESK_MAX_UPLOAD_FILE_BYTES a file, CLAIMDESK_MAX_UPLOAD_BYTES and "
        "CLAIMDESK_MAX_UPLOAD_FILES an upload; a zip bomb is refused.",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = _manager_project(request, slug, "import articles")
        data = self.validated(ArticleImportSerializer)
        options = import_jobs.options_clean(
            unwrap=data["unwrap"],
            strip_boilerplate=data["strip_boilerplate"],
            language=data["language"] or "en",
        )
        files = uploads.expand((upload.name or "", upload) for upload in data["files"])
        if data["dry_run"]:
            previews = [
                importers.preview_file(project=project, name=f.name, data=f.data, **options)
                if not f.problem
                else importers.FilePreview(name=f.name, error=f.problem)
                for f in files
            ]
            return Response(ImportPreviewSerializer({"files": previews}).data)
        job = import_jobs.stage_files(
            project=project, user=request.user, files=files, options=options
        )
        import_jobs.start(project=project, job_id=job)
        return _job_response(project, job, status.HTTP_202_ACCEPTED)


@extend_schema(tags=["articles"])
class ArticleFromUrls(ApiView):
    serializer_class = ImportJobSerializer
    pagination_class = None

    @extend_schema(
        request=ArticleFromUrlsSerializer,
        responses={202: OpenApiResponse(ImportJobSerializer, "The job that fetches the pages.")},
        summary="Add articles by URL (managers)",
        description="Each page is fetched in a background job and its main text, title, "
        "author, date and site extracted with trafilatura, then imported as an uploaded "
        "HTML file would be. Addresses that are not public (private, loopback, link-local) "
        "are refused, redirects to them too; each page at most "
        "CLAIMDESK_URL_FETCH_MAX_BYTES, fetched within CLAIMDESK_URL_FETCH_TIMEOUT seconds. "
        "A URL that does not answer or is not HTML is reported in the job's results.",
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = _manager_project(request, slug, "add articles")
        data = self.validated(ArticleFromUrlsSerializer)
        options = import_jobs.options_clean(
            unwrap=data["unwrap"],
            strip_boilerplate=data["strip_boilerplate"],
            language=data["language"] or "en",
        )
        job = import_jobs.start_urls(
            project=project, user=request.user, urls=data["urls"], options=options
        )
        return _job_response(project, job, status.HTTP_202_ACCEPTED)


@extend_schema(tags=["articles"])
class ArticleImportJob(ApiView):
    serializer_class = ImportJobSerializer
    pagination_class = None

    @extend_schema(
        responses={200: ImportJobSerializer},
        summary="Follow an import job (managers)",
        description="How far an upload or add-by-URL job got, and each file's or URL's "
        "result. Jobs are kept for a day.",
    )
    def get(self, request: AuthenticatedRequest, slug: str, job: str) -> Response:
        project = _manager_project(request, slug, "import articles")
        return _job_response(project, job)


@extend_schema(tags=["articles"], summary="An article with its text")
class ArticleDetail(ApiView, generics.RetrieveAPIView):
    serializer_class = ArticleSerializer

    def get_object(self) -> Article:
        return access.article_for(self.request.user, self.kwargs["pk"])
