"""What is annotated: projects, their members and their articles."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.fulltext import Deferred, PostgresGinIndex
from corpus.scheme import default_scheme
from corpus.search import article_search_vector

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ProjectQuerySet(models.QuerySet["Project"]):
    def for_user(self, user: User) -> ProjectQuerySet:
        """Projects the user belongs to (superusers see every project)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(memberships__user=user)

    def active(self) -> ProjectQuerySet:
        """Projects not archived (the default lists)."""
        return self.filter(archived=False)


class SuggestionBackend(models.TextChoices):
    """Which suggester makes a project's suggestions (``annotate.suggest.backends`` maps
    each name to its class): the rules, or a language model behind an OpenAI-compatible
    endpoint (``CLAIMDESK_LLM_*`` settings; runs as a background task)."""

    RULES = "rules", "Rules (built in, immediate)"
    LLM = "llm", "Language model (OpenAI-compatible endpoint, background task)"


class AnnotatorSources(models.TextChoices):
    """What an annotator may do when the registry lacks a source (curators and managers
    may always add one)."""

    PROPOSE = "propose", "Propose it: usable at once in their claims, a curator confirms it"
    CREATE = "create", "Add it to the registry (after a confirmation)"
    NONE = "none", "Nothing: ask a curator to add it"


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="Markdown; rendered sanitised.")
    scheme = models.JSONField(default=default_scheme, help_text="The annotation scheme.")
    suggestions_enabled = models.BooleanField(
        default=False,
        help_text="Pre-annotate articles with suggested claims (made on import and by "
        "“manage.py suggest”).",
    )
    suggestion_backend = models.CharField(
        max_length=32,
        choices=SuggestionBackend.choices,
        default=SuggestionBackend.RULES,
        help_text="The suggester that makes the suggestions.",
    )
    annotator_sources = models.CharField(
        max_length=16,
        choices=AnnotatorSources.choices,
        default=AnnotatorSources.PROPOSE,
        help_text="Whether annotators may add a source the registry lacks from the workspace.",
    )
    archived = models.BooleanField(
        default=False,
        help_text="Archived projects leave the default project list and are read-only for "
        "annotation: claims can't be added, changed or deleted.",
    )
    agreement_overlap = models.FloatField(
        null=True,
        blank=True,
        help_text="The Jaccard overlap at which two annotators' claims count as the same "
        "unit in agreement (0 < x ≤ 1); empty: 0.5.",
    )
    agreement_background_claims = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Above this many claims the agreement figures are computed as a "
        "background task; empty: the CLAIMDESK_AGREEMENT_BACKGROUND_CLAIMS setting.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects: ClassVar[ProjectQuerySet] = ProjectQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agreement_overlap__isnull=True)
                | Q(agreement_overlap__gt=0, agreement_overlap__lte=1),
                name="project_agreement_overlap_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MANAGER = "manager", "Manager"
    CURATOR = "curator", "Curator"
    ANNOTATOR = "annotator", "Annotator"


class Membership(models.Model):
    """A user's role in a project. Managers can do everything in the project;
    curators review and adjudicate; annotators annotate their assigned articles."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} · {self.project}"


class ArticleQuerySet(models.QuerySet["Article"]):
    def in_project(self, project: Project) -> ArticleQuerySet:
        return self.filter(project=project)

    def without_text(self) -> ArticleQuerySet:
        """For lists: the text can be megabytes; only the reader needs it."""
        return self.defer("text", "metadata")


class Article(models.Model):
    """An article, whose ``text`` is frozen once any annotation points into it.

    The freeze is held in two places: ``corpus.services.article_update`` refuses to
    change the text of an annotated article, and a database trigger (installed by the
    annotate app, which owns the tables that point here) rejects any UPDATE that would.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(max_length=500)
    byline = models.CharField(max_length=300, blank=True, help_text="The author(s) as printed.")
    outlet = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    published = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=16, blank=True, default="en")
    text = models.TextField()
    sha256 = models.CharField(max_length=64, editable=False)
    char_count = models.PositiveIntegerField(editable=False, default=0)
    metadata = models.JSONField(default=dict, blank=True)
    source_file = models.CharField(max_length=500, blank=True, help_text="Imported from.")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # True while the article's search entries are still to be built (an import leaves
    # them to a background task, ``corpus.indexing``); NULL once built — rows saved any
    # other way are indexed as they are written. Nullable: the column was added without
    # rebuilding the table on SQLite (corpus/search.py).
    search_pending = models.BooleanField(null=True, default=None, editable=False)

    objects: ClassVar[ArticleQuerySet] = ArticleQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["project", "title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="article_unique_text"),
            models.CheckConstraint(condition=~Q(text=""), name="article_text_not_empty"),
        ]
        indexes = [
            models.Index(fields=["project", "outlet"], name="article_project_outlet"),
            models.Index(fields=["project", "published"], name="article_project_published"),
            # The analysis caches' key: a project's latest article edit in one index read
            # (``annotate.analysis.networks._changes``); SQLite otherwise read every text.
            models.Index(fields=["project", "updated"], name="article_project_updated"),
            # The list's order: its pages and the exports (SQLite's article search too)
            # walk it; the annotator's queue reads the articles' keys from it. PostgreSQL's
            # article search must not (its order is written so that it can't:
            # corpus.search). Migration 0014 (SQLite had it since 0012, outside the model).
            models.Index(fields=["project", "title", "id"], name="article_project_title"),
            # Article search (corpus.search); PostgreSQL only (SQLite: an FTS5 table).
            # Partial: an imported article enters it when its entries are built, not at
            # its INSERT (corpus.indexing).
            # (Deferred: made when read, so that loading the models imports no psycopg.)
            PostgresGinIndex(
                Deferred(article_search_vector),
                name="article_search",
                condition=Q(search_pending__isnull=True),
            ),
            # The articles whose search entries are still to be built (few, or none).
            models.Index(
                fields=["id"], name="article_search_pending", condition=Q(search_pending=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_annotated(self) -> bool:
        """Whether any row of a model that anchors offsets points into this article.

        Models declare ``ANCHORS_ARTICLE_TEXT = True`` (claims, gold claims, suggestions);
        corpus stays ignorant of them, as the layering requires.
        """
        if self.pk is None:
            return False
        for relation in self._meta.related_objects:
            model = relation.related_model
            if getattr(model, "ANCHORS_ARTICLE_TEXT", False):
                manager = model._base_manager
                if manager.filter(**{relation.field.name: self}).exists():
                    return True
        return False


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        """Neither used nor revoked (an expired one is still listed, marked as such)."""
        return self.filter(used_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An invitation to join a project with a role, sent to an e-mail address.

    The link carries a random token; only its SHA-256 is stored (``token_hash``), so the
    table alone lets nobody in. Good once (``used_at``), until ``expires``
    (``CLAIMDESK_INVITATION_DAYS`` after it was made), unless revoked. Written by
    ``corpus.invitations``.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[InvitationQuerySet] = InvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="invitation_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.role} · {self.project}"


class ApiToken(models.Model):
    """A personal API token: named, several per user, made and revoked on the user's own
    page or through ``/api/tokens/``. The secret is shown once; only its SHA-256 is kept
    (``key_hash``), with its first characters (``prefix``) to tell tokens apart."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=16, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="api_token_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) · {self.user}"
