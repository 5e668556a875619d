"""The annotate API: sources, targets, assignments and claims. Thin: it finds objects
through the permission helpers (404 for what you may not see, 403 for what your role may
not do) and writes through ``annotate.services``, the functions the pages call."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from annotate import selectors, services
from annotate.api_permissions import (
    can_annotate,
    claim_for,
    require_claim_owner_or_manager,
    visible_claims,
)
from annotate.models import Assignment, Claim, History, Source, Target
from annotate.serializers import (
    AssignmentFilterSerializer,
    AssignmentSerializer,
    AssignmentWriteSerializer,
    ClaimDeleteSerializer,
    ClaimFilterSerializer,
    ClaimSerializer,
    ClaimUpdateSerializer,
    ClaimWriteSerializer,
    DuplicateClaimSerializer,
    HistorySerializer,
    SourceFilterSerializer,
    SourceMergeSerializer,
    SourceSerializer,
    SourceStaleVersionSerializer,
    SourceUpdateSerializer,
    SourceWriteSerializer,
    StaleVersionSerializer,
    TargetSerializer,
    TargetWriteSerializer,
)
from annotate.services.claims import ENTITY as CLAIM_ENTITY
from annotate.services.sources import SourceStaleVersion
from common import idempotency
from config.api_errors import ValidationErrorSerializer
from corpus.api import ApiView
from corpus.api_permissions import require_curator, require_manager
from corpus.models import Article
from corpus.permissions import article_for, can_curate, can_manage, project_for, role_in
from corpus.text import search_key

# --- Sources -------------------------------------------------------------------------


def _source_out(user: Any, pk: int) -> Source:
    """The source as the API shows it: aliases, Wikidata link, and for curators and
    managers the number of claims citing it."""
    source = selectors.source_for(user, pk)
    if can_curate(user, source.project):
        source.claim_count = selectors.claim_count_of(source)  # type: ignore[attr-defined]
    return source


@extend_schema(tags=["sources"])
class SourceList(ApiView):
    serializer_class = SourceSerializer

    @extend_schema(
        parameters=[SourceFilterSerializer],
        responses=SourceSerializer(many=True),
        summary="The project's source registry",
        description="Search with ?q= over names and aliases, ignoring case, diacritics and "
        "spacing (“davutoglu” finds “Ahmet Davutoğlu”), best matches first.",
    )
    def get(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug)
        filters = selectors.SourceFilters(**self.validated_query(SourceFilterSerializer))
        sources = selectors.source_registry(
            project, filters, with_counts=can_curate(request.user, project)
        )
        return self.paginated(sources, SourceSerializer)

    @extend_schema(
        request=SourceWriteSerializer,
        responses={201: SourceSerializer},
        summary="Add a source (any member)",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug)
        data = self.validated(SourceWriteSerializer)
        source = services.source_create(project=project, **data)
        return Response(
            SourceSerializer(_source_out(request.user, source.pk)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["sources"])
class SourceDetail(ApiView):
    serializer_class = SourceSerializer
    http_method_names = ["get", "patch"]

    @extend_schema(summary="A source")
    def get(self, request: Request, pk: int) -> Response:
        return Response(SourceSerializer(_source_out(request.user, pk)).data)

    @extend_schema(
        request=SourceUpdateSerializer,
        responses={
            200: SourceSerializer,
            409: OpenApiResponse(
                SourceStaleVersionSerializer,
                "The source changed since your version; nothing was written.",
            ),
        },
        summary="Change a source (curators, managers)",
        description="Send the fields to change and the ``version`` you saw; only the fields "
        "given change, and ``aliases`` replaces the alias list. A stale version is answered "
        "409 with the source as it is now, never overwritten.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        source = selectors.source_for(request.user, pk)
        require_curator(request.user, source.project, "change sources")
        data = self.validated(SourceUpdateSerializer)
        try:
            services.source_update(source=source, actor=request.user, **data)
        except SourceStaleVersion as stale:
            # The current source as this API shows it to this user (with its claim count).
            raise SourceStaleVersion(_source_out(request.user, pk)) from stale
        return Response(SourceSerializer(_source_out(request.user, pk)).data)


@extend_schema(tags=["sources"])
class SourceMerge(ApiView):
    serializer_class = SourceSerializer

    @extend_schema(
        request=SourceMergeSerializer,
        responses={200: SourceSerializer},
        summary="Fold another source into this one (curators, managers)",
        description="Every claim citing the other source cites this one; its name and "
        "aliases become aliases of this one; it is deleted.",
    )
    def post(self, request: Request, pk: int) -> Response:
        keep = selectors.source_for(request.user, pk)
        require_curator(request.user, keep.project, "merge sources")
        data = self.validated(SourceMergeSerializer)
        merge = Source.objects.filter(pk=data["merge"], project_id=keep.project_id).first()
        if merge is None:
            raise exceptions.ValidationError(
                {"merge": f"Source {data['merge']} is not in this project's registry."}
            )
        services.source_merge(keep=keep, merge=merge)
        return Response(SourceSerializer(_source_out(request.user, pk)).data)


# --- Targets -------------------------------------------------------------------------


@extend_schema(tags=["targets"])
class TargetList(ApiView):
    serializer_class = TargetSerializer

    @extend_schema(responses=TargetSerializer(many=True), summary="The project's stance targets")
    def get(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug)
        return self.paginated(Target.objects.filter(project=project), TargetSerializer)

    @extend_schema(
        request=TargetWriteSerializer,
        responses={
            201: TargetSerializer,
            200: OpenApiResponse(TargetSerializer, "The project already had this target."),
        },
        summary="Add a stance target (any member)",
        description="Annotators may add a target from the workspace; a name the project "
        "already has (ignoring case and diacritics) returns that target.",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug)
        name = self.validated(TargetWriteSerializer)["name"]
        existed = Target.objects.filter(project=project, name_key=search_key(name)).exists()
        target = services.target_create(project=project, name=name)
        return Response(
            TargetSerializer(target).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


# --- Assignments ---------------------------------------------------------------------


@extend_schema(tags=["assignments"])
class AssignmentList(ApiView):
    serializer_class = AssignmentSerializer

    @extend_schema(
        parameters=[AssignmentFilterSerializer],
        responses=AssignmentSerializer(many=True),
        summary="Who annotates which article",
        description="Managers see every assignment of the project; others their own.",
    )
    def get(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug)
        filters = self.validated_query(AssignmentFilterSerializer)
        assignments = Assignment.objects.filter(article__project=project).select_related(
            "annotator"
        )
        if not can_manage(request.user, project):
            if filters.get("annotator", request.user.pk) != request.user.pk:
                raise exceptions.PermissionDenied(
                    "Only managers can see other annotators' assignments."
                )
            assignments = assignments.filter(annotator_id=request.user.pk)
        if "article" in filters:
            assignments = assignments.filter(article_id=filters["article"])
        if "annotator" in filters:
            assignments = assignments.filter(annotator_id=filters["annotator"])
        if filters.get("status"):
            assignments = assignments.filter(status=filters["status"])
        return self.paginated(assignments, AssignmentSerializer)

    @extend_schema(
        request=AssignmentWriteSerializer,
        responses={
            201: AssignmentSerializer,
            200: OpenApiResponse(AssignmentSerializer, "It was assigned already."),
        },
        summary="Assign an article to a member (managers)",
    )
    def post(self, request: Request, slug: str) -> Response:
        project = project_for(request.user, slug)
        require_manager(request.user, project, "assign articles")
        data = self.validated(AssignmentWriteSerializer)
        article = Article.objects.filter(pk=data["article"], project=project).first()
        members = get_user_model().objects.filter(memberships__project=project)
        if "username" in data:
            annotator = members.filter(username=data["username"]).first()
            who = f"“{data['username']}”"
        else:
            annotator = members.filter(pk=data["annotator"]).first()
            who = f"User {data['annotator']}"
        errors = {}
        if article is None:
            errors["article"] = f"Article {data['article']} is not in this project."
        if annotator is None:
            field = "username" if "username" in data else "annotator"
            errors[field] = f"{who} is not a member of this project."
        if errors:
            raise exceptions.ValidationError(errors)
        assert article is not None and annotator is not None
        existed = Assignment.objects.filter(article=article, annotator=annotator).exists()
        assignment = services.assignment_create(
            article=article, annotator=annotator, assigned_by=request.user
        )
        return Response(
            AssignmentSerializer(assignment).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


def _assignment_for(user: Any, pk: int) -> Assignment:
    """The assignment if the user manages its project or it is theirs, else 404."""
    assignment = (
        Assignment.objects.select_related("article__project", "annotator").filter(pk=pk).first()
    )
    if assignment is None or role_in(user, assignment.article.project) is None:
        raise Http404("No such assignment.")
    if assignment.annotator_id != user.pk and not can_manage(user, assignment.article.project):
        raise Http404("No such assignment.")
    return assignment


@extend_schema(tags=["assignments"])
class AssignmentDetail(ApiView):
    serializer_class = AssignmentSerializer
    http_method_names = ["get", "delete"]

    @extend_schema(summary="An assignment (yours, or any as a manager)")
    def get(self, request: Request, pk: int) -> Response:
        return Response(AssignmentSerializer(_assignment_for(request.user, pk)).data)

    @extend_schema(
        responses={
            204: None,
            400: OpenApiResponse(
                ValidationErrorSerializer,
                "The annotator has claims on the article; nothing was deleted.",
            ),
        },
        summary="Unassign (managers)",
        description="Only while the annotator has no live claims on the article: the "
        "assignment is what lets them reach their claims, so it stays while they have any "
        "(as on the assignments page).",
    )
    def delete(self, request: Request, pk: int) -> Response:
        assignment = _assignment_for(request.user, pk)
        require_manager(request.user, assignment.article.project, "unassign articles")
        services.assignment_delete(assignment=assignment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Claims --------------------------------------------------------------------------

_ABSENT: Any = object()


def _claim_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    """Validated claim fields as the keyword arguments of the claim services."""
    kwargs = dict(data)
    mention = kwargs.pop("source_mention", _ABSENT)
    if mention is not _ABSENT:
        kwargs["mention"] = None if mention is None else (mention["start"], mention["end"])
    if "stances" in kwargs:
        kwargs["stances"] = [
            services.StanceInput(target=s["target"], stance=s["stance"]) for s in kwargs["stances"]
        ]
    return kwargs


def claims_chosen(user: Any, article: Article, filters: dict[str, Any]) -> Any:
    """The article's claims that ``filters`` (``ClaimFilterSerializer``) ask for, if the
    user may read them: their own by default; another annotator's, the gold layer's or
    everyone's for curators and managers (403 for an annotator who asks)."""
    who = filters.get("annotator") or str(user.pk)
    if who != str(user.pk):
        require_curator(user, article.project, "read other annotators' claims")
    claims = visible_claims(user, article)
    if who == "gold":
        claims = claims.gold()
    elif who != "all":
        claims = claims.filter(annotator_id=int(who))
    if not filters.get("include_deleted"):
        claims = claims.live()
    return claims.select_related("annotator").prefetch_related("stances")


def _claim_out(claim: Claim) -> dict[str, Any]:
    return dict(ClaimSerializer(claim).data)


@extend_schema(tags=["claims"])
class ClaimList(ApiView):
    serializer_class = ClaimSerializer

    @extend_schema(
        parameters=[ClaimFilterSerializer],
        responses=ClaimSerializer(many=True),
        summary="Claims on an article",
        description="Yours by default. Curators and managers may ask for another "
        "annotator's (?annotator=<user id>), the gold layer (?annotator=gold) or "
        "everyone's (?annotator=all).",
    )
    def get(self, request: Request, pk: int) -> Response:
        article = article_for(request.user, pk)
        filters = self.validated_query(ClaimFilterSerializer)
        return self.paginated(claims_chosen(request.user, article, filters), ClaimSerializer)

    @extend_schema(
        request=ClaimWriteSerializer,
        parameters=[idempotency.PARAMETER],
        responses={
            201: ClaimSerializer,
            409: OpenApiResponse(
                DuplicateClaimSerializer,
                "You already have a live claim with this span, source, labels and stances "
                "(``existing``); nothing was added. Or a request with the same "
                "Idempotency-Key is still running.",
            ),
        },
        summary="Add a claim (the article's annotators, managers)",
        description="Offsets are Unicode code points (Python string indices, not UTF-16 "
        "units), taken as given: no snapping to words. They must not split a character "
        "(a flag, an emoji sequence, a letter and its accent), and ``quote`` must be the "
        "text between them. Labels are checked against the project's scheme, the source "
        "and targets against the project. A claim identical to one of your live claims "
        "is refused with 409; send an ``Idempotency-Key`` to retry a create safely.",
    )
    @idempotency.idempotent
    def post(self, request: Request, pk: int) -> Response:
        article = article_for(request.user, pk)
        if not can_annotate(request.user, article):
            raise exceptions.PermissionDenied(
                "Only the annotators this article is assigned to, and managers, can add "
                "claims to it."
            )
        data = self.validated(ClaimWriteSerializer)
        claim = services.claim_create(
            article=article, annotator=request.user, **_claim_kwargs(data)
        )
        return Response(_claim_out(claim), status=status.HTTP_201_CREATED)


@extend_schema(tags=["claims"])
class ClaimDetail(ApiView):
    serializer_class = ClaimSerializer
    http_method_names = ["get", "patch", "delete"]

    @extend_schema(summary="A claim")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_claim_out(claim_for(request.user, pk)))

    @extend_schema(
        request=ClaimUpdateSerializer,
        responses={
            200: ClaimSerializer,
            409: OpenApiResponse(
                StaleVersionSerializer,
                "The claim changed since your version; nothing was written.",
            ),
        },
        summary="Change a claim (its annotator, managers)",
        description="Send the fields to change and the ``version`` you saw. A stale version "
        "is answered 409 with the claim as it is now, never overwritten. New offsets need "
        "their ``quote``.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        require_claim_owner_or_manager(request.user, claim, "change")
        kwargs = _claim_kwargs(self.validated(ClaimUpdateSerializer))
        claim = services.claim_update(claim=claim, actor=request.user, **kwargs)
        return Response(_claim_out(claim))

    @extend_schema(
        parameters=[ClaimDeleteSerializer],
        responses={
            204: None,
            409: OpenApiResponse(
                StaleVersionSerializer,
                "The claim changed since your version; nothing was deleted.",
            ),
        },
        summary="Delete a claim (its annotator, managers)",
        description="A soft delete: the claim leaves every list but stays, with its "
        "history, and POST …/restore/ brings it back.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        require_claim_owner_or_manager(request.user, claim, "delete")
        version = self.validated_query(ClaimDeleteSerializer).get("version")
        services.claim_delete(claim=claim, actor=request.user, version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["claims"])
class ClaimRestore(ApiView):
    serializer_class = ClaimSerializer

    @extend_schema(request=None, summary="Undo a delete (its annotator, managers)")
    def post(self, request: Request, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        require_claim_owner_or_manager(request.user, claim, "restore")
        return Response(_claim_out(services.claim_restore(claim=claim, actor=request.user)))


@extend_schema(tags=["claims"])
class ClaimHistory(ApiView):
    serializer_class = HistorySerializer

    @extend_schema(
        responses=HistorySerializer(many=True), summary="Every change of a claim, newest first"
    )
    def get(self, request: Request, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        history = History.objects.filter(
            project_id=claim.article.project_id, entity=CLAIM_ENTITY, object_id=claim.pk
        ).select_related("actor")
        return self.paginated(history, HistorySerializer)
