"""The claims API: list, create, update, delete, restore, history. Writes through
``annotate.claims.services``, the functions the pages call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from annotate.chains.links import LinkInput
from annotate.claims import checks as claim_checks
from annotate.claims import services as claim_services
from annotate.claims.serializers import (
    ClaimDeleteSerializer,
    ClaimFilterSerializer,
    ClaimSerializer,
    ClaimUpdateSerializer,
    ClaimWriteSerializer,
    DuplicateClaimSerializer,
    HistorySerializer,
    StaleVersionSerializer,
    layer_as_json,
)
from annotate.claims.services import ENTITY as CLAIM_ENTITY
from annotate.claims.values import claim_changes, claim_fields
from annotate.models import Claim, History
from annotate.permissions import (
    can_annotate,
    claim_for,
    require_claim_owner_or_manager,
    visible_claims,
)
from common import idempotency
from common.api import ApiView
from common.http import AuthenticatedRequest
from corpus.models import Article, Role
from corpus.permissions import article_for, can_curate, require_role

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# --- Claims --------------------------------------------------------------------------

_ABSENT: Any = object()


def _claim_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    """Validated claim fields by their names as arguments (``claim_fields``)."""
    kwargs = dict(data)
    mention = kwargs.pop("source_mention", _ABSENT)
    if mention is not _ABSENT:
        kwargs["mention"] = None if mention is None else (mention["start"], mention["end"])
    if "stances" in kwargs:
        kwargs["stances"] = [
            claim_checks.StanceInput(target=s["target"], stance=s["stance"])
            for s in kwargs["stances"]
        ]
    if "chain" in kwargs:
        kwargs["chain"] = [chain_input(link) for link in kwargs["chain"]]
    return kwargs


def chain_input(link: dict[str, Any]) -> LinkInput:
    """A validated ``ChainLinkSerializer`` item as the services' ``LinkInput``."""
    mention = link.get("source_mention")
    return LinkInput(
        source=link["source"],
        mention=None if not mention else (mention["start"], mention["end"]),
        mention_quote=None if not mention else mention.get("quote"),
        reliability=link.get("reliability", ""),
    )


def claims_layer(user: User, article: Article, filters: dict[str, Any]) -> tuple[int | str, bool]:
    """Whose of the article's claims ``filters`` (``ClaimFilterSerializer``) ask for — a
    user id, "gold" or "all" — and whether deleted ones too: your own by default; another
    annotator's, the gold layer's or everyone's for curators and managers (403 for an
    annotator who asks)."""
    who = filters.get("annotator") or str(user.pk)
    if who != str(user.pk):
        require_role(user, article.project, Role.CURATOR, "read other annotators' claims")
    return (who if who in ("gold", "all") else int(who)), bool(filters.get("include_deleted"))


def claims_chosen(user: User, article: Article, filters: dict[str, Any]) -> Any:
    """The article's claims that ``filters`` ask for (``claims_layer``), if the user may
    read them (``visible_claims``)."""
    whose, deleted = claims_layer(user, article, filters)
    claims = visible_claims(user, article)
    if whose == "gold":
        claims = claims.gold()
    elif isinstance(whose, int):
        claims = claims.filter(annotator_id=whose)
    if not deleted:
        claims = claims.live()
    return claims.select_related("annotator").prefetch_related("stances", "chain")


def chosen_claims_as_json(
    user: User, article: Article, filters: dict[str, Any]
) -> list[dict[str, Any]]:
    """``claims_as_json(claims_chosen(user, article, filters))``, from queries built once
    (``layer_as_json``): the one-request fetch's claims. ``visible_claims``' rule is
    checked here: others' claims for curators and managers only."""
    whose, deleted = claims_layer(user, article, filters)
    if whose != user.pk and not can_curate(user, article.project):
        raise exceptions.PermissionDenied(
            "Only curators and managers can read other annotators' claims."
        )
    return layer_as_json(article.pk, whose, deleted)


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
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
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
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        article = article_for(request.user, pk)
        if not can_annotate(request.user, article):
            raise exceptions.PermissionDenied(
                "Only the annotators this article is assigned to, and managers, can add "
                "claims to it."
            )
        data = self.validated(ClaimWriteSerializer)
        claim = claim_services.claim_create(
            article=article, annotator=request.user, fields=claim_fields(_claim_kwargs(data))
        )
        return Response(_claim_out(claim), status=status.HTTP_201_CREATED)


@extend_schema(tags=["claims"])
class ClaimDetail(ApiView):
    serializer_class = ClaimSerializer
    http_method_names = ["get", "patch", "delete"]

    @extend_schema(summary="A claim")
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
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
    def patch(self, request: AuthenticatedRequest, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        require_claim_owner_or_manager(request.user, claim, "change")
        kwargs = _claim_kwargs(self.validated(ClaimUpdateSerializer))
        version = kwargs.pop("version")
        claim = claim_services.claim_update(
            claim=claim, actor=request.user, version=version, changes=claim_changes(kwargs)
        )
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
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        require_claim_owner_or_manager(request.user, claim, "delete")
        version = self.validated_query(ClaimDeleteSerializer).get("version")
        claim_services.claim_delete(claim=claim, actor=request.user, version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["claims"])
class ClaimRestore(ApiView):
    serializer_class = ClaimSerializer

    @extend_schema(request=None, summary="Undo a delete (its annotator, managers)")
    def post(self, request: AuthenticatedRequest, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        require_claim_owner_or_manager(request.user, claim, "restore")
        return Response(_claim_out(claim_services.claim_restore(claim=claim, actor=request.user)))


@extend_schema(tags=["claims"])
class ClaimHistory(ApiView):
    serializer_class = HistorySerializer

    @extend_schema(
        responses=HistorySerializer(many=True), summary="Every change of a claim, newest first"
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        claim = claim_for(request.user, pk)
        history = History.objects.filter(
            project_id=claim.article.project_id, entity=CLAIM_ENTITY, object_id=claim.pk
        ).select_related("actor")
        return self.paginated(history, HistorySerializer)
