"""The assignments API: list, create (one or in bulk), change the status, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from annotate.assignments import services as assignment_services
from annotate.assignments.serializers import (
    AssignmentFilterSerializer,
    AssignmentSerializer,
    AssignmentWriteSerializer,
)
from annotate.models import Assignment
from common.api import ApiView
from common.http import AuthenticatedRequest
from config.api_errors import ValidationErrorSerializer
from corpus.models import Article, Role
from corpus.permissions import can_manage, project_for, require_role, role_in

if TYPE_CHECKING:
    from django.contrib.auth.models import User

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
    def get(self, request: AuthenticatedRequest, slug: str) -> Response:
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
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        project = project_for(request.user, slug, Role.MANAGER, "assign articles")
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
        assignment = assignment_services.assignment_create(
            article=article, annotator=annotator, assigned_by=request.user
        )
        return Response(
            AssignmentSerializer(assignment).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


def _assignment_for(user: User, pk: int) -> Assignment:
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
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
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
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        assignment = _assignment_for(request.user, pk)
        require_role(request.user, assignment.article.project, Role.MANAGER, "unassign articles")
        assignment_services.assignment_delete(assignment=assignment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
