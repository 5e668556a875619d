# One module: Django finds the app's admin here; each ModelAdmin is short, writes via services.
"""The admin for the source registry, targets, assignments, claims and history.

Sources, targets and assignments are written through the packages' services (saves and
deletes alike); a service's refusal is found before saving by a rolled-back dry run and
shown as a form error, or before deleting by ``has_delete_permission``.
Claims are view-only here: their offsets, quotes and versions are kept consistent by the
claim services alone, and they are never deleted (``deleted_at`` marks a deletion).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from annotate.assignments import services as assignment_services
from annotate.assignments.selectors import assignment_has_live_claims
from annotate.models import (
    Assignment,
    ChainLink,
    Claim,
    ClaimCluster,
    ClaimStance,
    ClusterDismissal,
    ClusterMember,
    ClusterSettings,
    Decision,
    DecisionOrigin,
    History,
    LearnedModel,
    Source,
    SourceAlias,
    Suggestion,
    SuggestionResponse,
    Target,
)
from annotate.sources import services as source_services
from common.conflicts import StaleVersion
from common.http import user_of
from corpus.admin import add_errors, adopt, delete_through, dry_run
from corpus.text import search_key

# --- Sources --------------------------------------------------------------------


class SourceForm(forms.ModelForm):
    # The version the form was loaded at: a change saved over a newer one is refused.
    seen_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    class Meta:
        model = Source
        fields = ["project", "name", "kind", "description", "external_id"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["seen_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is not None and cleaned.get("seen_version") is None:
            self.add_error(None, "The form has no source version: reload the page.")
        if self.errors:
            return cleaned
        # The name and kind as the service sees them; aliases are checked by the inline.
        error = dry_run(lambda: write_source(self.instance, cleaned, aliases=None))
        if error is not None:
            add_errors(self, error)
        return cleaned


def write_source(source: Source, data: dict[str, Any], *, aliases: list[str] | None) -> Source:
    """Create or update ``source`` from the admin's cleaned ``data`` through the services."""
    fields = {key: data[key] for key in ("name", "kind", "description", "external_id")}
    if source.pk is None:
        return source_services.source_create(
            project=data["project"], aliases=aliases or (), **fields
        )
    current = Source.objects.get(pk=source.pk)
    try:
        return source_services.source_update(
            source=current, aliases=aliases, version=data.get("seen_version"), **fields
        )
    except StaleVersion as stale:
        raise ValidationError(
            f"Someone else changed this source since you opened it (now version "
            f"{stale.current.version}): reload the page and apply your change again."
        ) from stale


class SourceAliasFormSet(BaseInlineFormSet):
    def aliases(self) -> list[str]:
        return [
            form.cleaned_data["alias"]
            for form in self.forms
            if form.cleaned_data.get("alias") and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        super().clean()
        source = self.instance
        if any(self.errors) or source.project_id is None or not source.name:
            return  # the source form reports its own errors
        data = {
            "project": source.project,
            "name": source.name,
            "kind": source.kind,
            "description": source.description,
            "external_id": source.external_id,
        }
        error = dry_run(lambda: write_source(source, data, aliases=self.aliases()))
        if error is not None:
            messages = error.message_dict.get("aliases") if hasattr(error, "error_dict") else None
            # Name errors are the source form's; only the aliases' are reported here.
            if messages or not hasattr(error, "error_dict"):
                raise ValidationError(messages or error.messages)


class SourceAliasInline(admin.TabularInline):
    model = SourceAlias
    formset = SourceAliasFormSet
    fields = ["alias"]
    extra = 1


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    inlines = [SourceAliasInline]
    list_display = ["name", "kind", "project", "external_id", "alias_list", "claim_count"]
    list_filter = ["kind", "project"]
    # name_key and alias_key make the search case- and diacritic-insensitive ("davutoglu").
    search_fields = ["name", "name_key", "aliases__alias", "aliases__alias_key", "external_id"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    readonly_fields = ["name_key", "created", "updated"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("aliases")
            .annotate(claim_total=Count("claims", distinct=True))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A source belongs to one project's registry; moving it would orphan its claims.
        return [*self.readonly_fields, "project"] if obj else list(self.readonly_fields)

    @admin.display(description="aliases")
    def alias_list(self, obj: Source) -> str:
        return ", ".join(alias.alias for alias in obj.aliases.all())

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, obj: Any) -> int:
        return int(obj.claim_total)

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        data = {**form.cleaned_data, "project": obj.project}
        adopt(obj, write_source(obj, data, aliases=None))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if not isinstance(formset, SourceAliasFormSet):
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # fills the lists the admin's change message reads
        source = Source.objects.get(pk=form.instance.pk)
        source_services.source_update(source=source, aliases=formset.aliases())

    def delete_model(self, request: HttpRequest, obj: Source) -> None:
        delete_through(
            [obj], lambda s: source_services.source_delete(source=s, actor=user_of(request))
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        delete_through(
            queryset, lambda s: source_services.source_delete(source=s, actor=user_of(request))
        )


# --- Targets --------------------------------------------------------------------


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ["project", "name", "position"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is not None or self.errors:
            return cleaned
        project, name = cleaned["project"], cleaned["name"]
        if Target.objects.filter(project=project, name_key=search_key(name)).exists():
            self.add_error("name", "The project already has this target.")
            return cleaned
        error = dry_run(lambda: source_services.target_create(project=project, name=name))
        if error is not None:
            add_errors(self, error)
        return cleaned


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    form = TargetForm
    list_display = ["name", "project", "position", "created"]
    list_filter = ["project"]
    search_fields = ["name", "name_key"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A new target goes to the end (target_create); renaming would change every
        # stance already taken toward it.
        return ["project", "name", "position", "created"] if obj else ["project", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["project", "name", "created"] if obj else []

    def save_model(self, request: HttpRequest, obj: Target, form: Any, change: bool) -> None:
        if change:
            source_services.target_update(target=obj, position=obj.position)
            return
        adopt(obj, source_services.target_create(project=obj.project, name=obj.name))

    def delete_model(self, request: HttpRequest, obj: Target) -> None:
        delete_through([obj], lambda target: source_services.target_delete(target=target))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Target]) -> None:
        delete_through(queryset, lambda target: source_services.target_delete(target=target))


# --- Assignments ----------------------------------------------------------------


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["article", "annotator", "status"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is not None or self.errors:
            return cleaned
        article, annotator = cleaned["article"], cleaned["annotator"]
        error = dry_run(
            lambda: assignment_services.assignment_create(article=article, annotator=annotator)
        )
        if error is not None:
            add_errors(self, error)
        return cleaned


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    form = AssignmentForm
    list_display = ["article", "annotator", "status", "assigned_by", "updated"]
    list_filter = ["status", "article__project"]
    search_fields = ["article__title", "annotator__username", "annotator__email"]
    list_select_related = ["article", "annotator", "assigned_by"]
    autocomplete_fields = ["article", "annotator"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return super().get_queryset(request).defer("article__text", "article__metadata")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["assigned_by", "created", "updated"]
        return ["article", "annotator", *fixed] if obj else fixed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The assignment is how the annotator reaches their claims (assignment_delete).
        if obj is not None and assignment_has_live_claims(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        if change:
            assignment_services.assignment_status_set(
                assignment=obj, status=obj.status, actor=user_of(request)
            )
            return
        assignment = assignment_services.assignment_create(
            article=obj.article, annotator=obj.annotator, assigned_by=user_of(request)
        )
        assignment = assignment_services.assignment_status_set(
            assignment=assignment, status=obj.status, actor=user_of(request)
        )
        adopt(obj, assignment)

    def delete_model(self, request: HttpRequest, obj: Assignment) -> None:
        delete_through(
            [obj],
            lambda a: assignment_services.assignment_delete(assignment=a, actor=user_of(request)),
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        delete_through(
            queryset,
            lambda a: assignment_services.assignment_delete(assignment=a, actor=user_of(request)),
        )


# --- Claims and history (view-only) ---------------------------------------------


class ViewOnlyMixin:
    """Rows written only by services: the admin may look, never add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ClaimStanceInline(ViewOnlyMixin, admin.TabularInline):
    model = ClaimStance
    fields = ["target", "stance"]
    readonly_fields = ["target", "stance"]
    extra = 0


class ChainLinkInline(ViewOnlyMixin, admin.TabularInline):
    """The claim's attribution chain, read-only (written with the claim by its services)."""

    model = ChainLink
    fields = ["position", "source", "mention_start", "mention_end", "reliability"]
    readonly_fields = ["position", "source", "mention_start", "mention_end", "reliability"]
    extra = 0


class LiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("live", "Live"), ("deleted", "Deleted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "live":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(Claim)
class ClaimAdmin(ViewOnlyMixin, admin.ModelAdmin):
    inlines = [ClaimStanceInline, ChainLinkInline]
    list_display = ["short_quote", "article", "annotator", "source", "claim_type", "live"]
    list_filter = [LiveFilter, "claim_type", "article__project"]
    search_fields = ["quote", "note", "source__name", "annotator__username", "article__title"]
    list_select_related = ["article", "annotator", "source"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return super().get_queryset(request).defer("article__text", "article__metadata")

    @admin.display(description="quote")
    def short_quote(self, obj: Claim) -> str:
        return obj.quote if len(obj.quote) <= 80 else obj.quote[:79] + "…"

    @admin.display(description="live", boolean=True)
    def live(self, obj: Claim) -> bool:
        return obj.deleted_at is None


@admin.register(History)
class HistoryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "entity", "object_id", "action", "actor", "project"]
    list_filter = ["entity", "action", "project"]
    search_fields = ["entity", "actor__username"]
    list_select_related = ["actor", "project"]
    date_hierarchy = "at"


class DecisionOriginInline(admin.TabularInline):
    model = DecisionOrigin
    extra = 0
    can_delete = False
    fields = ["claim", "claim_version", "fields"]
    readonly_fields = ["claim", "claim_version", "fields"]
    raw_id_fields = ["claim"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Decision)
class DecisionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Adjudication decisions are made on the review screen and never edited."""

    list_display = ["created", "action", "article", "curator", "gold"]
    list_filter = ["action", "article__project"]
    search_fields = ["article__title", "curator__username", "rationale"]
    list_select_related = ["article", "curator", "gold"]
    raw_id_fields = ["article", "gold"]
    inlines = [DecisionOriginInline]


class SuggestionResponseInline(admin.TabularInline):
    model = SuggestionResponse
    extra = 0
    can_delete = False
    fields = ["annotator", "action", "claim", "created"]
    readonly_fields = ["annotator", "action", "claim", "created"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Suggestions are made by the suggester and answered in the workspace."""

    list_display = ["quote_preview", "article", "source", "attribution", "score", "suggester"]
    list_filter = ["suggester", "attribution", "article__project"]
    search_fields = ["quote", "new_source_name", "source__name"]
    list_select_related = ["article", "source"]
    inlines = [SuggestionResponseInline]

    @admin.display(description="quote")
    def quote_preview(self, obj: Suggestion) -> str:
        return obj.quote[:80]


@admin.register(LearnedModel)
class LearnedModelAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The recommender's stored models, to look at; training and switching on go through
    the project's Recommender page (services.recommender)."""

    list_display = ["project", "version", "trained_at", "claims", "held_out_claims", "active"]
    list_filter = ["active", "project"]
    list_select_related = ["project"]


# --- Claim clusters (annotate/clusters): written by its services, looked at here ----------


class ClusterMemberInline(ViewOnlyMixin, admin.TabularInline):
    model = ClusterMember
    fields = ["claim", "relation", "added_by", "created"]
    raw_id_fields = ["claim"]
    extra = 0


@admin.register(ClaimCluster)
class ClaimClusterAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Claim clusters, to look at; they are made on the project's Clusters pages."""

    list_display = ["statement", "project", "annotator", "version", "updated"]
    list_filter = ["project"]
    list_select_related = ["project", "annotator"]
    search_fields = ["statement"]
    inlines = [ClusterMemberInline]


@admin.register(ClusterDismissal)
class ClusterDismissalAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ["cluster", "claim", "by", "created"]
    raw_id_fields = ["cluster", "claim"]


@admin.register(ClusterSettings)
class ClusterSettingsAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Who clusters; changed by managers on the Clusters page."""

    list_display = ["project", "who"]
