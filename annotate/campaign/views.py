"""A manager's pages of the project: its settings (name, description, guidelines with a
preview, suggestions, agreement thresholds, archive), its scheme editor and its deletion.

Every change goes through a service: ``corpus.services.project_update`` for the
settings, ``annotate.campaign.services.scheme_apply`` for the scheme (the editor's
operations are ``corpus.scheme_edit``'s), ``annotate.sources.services`` for the targets,
``annotate.suggest.tasks.start_suggestions`` for a suggestion run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotate.campaign import services
from annotate.models import Target
from annotate.review.data import BACKGROUND_CLAIMS, DEFAULT_OVERLAP
from annotate.sources import services as source_services
from annotate.suggest import llm
from annotate.suggest import tasks as suggestion_tasks
from common import params
from common.http import HtmxHttpRequest
from corpus import permissions, scheme_edit
from corpus import services as corpus_services
from corpus.markdown import render_markdown
from corpus.models import AnnotatorSources, Project, Role, SuggestionBackend
from corpus.scheme import CHOICE_FIELDS

SETTINGS = "annotate/project_settings.html"
SCHEME = "annotate/project_scheme.html"
DELETE = "annotate/project_delete.html"

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _managed(user: User, slug: str) -> Project:
    return permissions.project_for(user, slug, Role.MANAGER, "change its settings")


def _errors(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for ms in error.message_dict.values() for m in ms]
    return list(error.messages)


# --- Settings --------------------------------------------------------------------------


def _render(
    request: HtmxHttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A page of the campaign."""
    return render(request, template, context, status=status)


def _settings_context(project: Project, **extra: Any) -> dict[str, Any]:
    job = suggestion_tasks.latest_suggestion_job(project)
    return {
        "project": project,
        "backends": SuggestionBackend.choices,
        "annotator_sources": AnnotatorSources.choices,
        "llm_configured": llm.configured(),
        "llm_model": llm.settings_model(),
        "job": job,
        "active": suggestion_tasks.suggestion_job_active(job),
        "default_overlap": DEFAULT_OVERLAP,
        "default_background": BACKGROUND_CLAIMS,
        "values": {
            "name": project.name,
            "description": project.description,
            "guidelines": project.guidelines,
        },
        **extra,
    }


def _optional_number(post: QueryDict, name: str) -> str | None:
    raw = post.get(name, "").strip()
    return raw or None


def _settings_change(request: HtmxHttpRequest, project: Project, action: str) -> str:
    """Carry out ``action`` of the settings form; the message to show."""
    post = request.POST
    if action == "save":
        corpus_services.project_update(
            project=project,
            name=post.get("name", ""),
            description=post.get("description", ""),
            guidelines=post.get("guidelines", ""),
        )
        return "Project saved."
    if action in ("archive", "unarchive"):
        corpus_services.project_update(project=project, archived=action == "archive")
        return (
            "Project archived: it is read-only for annotation."
            if action == "archive"
            else "Project unarchived."
        )
    if action == "suggestions":
        corpus_services.project_update(
            project=project,
            suggestions_enabled=post.get("suggestions_enabled") == "on",
            suggestion_backend=post.get("suggestion_backend", ""),
        )
        return "Suggestion settings saved."
    if action == "sources":
        corpus_services.project_update(
            project=project, annotator_sources=post.get("annotator_sources", "")
        )
        return "Source settings saved."
    if action == "run":
        suggestion_tasks.start_suggestions(project=project, unless_running=True)
        return "Suggestions are being made for every article."
    if action == "agreement":
        overlap = _optional_number(post, "agreement_overlap")
        background = _optional_number(post, "agreement_background_claims")
        corpus_services.project_update(
            project=project,
            agreement_overlap=overlap,
            agreement_background_claims=background,
        )
        return "Agreement settings saved."
    raise ValidationError(f"Unknown action {action[:40]!r}.")


@require_http_methods(["GET", "POST"])
@login_required
def project_settings(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = _managed(request.user, slug)
    if request.method == "GET":
        return _render(request, SETTINGS, _settings_context(project))
    action = request.POST.get("action", "")
    if action == "preview":
        values = {k: request.POST.get(k, "") for k in ("name", "description", "guidelines")}
        return _render(
            request,
            SETTINGS,
            _settings_context(
                project, values=values, preview=render_markdown(values["guidelines"])
            ),
        )
    try:
        message = _settings_change(request, project, action)
    except ValidationError as error:
        project.refresh_from_db()
        values = {k: request.POST.get(k, "") for k in ("name", "description", "guidelines")}
        extra: dict[str, Any] = {"errors": _errors(error)}
        if action == "save":
            extra["values"] = values
        return _render(request, SETTINGS, _settings_context(project, **extra), status=400)
    messages.success(request, message)
    project.refresh_from_db()
    return redirect("annotate:project-settings", slug=project.slug)


# --- Scheme editor ------------------------------------------------------------------------


def _scheme_context(project: Project, **extra: Any) -> dict[str, Any]:
    fields = [
        {
            "name": name,
            "spec": spec,
            "choice": name in CHOICE_FIELDS,
        }
        for name, spec in project.scheme["fields"].items()
    ]
    return {
        "project": project,
        "fields": fields,
        "presets": scheme_edit.PRESETS,
        "targets": Target.objects.filter(project=project),
        **extra,
    }


def _flag(post: QueryDict, name: str) -> bool:
    return post.get(name) == "on"


OpResult = tuple[dict[str, Any], dict[str, dict[str, str]], str]
# An operation: (the new scheme, the renames to migrate, the message).
SchemeOp = Callable[[Project, QueryDict], OpResult]


def _op_preset(project: Project, post: QueryDict) -> OpResult:
    preset = scheme_edit.preset(post.get("preset", ""))
    return preset.scheme(), {}, f"The preset “{preset.label}” is applied."


def _op_field(project: Project, post: QueryDict) -> OpResult:
    name = post.get("field", "")
    scheme = scheme_edit.field_set(
        project.scheme,
        name,
        label=post.get("label", ""),
        help=post.get("help", ""),
        required=_flag(post, "required"),
        hidden=_flag(post, "hidden"),
    )
    return scheme, {}, "Field saved."


def _op_value_add(project: Project, post: QueryDict) -> OpResult:
    scheme = scheme_edit.value_add(
        project.scheme,
        post.get("field", ""),
        value=post.get("value", ""),
        label=post.get("label", ""),
        help=post.get("help", ""),
    )
    return scheme, {}, f"Value “{post.get('value', '').strip()}” added."


def _op_value_set(project: Project, post: QueryDict) -> OpResult:
    scheme = scheme_edit.value_set(
        project.scheme,
        post.get("field", ""),
        value=post.get("value", ""),
        label=post.get("label", ""),
        help=post.get("help", ""),
    )
    return scheme, {}, "Value saved."


def _op_value_move(project: Project, post: QueryDict) -> OpResult:
    by = -1 if post.get("direction") == "up" else 1
    scheme = scheme_edit.value_move(
        project.scheme, post.get("field", ""), value=post.get("value", ""), by=by
    )
    return scheme, {}, "Value moved."


def _op_value_remove(project: Project, post: QueryDict) -> OpResult:
    scheme = scheme_edit.value_remove(
        project.scheme, post.get("field", ""), value=post.get("value", "")
    )
    return scheme, {}, f"Value “{post.get('value', '')}” retired."


def _op_value_rename(project: Project, post: QueryDict) -> OpResult:
    field, old, new = post.get("field", ""), post.get("value", ""), post.get("new", "").strip()
    scheme = scheme_edit.value_rename(project.scheme, field, value=old, new=new)
    return scheme, {field: {old: new}}, f"Value “{old}” renamed to “{new}” on every claim."


SCHEME_OPS: dict[str, SchemeOp] = {
    "preset": _op_preset,
    "field": _op_field,
    "value-add": _op_value_add,
    "value-set": _op_value_set,
    "value-move": _op_value_move,
    "value-remove": _op_value_remove,
    "value-rename": _op_value_rename,
}


def _target(project: Project, post: QueryDict) -> Target:
    pk = params.parse_id(post.get("target", ""), name="target")
    found = Target.objects.filter(project=project, pk=pk).first()
    if found is None:
        raise ValidationError({"target": "No such target in this project."})
    return found


def _target_change(project: Project, op: str, post: QueryDict) -> str:
    if project.archived:
        raise ValidationError(f"The project “{project}” is archived: unarchive it first.")
    if op == "target-add":
        target = source_services.target_create(project=project, name=post.get("name", ""))
        return f"Target “{target.name}” added."
    target = _target(project, post)
    if op == "target-remove":
        source_services.target_delete(target=target)
        return f"Target “{target.name}” removed."
    # target-move: swap with its neighbour, keeping positions dense.
    targets = list(Target.objects.filter(project=project))
    at = targets.index(target)
    to = max(0, min(len(targets) - 1, at + (-1 if post.get("direction") == "up" else 1)))
    targets.insert(to, targets.pop(at))
    for position, item in enumerate(targets):
        if item.position != position:
            source_services.target_update(target=item, position=position)
    return "Target moved."


@require_http_methods(["GET", "POST"])
@login_required
def project_scheme(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = _managed(request.user, slug)
    if request.method == "GET":
        return _render(request, SCHEME, _scheme_context(project))
    op = request.POST.get("op", "")
    try:
        if op in ("target-add", "target-remove", "target-move"):
            message = _target_change(project, op, request.POST)
        elif op in SCHEME_OPS:
            scheme, renames, message = SCHEME_OPS[op](project, request.POST)
            change = services.scheme_apply(
                project=project, scheme=scheme, actor=request.user, renames=renames
            )
            if change.migrated:
                n = change.migrated
                message += f" {n} claim{'s' if n != 1 else ''} migrated, with history."
        else:
            raise ValidationError(f"Unknown operation {op[:40]!r}.")
    except ValidationError as error:
        project.refresh_from_db()
        return _render(
            request,
            SCHEME,
            _scheme_context(project, errors=_errors(error), failed_op=op),
            status=400,
        )
    messages.success(request, message)
    return redirect("annotate:project-scheme", slug=project.slug)


# --- Delete -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def project_delete(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    project = _managed(request.user, slug)
    context: dict[str, Any] = {"project": project, "gold": services.gold_count(project)}
    if request.method == "GET":
        return _render(request, DELETE, context)
    try:
        deleted = services.project_destroy(
            project=project,
            confirm_name=request.POST.get("confirm_name", ""),
            confirm_gold=request.POST.get("confirm_gold") == "on",
        )
    except ValidationError as error:
        return _render(request, DELETE, context | {"errors": _errors(error)}, status=400)
    messages.success(
        request,
        f"“{project.name}” is deleted: {deleted.articles} articles, {deleted.claims} claims, "
        f"{deleted.gold} gold claims.",
    )
    return redirect("corpus:project-list")
