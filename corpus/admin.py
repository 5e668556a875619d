"""The admin for projects, memberships and articles.

Writes go through ``corpus.services`` like every other write: saves, deletes (one object
or "delete selected") and inlines. A service's refusal must be
a form error, not a server error in ``save_model``: forms check what the services check,
where needed by running the service itself in a savepoint that is rolled back
(``dry_run``), so that the rules live in one place.
An article's text is read-only once the article exists: it is validated, hashed and
frozen by ``article_create``; fixing the text of an unannotated article means deleting
it and importing it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest

from corpus import services
from corpus.models import ApiToken, Article, Invitation, Membership, Project
from corpus.project_services import PROJECT_SETTINGS
from corpus.scheme import validate_scheme
from corpus.selectors import count_of
from corpus.text import sha256_text


class _RolledBack(Exception):
    """Raised inside a dry run to roll its savepoint back."""


def dry_run(write: Callable[[], object]) -> ValidationError | None:
    """The ValidationError that the service call ``write`` raises, or None; whatever it
    wrote is rolled back either way."""
    try:
        with transaction.atomic():
            write()
            raise _RolledBack
    except _RolledBack:
        return None
    except ValidationError as error:
        return error


def add_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its fields where the form has them."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = field if field in form.fields and field != NON_FIELD_ERRORS else None
        form.add_error(target, errors)


def delete_through(objects: Iterable[Any], delete: Callable[[Any], object]) -> None:
    """Delete each object with its service, all or none. The admin's confirmation page
    already refused what ``has_delete_permission`` knows the service refuses; a refusal
    that comes later (a claim made meanwhile) is a 403 with the service's reason."""
    try:
        with transaction.atomic():
            for obj in objects:
                delete(obj)
    except ValidationError as error:
        raise PermissionDenied(" ".join(error.messages)) from error


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = list(PROJECT_SETTINGS)

    def clean_scheme(self) -> Any:
        return validate_scheme(self.cleaned_data["scheme"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["suggestion_backend"].required = False  # left out: unchanged
        self.fields["annotator_sources"].required = False  # left out: unchanged

    def clean_annotator_sources(self) -> Any:
        return self.cleaned_data.get("annotator_sources") or self.instance.annotator_sources

    def clean_suggestion_backend(self) -> Any:
        value = self.cleaned_data.get("suggestion_backend") or self.instance.suggestion_backend
        try:
            return services.suggestion_backend_clean(value)
        except ValidationError as error:
            raise ValidationError(error.message_dict["suggestion_backend"]) from error

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or self.instance.pk is None:
            return cleaned
        current = Project.objects.get(pk=self.instance.pk)
        changed = {name: cleaned[name] for name in self.changed_data if name in cleaned}
        error = dry_run(lambda: services.project_update(project=current, **changed))
        if error is not None:
            add_errors(self, error)
        return cleaned


class MembershipInline(admin.TabularInline):
    """Members at a glance; roles are changed on the membership page (one write path)."""

    model = Membership
    fields = ["user", "role", "created"]
    readonly_fields = ["user", "role", "created"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    list_display = ["name", "slug", "member_count", "article_count", "created"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["created", "updated"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_total=count_of(Membership.objects.filter(project=OuterRef("pk")), "project"),
                article_total=count_of(Article.objects.filter(project=OuterRef("pk")), "project"),
            )
        )

    @admin.display(description="members", ordering="member_total")
    def member_count(self, obj: Any) -> int:
        return int(obj.member_total)

    @admin.display(description="articles", ordering="article_total")
    def article_count(self, obj: Any) -> int:
        return int(obj.article_total)

    def save_model(self, request: HttpRequest, obj: Project, form: Any, change: bool) -> None:
        if change:
            changed = {name: getattr(obj, name) for name in form.changed_data}
            services.project_update(project=obj, **changed)
            return
        # The form's fields are project_create's arguments (PROJECT_SETTINGS).
        adopt(obj, services.project_create(**values_of(obj, ProjectForm.Meta.fields)))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # The membership inline is read-only: roles change on the membership page.
        formset.save(commit=False)

    def delete_model(self, request: HttpRequest, obj: Project) -> None:
        delete_through([obj], lambda project: services.project_delete(project=project))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        delete_through(queryset, lambda project: services.project_delete(project=project))


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role", "created"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "user__email", "project__name", "project__slug"]
    autocomplete_fields = ["project", "user"]
    list_select_related = ["project", "user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A membership is one user in one project; moving it would be a different one.
        return ["project", "user", "created"] if obj else ["created"]

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        membership = services.membership_set(project=obj.project, user=obj.user, role=obj.role)
        adopt(obj, membership)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        delete_through([obj], lambda m: services.membership_delete(membership=m))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        delete_through(
            queryset.select_related("user"), lambda m: services.membership_delete(membership=m)
        )


class ArticleChangeForm(forms.ModelForm):
    """Changing an article: its descriptive fields are checked as the services will."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        given = {k: v for k, v in cleaned.items() if k in ArticleAdmin.editable_fields}
        try:
            services.check_article_fields(given)
        except ValidationError as error:
            add_errors(self, error)
        return cleaned


class ArticleAddForm(ArticleChangeForm):
    """Adding an article: the text is checked as ``article_create`` will store it."""

    class Meta:
        model = Article
        fields = [
            *("project", "title", "byline", "outlet", "url", "published", "language"),
            *("text", "metadata", "source_file"),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text, project = cleaned.get("text"), cleaned.get("project")
        if text is None or project is None:
            return cleaned
        try:
            cleaned["text"] = services.validate_article_text(text)
        except ValidationError as error:
            self.add_error(None, error)
            return cleaned
        sha = sha256_text(cleaned["text"])
        if Article.objects.filter(project=project, sha256=sha).exists():
            self.add_error("text", "Another article of the project has this text.")
        return cleaned


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "outlet", "published", "char_count", "created"]
    list_filter = ["project", "language", "published"]
    search_fields = ["title", "byline", "outlet", "url", "sha256"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    date_hierarchy = "published"
    show_full_result_count = False

    # What article_update may change; everything else is fixed once the article exists.
    editable_fields = ["title", "byline", "outlet", "url", "published", "language", "metadata"]
    fixed_fields = ["project", "text", "source_file", "sha256", "char_count", "created", "updated"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = ArticleAddForm if obj is None else ArticleChangeForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return list(ArticleAddForm.Meta.fields)
        return [
            "project",
            *self.editable_fields,
            *("source_file", "text", "sha256", "char_count", "annotated", "created", "updated"),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*self.fixed_fields, "annotated"] if obj else []

    @admin.display(description="annotated", boolean=True)
    def annotated(self, obj: Article) -> bool:
        return obj.is_annotated()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting an annotated article would take its annotators' work with it.
        if obj is not None and obj.is_annotated():
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: Article) -> None:
        delete_through([obj], lambda article: services.article_delete(article=article))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        delete_through(queryset, lambda article: services.article_delete(article=article))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name == "corpus_article_change":
            return queryset
        # Lists, autocomplete and deletion never show the text, which can be megabytes.
        return queryset.defer("text", "metadata")

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        if change:
            changed = {name: getattr(obj, name) for name in form.changed_data}
            services.article_update(article=obj, **changed)
            return
        # The add form's fields are article_create's arguments.
        result = services.article_create(**values_of(obj, ArticleAddForm.Meta.fields))
        adopt(obj, result.article)


def values_of(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """The unsaved ``obj``'s values of the fields ``names``: a create service's arguments
    when they are the admin form's fields."""
    return {name: getattr(obj, name) for name in names}


def adopt(obj: Any, saved: Any) -> None:
    """Make the admin's unsaved ``obj`` the row a service saved, for the admin's redirect
    and log entry."""
    obj.pk = saved.pk
    obj._state.adding = False
    obj.refresh_from_db()


class _ViewOnly(admin.ModelAdmin):
    """Rows the team page and the account page write (through the services): the admin
    looks, never adds, changes or deletes."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(_ViewOnly):
    list_display = ["email", "project", "role", "inviter", "created", "expires", "used_at"]
    list_filter = ["role", "project"]
    search_fields = ["email", "project__name"]
    list_select_related = ["project", "inviter"]
    exclude = ["token_hash"]


@admin.register(ApiToken)
class ApiTokenAdmin(_ViewOnly):
    list_display = ["name", "user", "prefix", "created", "last_used"]
    search_fields = ["name", "user__username"]
    list_select_related = ["user"]
    exclude = ["key_hash"]
