"""Writes to the corpus's projects: create (and start with a scheme preset), update,
delete. Re-exported by ``corpus.services``, the corpus's one write path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from common import limits, params
from common.text import check_text
from corpus import permissions
from corpus.account_services import membership_set
from corpus.models import (
    AnnotatorSources,
    Project,
    Role,
    SuggestionBackend,
)
from corpus.scheme import default_scheme, validate_scheme

if TYPE_CHECKING:
    pass


@transaction.atomic
def project_create(
    *,
    name: str,
    slug: str = "",
    description: str = "",
    guidelines: str = "",
    scheme: dict[str, Any] | None = None,
    suggestions_enabled: bool = False,
    suggestion_backend: str = SuggestionBackend.RULES,
    annotator_sources: str = AnnotatorSources.PROPOSE,
) -> Project:
    """Create a project with the default scheme unless one is given."""
    name = check_text(name.strip(), field="name", limit=limits.PROJECT_NAME)
    check_text(slug, field="slug")
    description = check_text(
        description, field="description", limit=limits.PROJECT_DESCRIPTION, multiline=True
    )
    guidelines = check_text(guidelines, field="guidelines", limit=limits.GUIDELINES, multiline=True)
    if not name:
        raise ValidationError({"name": "A project needs a name."})
    slug = slugify(slug or name)
    if not slug:
        raise ValidationError({"slug": "The slug must have letters or digits."})
    if Project.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A project with the slug “{slug}” already exists."})
    return Project.objects.create(
        name=name,
        slug=slug,
        description=description,
        guidelines=guidelines,
        scheme=validate_scheme(scheme) if scheme is not None else default_scheme(),
        suggestions_enabled=bool(suggestions_enabled),
        suggestion_backend=suggestion_backend_clean(suggestion_backend),
        annotator_sources=annotator_sources_clean(annotator_sources),
    )


@transaction.atomic
def project_start(
    *,
    creator: Any,
    name: str,
    slug: str = "",
    description: str = "",
    guidelines: str = "",
    scheme: dict[str, Any] | None = None,
) -> Project:
    """A user creates a project from the pages or the API and becomes its manager.
    ``PermissionDenied`` unless ``CLAIMDESK_PROJECT_CREATORS`` lets them create one."""
    if not permissions.can_create_project(creator):
        raise PermissionDenied("You may not create projects here: ask an administrator.")
    project = project_create(
        name=name, slug=slug, description=description, guidelines=guidelines, scheme=scheme
    )
    membership_set(project=project, user=creator, role=Role.MANAGER)
    return project


def annotator_sources_clean(value: Any) -> str:
    """One of ``AnnotatorSources``' values, else a ValidationError naming them."""
    if value not in AnnotatorSources.values:
        raise ValidationError(
            {
                "annotator_sources": f"Unknown choice {value!r}; the choices are "
                f"{', '.join(AnnotatorSources.values)}."
            }
        )
    return str(value)


def suggestion_backend_clean(value: Any) -> str:
    """The backend's name if it is one and can run here: the language model needs its
    endpoint and model configured (``CLAIMDESK_LLM_BASE_URL``, ``CLAIMDESK_LLM_MODEL``)."""
    if value not in SuggestionBackend.values:
        raise ValidationError(
            {
                "suggestion_backend": f"Unknown suggester {value!r}; the choices are "
                f"{', '.join(SuggestionBackend.values)}."
            }
        )
    if value == SuggestionBackend.LLM and not (
        settings.CLAIMDESK_LLM_BASE_URL and settings.CLAIMDESK_LLM_MODEL
    ):
        raise ValidationError(
            {
                "suggestion_backend": "The language-model suggester is not configured: set "
                "CLAIMDESK_LLM_BASE_URL and CLAIMDESK_LLM_MODEL first."
            }
        )
    return str(value)


# A project's settings as the admin's form edits them (corpus/admin.py's ProjectForm);
# ``project_update`` also takes the archived flag and the agreement settings.
PROJECT_SETTINGS = (
    "name",
    "slug",
    "description",
    "guidelines",
    "scheme",
    "suggestions_enabled",
    "suggestion_backend",
    "annotator_sources",
)
_PROJECT_FIELDS = {
    *PROJECT_SETTINGS,
    "archived",
    "agreement_overlap",
    "agreement_background_claims",
}
_FLAGS = ("suggestions_enabled", "archived")


def _agreement_checked(fields: dict[str, Any]) -> None:
    """The agreement settings in ``fields`` (None: the default), or a ValidationError."""
    if fields.get("agreement_overlap") is not None:
        fields["agreement_overlap"] = params.parse_float(
            fields["agreement_overlap"], name="agreement_overlap", min_value=0.0, max_value=1.0
        )
        if fields["agreement_overlap"] <= 0:
            raise ValidationError(
                {"agreement_overlap": "The overlap must be above 0 (and at most 1)."}
            )
    if fields.get("agreement_background_claims") is not None:
        fields["agreement_background_claims"] = params.parse_int(
            fields["agreement_background_claims"],
            name="agreement_background_claims",
            min_value=1,
            max_value=params.MAX_INT32,
        )


@transaction.atomic
def project_update(*, project: Project, **fields: Any) -> Project:
    """Change a project's name, slug, description, guidelines, scheme, suggestion switch,
    suggester, archived state or agreement settings (only the fields given), checked as
    ``project_create`` checks them. (The scheme editor, which checks a new scheme against
    the project's claims, is ``annotate.campaign.services.scheme_apply``.)"""
    unknown = set(fields) - _PROJECT_FIELDS
    if unknown:
        raise ValidationError(f"These project fields cannot be changed: {sorted(unknown)}.")
    for flag in _FLAGS:
        if flag in fields and not isinstance(fields[flag], bool):
            raise ValidationError({flag: "It must be true or false."})
    if "name" in fields:
        fields["name"] = check_text(
            str(fields["name"]).strip(), field="name", limit=limits.PROJECT_NAME
        )
        if not fields["name"]:
            raise ValidationError({"name": "A project needs a name."})
    if "description" in fields:
        fields["description"] = check_text(
            fields["description"],
            field="description",
            limit=limits.PROJECT_DESCRIPTION,
            multiline=True,
        )
    if "guidelines" in fields:
        fields["guidelines"] = check_text(
            fields["guidelines"], field="guidelines", limit=limits.GUIDELINES, multiline=True
        )
    _agreement_checked(fields)
    if "slug" in fields:
        check_text(fields["slug"], field="slug")
        fields["slug"] = slugify(fields["slug"])
        if not fields["slug"]:
            raise ValidationError({"slug": "The slug must have letters or digits."})
        if Project.objects.filter(slug=fields["slug"]).exclude(pk=project.pk).exists():
            raise ValidationError(
                {"slug": f"A project with the slug “{fields['slug']}” already exists."}
            )
    if "scheme" in fields:
        fields["scheme"] = validate_scheme(fields["scheme"])
    if "suggestion_backend" in fields:
        fields["suggestion_backend"] = suggestion_backend_clean(fields["suggestion_backend"])
    if "annotator_sources" in fields:
        fields["annotator_sources"] = annotator_sources_clean(fields["annotator_sources"])
    for name, value in fields.items():
        setattr(project, name, value)
    project.save(update_fields=[*fields, "updated"])
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Delete a project with everything in it, unless it holds claims (their sources,
    targets and annotators protect them: a project's work is never deleted by accident)."""
    try:
        project.delete()
    except ProtectedError as error:
        raise ValidationError(
            f"The project “{project}” has claims; it can't be deleted with them."
        ) from error
