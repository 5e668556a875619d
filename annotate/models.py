# One module: the tables are one tight graph of foreign keys (tables, migrations unmoved).
"""What annotators make: sources, stance targets, assignments and claims."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Least

from annotate.db_indexes import Deferred, PostgresGinIndex, claim_search_vector
from annotate.review.agreement.spans import Counts
from corpus.models import Article, Project
from corpus.text import search_key

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class SourceKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANISATION = "organisation", "Organisation"
    OUTLET = "outlet", "Media outlet"
    GOVERNMENT = "government", "Government / official body"
    DOCUMENT = "document", "Document"


class SourceStatus(models.TextChoices):
    """A source an annotator adds where the project says "propose" waits for a curator."""

    CONFIRMED = "confirmed", "Confirmed"
    PROPOSED = "proposed", "Proposed"


class SourceQuerySet(models.QuerySet["Source"]):
    def in_project(self, project: Project) -> SourceQuerySet:
        return self.filter(project=project)

    def confirmed(self) -> SourceQuerySet:
        return self.filter(status=SourceStatus.CONFIRMED)

    def proposed(self) -> SourceQuerySet:
        return self.filter(status=SourceStatus.PROPOSED)

    def visible_to(self, user: User, *, curator: bool) -> SourceQuerySet:
        """What the user may see of the registry: everything for curators and managers;
        for an annotator, the confirmed sources and the proposals ``seen_by`` lets them see
        (another annotator's proposal stays hidden: blindness)."""
        if curator:
            return self
        return self.filter(seen_by(user))

    def search(self, query: str) -> SourceQuerySet:
        """Sources whose name or any alias contains the query, ignoring case, diacritics
        and extra whitespace ("davutoglu" finds "Ahmet Davutoğlu", "orekhova" and
        "Орехова" find "Яна Орехова"). Each source comes once, however many aliases match,
        best first: an exact name or alias, then one that starts with the query, then one
        with a word that does ("akar" in "Hulusi Akar"), then any other match; ties by name.
        One query; slice it for a limit.

        ``contains`` can't use the btree indexes on the keys; a registry of thousands of
        sources is scanned in milliseconds. If registries grow to millions, add trigram
        indexes on PostgreSQL rather than changing callers.
        """
        key = search_key(query)
        if not key:
            return self
        alias_hits = SourceAlias.objects.filter(source=OuterRef("pk"), alias_key__contains=key)
        best_alias = (
            alias_hits.annotate(r=_match_rank("alias_key", key)).order_by("r").values("r")[:1]
        )
        return (
            self.filter(Q(name_key__contains=key) | Exists(alias_hits))
            .annotate(
                name_rank=models.Case(
                    models.When(name_key__contains=key, then=_match_rank("name_key", key)),
                    default=models.Value(_NO_MATCH),
                    output_field=models.IntegerField(),
                ),
                alias_rank=Coalesce(
                    Subquery(best_alias, output_field=models.IntegerField()),
                    models.Value(_NO_MATCH),
                ),
            )
            .annotate(rank=Least("name_rank", "alias_rank"))
            .order_by("rank", "name_rank", "name_key", "id")
        )


def seen_by(user: User) -> Q:
    """The sources an annotator may see and cite: the confirmed ones, and a proposed one
    they proposed, joined (proposed the same name: ``SourceJoin``) or already cite (a
    claim of theirs cites it, or carries it in its chain)."""
    own_claims = Claim.objects.filter(source=OuterRef("pk"), annotator=user)
    own_links = ChainLink.objects.filter(source=OuterRef("pk"), claim__annotator=user)
    joined = SourceJoin.objects.filter(source=OuterRef("pk"), user=user)
    return (
        Q(status=SourceStatus.CONFIRMED)
        | Q(proposed_by=user)
        | Q(Exists(joined))
        | Q(Exists(own_claims))
        | Q(Exists(own_links))
    )


# Ranks of a search match, best first; _NO_MATCH is never the best of a found source.
_EXACT, _PREFIX, _WORD_PREFIX, _INSIDE, _NO_MATCH = range(5)


def _match_rank(field: str, key: str) -> models.Case:
    """How well ``field`` (a search key that contains ``key``) matches the query key."""
    return models.Case(
        models.When(**{field: key}, then=models.Value(_EXACT)),
        models.When(**{f"{field}__startswith": key}, then=models.Value(_PREFIX)),
        models.When(**{f"{field}__contains": f" {key}"}, then=models.Value(_WORD_PREFIX)),
        default=models.Value(_INSIDE),
        output_field=models.IntegerField(),
    )


class Source(models.Model):
    """Who makes a claim: a person, organisation, outlet, official body or document."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=300)
    name_key = models.CharField(max_length=300, editable=False, db_index=True)
    kind = models.CharField(max_length=16, choices=SourceKind.choices, default=SourceKind.PERSON)
    description = models.CharField(
        max_length=500, blank=True, help_text="Short description or affiliation."
    )
    external_id = models.CharField(
        max_length=100, blank=True, help_text="E.g. a Wikidata QID such as Q123."
    )
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Grows with each change (optimistic concurrency)."
    )
    status = models.CharField(
        max_length=16,
        choices=SourceStatus.choices,
        default=SourceStatus.CONFIRMED,
        help_text="Proposed by an annotator and not yet confirmed by a curator, or confirmed.",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The annotator who proposed it (kept after confirmation).",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects: ClassVar[SourceQuerySet] = SourceQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name_key"], name="source_unique_name"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in SourceStatus]),
                name="source_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in SourceKind]), name="source_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(name_key=""), name="source_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class SourceAlias(models.Model):
    """Another name for a source ("Isachenko", "Davutoglu")."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=300)
    alias_key = models.CharField(max_length=300, editable=False, db_index=True)

    class Meta:
        ordering = ["alias_key"]
        verbose_name_plural = "source aliases"
        constraints = [
            models.UniqueConstraint(fields=["source", "alias_key"], name="alias_unique_per_source"),
            models.CheckConstraint(condition=~Q(alias_key=""), name="alias_not_empty"),
        ]

    def __str__(self) -> str:
        return self.alias


class SourceJoin(models.Model):
    """An annotator who proposed a name that was already another annotator's proposal,
    hidden from them: they were given that proposal and may see and cite it too
    (``annotate.sources.services.source_add``)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="joins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "user"], name="source_join_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.source_id}"


class Target(models.Model):
    """What a stance is taken toward ("Turkey's influence in Central Asia")."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(max_length=300)
    name_key = models.CharField(max_length=300, editable=False)
    position = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name_key"], name="target_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class Assignment(models.Model):
    """An article given to an annotator to annotate, with their progress on it."""

    # No index of their own: "assignment_unique_annotator" and "assignment_annotator" begin
    # with them (migration 0026; each index is one more entry a bulk import writes a row).
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="assignments",
        db_index=False,
    )
    status = models.CharField(
        max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.NOT_STARTED
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["article_id", "annotator_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "annotator"], name="assignment_unique_annotator"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AssignmentStatus]),
                name="assignment_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["annotator", "status"], name="assignment_annotator")]

    def __str__(self) -> str:
        return f"{self.article} → {self.annotator}"


class ClaimQuerySet(models.QuerySet["Claim"]):
    def live(self) -> ClaimQuerySet:
        return self.filter(deleted_at__isnull=True)

    def for_article(self, article: Article) -> ClaimQuerySet:
        return self.filter(article=article)

    def by(self, annotator: User) -> ClaimQuerySet:
        return self.filter(annotator=annotator)

    def gold(self) -> ClaimQuerySet:
        """The project's adjudicated layer."""
        return self.filter(annotator__isnull=True)

    def annotations(self) -> ClaimQuerySet:
        """Claims made by annotators (not the gold layer)."""
        return self.filter(annotator__isnull=False)


class Claim(models.Model):
    """A span of an article that asserts something, attributed to a source.

    ``start``/``end`` are half-open Unicode code-point offsets into the article's frozen
    text; ``quote`` is the text at those offsets, with a short ``prefix``/``suffix`` so
    that the claim can always be re-anchored and checked. Deleting sets ``deleted_at``:
    claims are never removed, so that delete can be undone and history stays whole.
    A claim without an annotator belongs to the gold layer; its ``decisions`` say how
    it was adjudicated and from which annotator claims.
    """

    ANCHORS_ARTICLE_TEXT = True

    # No index of its own: "claim_article_annotator" begins with it (migration 0026).
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="claims", db_index=False
    )
    # None: the claim belongs to the project's gold layer (made by adjudication).
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="claims",
        null=True,
        blank=True,
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    # No index of its own: "claim_source_deleted" begins with it (migration 0030).
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        db_index=False,
    )
    attribution = models.CharField(max_length=32, blank=True)
    mention_start = models.PositiveIntegerField(null=True, blank=True)
    mention_end = models.PositiveIntegerField(null=True, blank=True)
    source_reliability = models.CharField(max_length=32, blank=True)
    information_credibility = models.CharField(max_length=32, blank=True)
    claim_type = models.CharField(max_length=32, blank=True)
    checkworthy = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ClaimQuerySet] = ClaimQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["article_id", "start", "-end", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="claim_span"),
            models.CheckConstraint(
                condition=(
                    Q(mention_start__isnull=True, mention_end__isnull=True)
                    | Q(
                        mention_start__isnull=False,
                        mention_end__isnull=False,
                        mention_start__lt=models.F("mention_end"),
                    )
                ),
                name="claim_mention_span",
            ),
        ]
        indexes = [
            models.Index(fields=["article", "annotator", "start"], name="claim_article_annotator"),
            # Every read of claims by source: the registry's live counts (index-only,
            # deleted_at IS NULL in the index's condition), the profile, a merge's preview,
            # a source's delete and the foreign-key check (every claim). One index where
            # there were two (the key's own and a partial one of live claims): a bulk
            # import writes one entry less per claim (migration 0030).
            models.Index(fields=["source", "deleted_at"], name="claim_source_deleted"),
            # Claim search's full text (analysis.text_match); PostgreSQL only.
            # (Deferred: made when read, so that loading the models imports no psycopg.)
            PostgresGinIndex(Deferred(claim_search_vector), name="claim_search"),
            # The exports' claims (annotate.exchange.rows_query): an article's live claims
            # in export order, one index scan per article, whatever the statistics say
            # (right after a bulk import PostgreSQL's planner believed the table empty and
            # ANDed claim_live_source's every entry with the article's, per article; 0030
            # replaced that index by claim_source_deleted).
            models.Index(
                fields=["article", "start", "end", "id"],
                condition=Q(deleted_at__isnull=True),
                name="claim_live_article",
            ),
            # An annotator's most recently saved live claim (``my_last_claim``, read by every
            # workspace page): the first entry of the annotator's range. Without it
            # PostgreSQL read all 2.45 million claims to sort the annotator's 700,000 (2 s
            # at the xlarge bench).
            models.Index(
                fields=["annotator", "-updated", "-id"],
                condition=Q(deleted_at__isnull=True),
                name="claim_live_annotator_updated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quote[:60]} [{self.start}:{self.end}]"


class ClaimStance(models.Model):
    """The stance of a claim's source toward one target."""

    # No index of its own: "stance_unique_target" begins with it (migration 0026).
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="stances", db_index=False
    )
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="stances")
    stance = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "target"], name="stance_unique_target"),
        ]

    def __str__(self) -> str:
        return f"{self.stance} → {self.target}"


class ChainLink(models.Model):
    """One intermediary that carried a claim: the claim's source said it (position 0, the
    claim's own ``source``), then position 1 carried it (a quoting outlet, an agency, a
    report), position 2 carried that (a translating outlet), and so on. Each link is a
    source of the registry with its own optional mention (code-point offsets into the
    article's text) and its own reliability rating; the links are part of the claim
    (written with its version bump and history by ``annotate.claims.services``)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="chain")
    position = models.PositiveSmallIntegerField(help_text="1 for the first carrier.")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="chain_links")
    mention_start = models.PositiveIntegerField(null=True, blank=True)
    mention_end = models.PositiveIntegerField(null=True, blank=True)
    reliability = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["claim_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "position"], name="chain_unique_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="chain_position_positive"),
            models.CheckConstraint(
                condition=(
                    Q(mention_start__isnull=True, mention_end__isnull=True)
                    | Q(
                        mention_start__isnull=False,
                        mention_end__isnull=False,
                        mention_start__lt=models.F("mention_end"),
                    )
                ),
                name="chain_mention_span",
            ),
        ]
        indexes = [models.Index(fields=["source", "claim"], name="chain_source")]

    def __str__(self) -> str:
        return f"{self.claim_id} #{self.position}: {self.source_id}"


class Suggestion(models.Model):
    """A candidate claim proposed by a suggester, shared by the article's annotators.

    Accepting one makes the annotator's own claim (recorded in ``SuggestionResponse``);
    suggestions never count in agreement and never freeze the article's text.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField()
    prefix = models.CharField(max_length=64, blank=True)
    suffix = models.CharField(max_length=64, blank=True)
    source = models.ForeignKey(
        Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="suggestions"
    )
    # A speaker the registry does not know yet, as written in the text.
    new_source_name = models.CharField(max_length=300, blank=True)
    attribution = models.CharField(max_length=32, blank=True)
    mention_start = models.PositiveIntegerField(null=True, blank=True)
    mention_end = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField(default=0.0)
    # Proposed labels, as imported pre-annotations carry them: {"stances": [{"target": id,
    # "stance": …}], "source_reliability": …, "information_credibility": …, "claim_type": …,
    # "checkworthy": …, "note": …}. Accepting pre-fills the claim form with them. With a
    # new_source_name, "new_source_kind" (person, organisation, outlet, government) is the
    # kind the suggester told, given to the source that accepting adds.
    labels = models.JSONField(default=dict, blank=True)
    suggester = models.CharField(max_length=100, help_text="Name and version of the suggester.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article_id", "start", "-end", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="suggestion_span"),
            models.UniqueConstraint(
                fields=["article", "start", "end", "suggester"], name="suggestion_unique_span"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quote[:60]} [{self.start}:{self.end}]"


class SuggestionResponse(models.Model):
    """What one annotator did with a suggestion: accepted it (into ``claim``) or dismissed it."""

    class Action(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed"

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="responses")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suggestion_responses"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion", "annotator"], name="suggestion_response_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.annotator_id} {self.action} {self.suggestion_id}"


class DecisionAction(models.TextChoices):
    ACCEPT = "accept", "Accepted one annotator's claim"
    MERGE = "merge", "Merged fields from several claims"
    EDIT = "edit", "Edited"
    ADD = "add", "Added a claim nobody made"
    REJECT = "reject", "Rejected"
    BULK_ACCEPT = "bulk_accept", "Accepted a unanimous group"


class Decision(models.Model):
    """A curator's adjudication on one article: which annotator claims (at which
    versions) it considered, what it made of them (a gold claim, or nothing when it
    rejected them), who decided, when and why."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="decisions")
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions"
    )
    action = models.CharField(max_length=16, choices=DecisionAction.choices)
    gold = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    rationale = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=[a.value for a in DecisionAction]),
                name="decision_action_valid",
            ),
            models.CheckConstraint(
                condition=Q(action="reject", gold__isnull=True)
                | (~Q(action="reject") & Q(gold__isnull=False)),
                name="decision_gold_unless_reject",
            ),
        ]
        indexes = [models.Index(fields=["article", "created"], name="decision_article")]

    def __str__(self) -> str:
        return f"{self.action} on {self.article_id} by {self.curator_id}"


class DecisionOrigin(models.Model):
    """An annotator claim a decision drew on, at the version the curator saw, and which
    of its fields went into the gold claim ("span", "source", "stances", …)."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="origins")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="gold_origins")
    claim_version = models.PositiveIntegerField()
    fields = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["decision", "claim"], name="origin_unique_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} v{self.claim_version} → decision {self.decision_id}"


class ProjectVersion(models.Model):
    """How many writes a project's annotations have had: claims, stances, assignments,
    decisions and their origins, sources. Counted by database triggers
    (``annotate.db_versions``), never written by the app; the agreement cache's key. No
    foreign key: the row outlives its project, so that a project restored under the same
    id counts on."""

    project_id = models.BigIntegerField(primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"project {self.project_id} at version {self.value}"


class NetworkCount(models.Model):
    """How many live claims of a source in a layer (``layer``: 0 for gold, −1 for every
    annotator's together, in ``month`` 0 only, else the annotator's id) have a stance value
    toward a target, in all (``month`` 0) or in the articles published in a year (−YYYY) or
    month (YYYYMM): the discourse networks' counts.
    Kept by database triggers (``annotate.db_network_counts``), never written by the app.
    No foreign key constraints: the triggers write in whatever order a transaction does."""

    # The key is the primary key: each upserted row writes the table and this one B-tree
    # (a surrogate ``id`` was a second B-tree and a sequence on PostgreSQL: bench/RESULTS.md,
    # net35). Its column order is the readers' (project, month, layer, …).
    pk = models.CompositePrimaryKey("project_id", "month", "layer", "source", "target", "stance")
    project_id = models.BigIntegerField()
    layer = models.BigIntegerField()
    month = models.IntegerField(default=0)
    source = models.ForeignKey(
        Source, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    target = models.ForeignKey(
        Target, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    stance = models.CharField(max_length=32)
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"project {self.project_id} layer {self.layer}: {self.n}"


class OverviewCount(models.Model):
    """How many live claims of an article in a layer (``layer``: 0 for gold, else the
    annotator's id) have a claim type and an attribution, and how many of those have no
    source; with ``total`` 1 (the labels empty), all the claims of the article in the layer:
    the corpus overview's counts. Kept by database triggers
    (``annotate.db_overview_counts``), never written by the app. No foreign key
    constraint: the triggers write in whatever order a transaction does."""

    # The key is the primary key (one B-tree per upserted row, as ``NetworkCount``'s).
    pk = models.CompositePrimaryKey("article", "layer", "total", "claim_type", "attribution")
    article = models.ForeignKey(
        Article, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    layer = models.BigIntegerField()
    total = models.SmallIntegerField(default=0)  # 1: every claim of the article in the layer
    claim_type = models.CharField(max_length=32)
    attribution = models.CharField(max_length=32)
    n = models.BigIntegerField(default=0)
    unsourced = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"article {self.article_id} layer {self.layer}: {self.n}"


class HistoryAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    RESTORE = "restore", "Restored"
    MERGE = "merge", "Merged"
    SPLIT = "split", "Split"
    CONFIRM = "confirm", "Confirmed"


class SourceMerge(models.Model):
    """One merge of a source into another, with what moved, so that a manager can split
    it back (``annotate.sources.services.source_split``).

    ``merged`` is the merged source as it was (its fields, ``status`` and ``proposed_by``
    too), ``aliases`` its aliases, ``added_aliases`` the keys the merge added to the kept
    source, ``filled`` the kept source's fields the merge filled (field → value), and
    ``moved`` the rows that pointed at the merged source ("app.model" → ids: claims,
    suggestions), by "app_label.model:field"."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    # No constraint: the kept source may itself be merged away later and come back, with
    # its id, when that merge is split.
    kept = models.ForeignKey(
        Source, on_delete=models.DO_NOTHING, db_constraint=False, related_name="merges"
    )
    kept_name = models.CharField(max_length=300)
    merged_id = models.BigIntegerField(help_text="The merged source's id (a split reuses it).")
    merged = models.JSONField()
    aliases = models.JSONField(default=list)
    added_aliases = models.JSONField(default=list)
    filled = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    split_at = models.DateTimeField(null=True, blank=True)
    split_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged.get('name')} → {self.kept_name}"

    @property
    def claim_count(self) -> int:
        return len(self.moved.get("annotate.claim:source", []))


class History(models.Model):
    """Who changed what, when, with the state before and after: the audit trail of claims,
    sources and gold decisions. Rows are only ever added."""

    # No index of its own: "history_project" begins with it (migration 0026).
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="history", db_index=False
    )
    entity = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=16, choices=HistoryAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "history"
        indexes = [
            models.Index(fields=["entity", "object_id", "at"], name="history_object"),
            models.Index(fields=["project", "at"], name="history_project"),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.object_id} {self.action} by {self.actor_id} at {self.at}"


class LearnedModel(models.Model):
    """A recommender trained on the project's gold and accepted claims
    (``annotate.suggest.recommender``): the pickled model in storage, the data it learnt
    from and its score on the articles held out of training. A manager switches one on
    after seeing that score; at most one per project is on."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="learned_models")
    # The training data's hash and the time of training: a new version whenever either moves.
    version = models.CharField(max_length=64)
    data_hash = models.CharField(max_length=64)
    file = models.CharField(max_length=300, help_text="The model's path in default_storage.")
    trained_at = models.DateTimeField(auto_now_add=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    articles = models.PositiveIntegerField(help_text="Articles trained on.")
    claims = models.PositiveIntegerField(help_text="Claims trained on.")
    held_out_articles = models.PositiveIntegerField()
    held_out_claims = models.PositiveIntegerField()
    proposed = models.PositiveIntegerField(help_text="Proposals on the held-out articles.")
    matched = models.PositiveIntegerField()
    source_correct = models.PositiveIntegerField()
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-trained_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=models.Q(active=True), name="learned_one_active"
            ),
            models.UniqueConstraint(fields=["project", "version"], name="learned_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} learned/{self.version}"

    @property
    def held_out(self) -> Counts:
        """The held-out score's counts (precision, recall, F1, source accuracy)."""
        return Counts(
            proposals=self.proposed,
            labels=self.held_out_claims,
            matched=self.matched,
            source_correct=self.source_correct,
        )

    @property
    def precision(self) -> float:
        return self.held_out.precision

    @property
    def recall(self) -> float:
        return self.held_out.recall

    @property
    def f1(self) -> float:
        return self.held_out.f1

    @property
    def source_accuracy(self) -> float:
        return self.held_out.source_accuracy


class ClusterWho(models.TextChoices):
    CURATORS = "curators", "Curators and managers"
    ANNOTATORS = "annotators", "Annotators too (each in their own layer)"


class ClusterSettings(models.Model):
    """Who may group claims into clusters in a project (``annotate.clusters``). A project
    without a row: curators and managers only."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="cluster_settings"
    )
    who = models.CharField(max_length=16, choices=ClusterWho.choices, default=ClusterWho.CURATORS)

    class Meta:
        verbose_name_plural = "cluster settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(who__in=[w.value for w in ClusterWho]), name="cluster_settings_who"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.who}"


class ClaimCluster(models.Model):
    """Claims that state the same proposition (a repeat, a paraphrase, a translation), with
    a short canonical statement. A cluster belongs to a layer like a claim: an annotator's
    own (``annotator``), or the project's gold layer (``annotator`` None), so that two
    people's clusterings of the same claims can be compared and adjudicated."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="claim_clusters")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="claim_clusters",
        null=True,
        blank=True,
    )
    statement = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project_id", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(statement=""), name="cluster_statement_not_empty"),
        ]
        indexes = [models.Index(fields=["project", "annotator"], name="cluster_layer")]

    def __str__(self) -> str:
        return self.statement[:80]


class ClusterRelation(models.TextChoices):
    MEMBER = "member", "States it"
    CONTRADICTS = "contradicts", "Contradicts it"


class ClusterMember(models.Model):
    """A claim in a cluster: stating its proposition, or contradicting it. In one layer a
    claim states at most one cluster's proposition (``layer_key`` repeats the cluster's
    layer so that the database holds it: 0 for gold, else the annotator's id)."""

    cluster = models.ForeignKey(ClaimCluster, on_delete=models.CASCADE, related_name="members")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="cluster_memberships")
    relation = models.CharField(
        max_length=16, choices=ClusterRelation.choices, default=ClusterRelation.MEMBER
    )
    layer_key = models.PositiveIntegerField(editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cluster_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "claim"], name="cluster_member_unique"),
            models.UniqueConstraint(
                fields=["layer_key", "claim"],
                condition=Q(relation="member"),
                name="cluster_member_one_per_layer",
            ),
            models.CheckConstraint(
                condition=Q(relation__in=[r.value for r in ClusterRelation]),
                name="cluster_member_relation",
            ),
        ]
        indexes = [models.Index(fields=["claim", "layer_key"], name="cluster_member_claim")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.relation} {self.cluster_id}"


class ClusterDismissal(models.Model):
    """A suggested member someone turned down for a cluster: not suggested again."""

    cluster = models.ForeignKey(ClaimCluster, on_delete=models.CASCADE, related_name="dismissals")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "claim"], name="cluster_dismissal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} not in {self.cluster_id}"


class ClusterIndexState(models.TextChoices):
    QUEUED = "queued", "queued"
    BUILDING = "building", "building"
    READY = "ready", "ready"
    FAILED = "failed", "failed"


class ClusterIndex(models.Model):
    """The project's cluster-suggestion index (``annotate.clusters.indexing``): built by a
    background task into a file in ``default_storage`` (NumPy arrays, no pickle), which
    requests only load and query. ``source_at`` is when the build began reading the
    claims: a claim change recorded in the History after it makes the index stale."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="cluster_index"
    )
    state = models.CharField(
        max_length=16, choices=ClusterIndexState.choices, default=ClusterIndexState.QUEUED
    )
    file = models.CharField(max_length=300, blank=True, help_text="Path in default_storage.")
    source_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    claims = models.PositiveIntegerField(default=0, help_text="Claims in the built index.")
    seconds = models.FloatField(default=0, help_text="Time the last build took.")
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes of the file.")
    requested_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"cluster index of {self.project_id} ({self.state})"
