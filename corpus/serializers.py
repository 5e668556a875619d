# One module: the corpus API's shapes share their field types and limits (common.limits).
"""Shapes of the corpus API: projects and articles out, article input in.

Serializers only say which fields, of which types; what may be written is checked by
``corpus.services`` (and ``corpus.importers`` for uploads), in one place for the pages,
the commands and the API. The strict field types and ``StrictSerializer`` here are shared
by the annotate API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from common import limits, params
from common.text import json_text_problem, text_problem
from corpus.models import Article, Project, Role
from corpus.selectors import assignment_statuses

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
# Primary keys are 64-bit: a larger id can't exist, and SQLite can't even compare with it.
MAX_ID = params.MAX_ID


# --- Strict input --------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Rejects keys it doesn't know, and read-only ones, instead of ignoring them: a
    misspelt field ("sorce") must not be a silent no-op."""

    def to_internal_value(self, data: Any) -> Any:
        unknown: list[str] = []
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
        problem = (
            f"unknown field(s): {', '.join(unknown)}; the fields are: {', '.join(sorted(writable))}"
            if unknown
            else ""
        )
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            # Report the unknown fields beside the other problems, not instead of them.
            detail: Any = error.detail
            if problem and isinstance(detail, dict):
                detail.setdefault(NON_FIELD, []).insert(0, problem)
            raise
        if problem:
            raise serializers.ValidationError({NON_FIELD: [problem]})
        return value


class TextField(serializers.CharField):
    """A JSON string and nothing else: 42 is a wrong type here, not "42". It passes
    ``common.text.text_problem`` (one-line unless ``multiline``), the check of every
    write path, with the same message."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        problem = text_problem(data, multiline=self.multiline)
        if problem is not None:
            raise serializers.ValidationError(problem, code="invalid")
        return super().to_internal_value(data)


class WholeNumberField(serializers.IntegerField):
    """A JSON integer and nothing else: "12", 12.0 and true are wrong types."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(WholeNumberField):
    """The id of a row, as a JSON integer."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class FormBooleanField(serializers.BooleanField):
    """A boolean that keeps its default when a multipart form leaves it out (DRF's
    treats a missing form field as false)."""

    default_empty_html = empty


class MetadataField(serializers.DictField):
    """A JSON object stored as it is (``corpus.services`` checks its strings and size)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value: dict[str, Any] = super().to_internal_value(data)
        problem = json_text_problem(value, "metadata")
        if problem is not None:
            raise serializers.ValidationError(problem)
        return value


# --- Projects ------------------------------------------------------------------------


class SchemeValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The code stored on a claim.")
    label = serializers.CharField(required=False)  # type: ignore[assignment]
    help = serializers.CharField(required=False)


class SchemeFieldSerializer(serializers.Serializer):
    label = serializers.CharField(required=False)  # type: ignore[assignment]
    required = serializers.BooleanField(required=False)  # type: ignore[assignment]
    hidden = serializers.BooleanField(required=False)
    values = SchemeValueSerializer(
        many=True, required=False, help_text="The allowed values (choice fields only)."
    )
    ordinal = serializers.BooleanField(required=False)
    missing = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Values that count as missing in agreement (F, 6).",
    )


class SchemeSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    fields = serializers.DictField(  # type: ignore[assignment]
        child=SchemeFieldSerializer(),
        help_text="Per claim field (attribution, stance, source_reliability, "
        "information_credibility, claim_type, checkworthy, source, source_mention, "
        "stances, note): its label, whether it is required or hidden, and its values.",
    )
    default_targets = serializers.ListField(child=serializers.CharField())


class ProjectSerializer(serializers.ModelSerializer[Project]):
    role = serializers.ChoiceField(choices=Role.choices, read_only=True, help_text="Yours.")
    article_count = serializers.IntegerField(
        read_only=True,
        help_text="Articles of the project you may read: all of them for curators and "
        "managers, those assigned to you for annotators.",
    )
    assigned_count = serializers.IntegerField(
        read_only=True, help_text="Articles of the project assigned to you."
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "role",
            "article_count",
            "assigned_count",
            "created",
            "updated",
        ]
        read_only_fields = fields


class ProjectDetailSerializer(ProjectSerializer):
    scheme = SchemeSerializer(read_only=True, help_text="The project's annotation scheme.")

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "guidelines",
            "scheme",
            "archived",
            "suggestions_enabled",
            "suggestion_backend",
            "annotator_sources",
            "agreement_overlap",
            "agreement_background_claims",
        ]
        read_only_fields = fields


class ProjectFilterSerializer(serializers.Serializer):
    archived = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: your archived projects instead of the current ones.",
    )


class ProjectCreateSerializer(StrictSerializer):
    name = TextField(max_length=limits.PROJECT_NAME.size)
    slug = TextField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The project's address; default: made from the name.",
    )
    description = TextField(
        required=False, allow_blank=True, multiline=True, max_length=limits.PROJECT_DESCRIPTION.size
    )
    guidelines = TextField(
        required=False,
        allow_blank=True,
        multiline=True,
        max_length=limits.GUIDELINES.size,
        help_text="Markdown, shown to annotators (sanitised).",
    )


class ProjectUpdateSerializer(StrictSerializer):
    name = TextField(required=False, max_length=limits.PROJECT_NAME.size)
    description = TextField(
        required=False, allow_blank=True, multiline=True, max_length=limits.PROJECT_DESCRIPTION.size
    )
    guidelines = TextField(
        required=False, allow_blank=True, multiline=True, max_length=limits.GUIDELINES.size
    )
    archived = serializers.BooleanField(
        required=False,
        help_text="Archived projects leave the project list and are read-only for annotation.",
    )
    suggestions_enabled = serializers.BooleanField(required=False)
    suggestion_backend = serializers.ChoiceField(
        choices=Project._meta.get_field("suggestion_backend").choices or [], required=False
    )
    annotator_sources = serializers.ChoiceField(
        choices=Project._meta.get_field("annotator_sources").choices or [],
        required=False,
        help_text="What an annotator may do when the registry lacks a source: propose it "
        "(a curator confirms), create it, or nothing.",
    )
    agreement_overlap = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0.01,
        max_value=1.0,
        help_text="The Jaccard overlap for agreement's units; null: 0.5.",
    )
    agreement_background_claims = WholeNumberField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=params.MAX_INT32,
        help_text="Above this many claims agreement is computed in the background; null: "
        "the server's setting.",
    )


# --- Articles ------------------------------------------------------------------------

_ARTICLE_FIELDS = [
    "id",
    "project",
    "title",
    "byline",
    "outlet",
    "url",
    "published",
    "language",
    "char_count",
    "sha256",
    "created",
    "updated",
]


class ArticleSummarySerializer(serializers.ModelSerializer[Article]):
    """An article without its text, as lists show it."""

    project = serializers.CharField(source="project.slug", read_only=True)
    url = serializers.CharField(read_only=True, help_text="Where it was published; may be empty.")
    my_status = serializers.ChoiceField(
        choices=assignment_statuses(),
        allow_null=True,
        read_only=True,
        help_text="Your assignment's status; null when the article is not assigned to you.",
    )

    class Meta:
        model = Article
        fields = [*_ARTICLE_FIELDS, "my_status"]
        read_only_fields = fields
        extra_kwargs = {"char_count": {"help_text": "Length in Unicode code points."}}


class ArticleSerializer(serializers.ModelSerializer[Article]):
    """An article with its frozen text: offsets of claims count code points of ``text``."""

    project = serializers.CharField(source="project.slug", read_only=True)
    url = serializers.CharField(read_only=True, help_text="Where it was published; may be empty.")
    metadata = serializers.DictField(read_only=True)

    class Meta:
        model = Article
        fields = [*_ARTICLE_FIELDS, "text", "metadata", "source_file"]
        read_only_fields = fields
        extra_kwargs = {
            "char_count": {"help_text": "Length in Unicode code points."},
            "sha256": {"help_text": "SHA-256 of the UTF-8 text, hex."},
        }


_when = serializers.DateTimeField(read_only=True).to_representation


def _summary_fields(article: Article, slug: str, when: Callable[[Any], str]) -> dict[str, Any]:
    """The fields of ``_ARTICLE_FIELDS`` as their serializers write them (``when`` writes
    ``created`` and ``updated``): what both functions below start from."""
    return {
        "id": article.pk,
        "project": slug,
        "title": article.title,
        "byline": article.byline,
        "outlet": article.outlet,
        "url": article.url,
        "published": None if article.published is None else article.published.isoformat(),
        "language": article.language,
        "char_count": article.char_count,
        "sha256": article.sha256,
        "created": when(article.created),
        "updated": when(article.updated),
    }


def article_as_json(article: Article) -> dict[str, Any]:
    """``ArticleSerializer(article).data``, the same dict, without building the serializer's
    fields on each call (the one-request fetch's share of CPU; a test holds the two equal).
    ``article.project`` should be loaded with it (``select_related``)."""
    return {
        **_summary_fields(article, article.project.slug, _when),
        "text": article.text,
        "metadata": {str(key): value for key, value in article.metadata.items()},
        "source_file": article.source_file,
    }


def article_summaries_as_json(
    articles: Iterable[Article], project: Project
) -> list[dict[str, Any]]:
    """``ArticleSummarySerializer(articles, many=True).data`` for articles of ``project``
    without an assignment status (``my_status`` null): what an upload answers, the same
    dicts built without the serializer's fields (a fifth of a 1,000-article upload's CPU
    time otherwise; a test holds the two equal). An import's articles share one time."""
    times: dict[Any, str] = {}

    def when(value: Any) -> str:
        found = times.get(value)
        if found is None:
            found = times[value] = _when(value)
        return found

    slug = project.slug
    return [{**_summary_fields(article, slug, when), "my_status": None} for article in articles]


class ArticleCreateSerializer(StrictSerializer):
    text = TextField(
        multiline=True, trim_whitespace=False, help_text="Normalised (NFC, LF) and frozen."
    )
    title = TextField(
        required=False,
        allow_blank=True,
        max_length=limits.TITLE.size,
        help_text="Default: the first line.",
    )
    byline = TextField(required=False, allow_blank=True, max_length=limits.BYLINE.size)
    outlet = TextField(required=False, allow_blank=True, max_length=limits.OUTLET.size)
    url = serializers.URLField(required=False, allow_blank=True, max_length=limits.URL.size)
    published = serializers.DateField(required=False, allow_null=True)
    language = TextField(
        required=False, allow_blank=True, max_length=limits.LANGUAGE.size, default="en"
    )
    metadata = MetadataField(required=False, default=dict)


class ArticleFilterSerializer(serializers.Serializer):
    q = TextField(
        required=False,
        allow_blank=True,
        max_length=limits.QUERY.size,
        help_text="Search title, outlet, byline and text.",
    )
    outlet = TextField(
        required=False, allow_blank=True, max_length=limits.OUTLET.size, help_text="Exact outlet."
    )
    status = serializers.ChoiceField(
        choices=assignment_statuses(),
        required=False,
        allow_blank=True,
        help_text="Your assignment's status on the article.",
    )


UNWRAP_CHOICES = ("auto", "yes", "no")


class ReadingOptionsSerializer(StrictSerializer):
    """How the files of an upload or an import are read (``corpus.formats``): the fields
    the two share."""

    unwrap = serializers.ChoiceField(
        choices=UNWRAP_CHOICES,
        default="auto",
        help_text="Join hard-wrapped lines: auto (when the text looks wrapped), yes or no.",
    )
    strip_boilerplate = FormBooleanField(default=True)
    language = TextField(
        required=False,
        max_length=limits.LANGUAGE.size,
        default="en",
        help_text="For articles that state none.",
    )


class ArticleUploadSerializer(ReadingOptionsSerializer):
    file = serializers.FileField(
        help_text="A .txt, .md, .html/.htm or .jsonl file, UTF-8 (one article, or one per "
        "JSONL line); read as the import_articles command reads it."
    )


class UploadResultSerializer(serializers.Serializer):
    file = serializers.CharField(help_text="The uploaded file's name.")
    created = ArticleSummarySerializer(many=True)
    skipped = ArticleSummarySerializer(
        many=True, help_text="Articles whose text the project already had."
    )


class ArticleImportSerializer(ReadingOptionsSerializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        allow_empty=False,
        help_text="One or more .txt, .md, .html/.htm, .jsonl files, or .zip files of them "
        "(UTF-8; send the field once per file). Each file is imported on its own: a "
        "broken file is reported and the others go on.",
    )
    dry_run = FormBooleanField(
        default=False,
        help_text="Only read and check the files and say what each would give "
        "(titles, bylines, the lines the cleanup cuts); write nothing.",
    )


class ArticlePreviewSerializer(serializers.Serializer):
    title = serializers.CharField()
    byline = serializers.CharField()
    outlet = serializers.CharField()
    published = serializers.DateField(allow_null=True)
    language = serializers.CharField()
    char_count = serializers.IntegerField()
    new = serializers.BooleanField(help_text="False: the project has this text already.")
    cut = serializers.ListField(
        child=serializers.CharField(),
        help_text="Lines the boilerplate cleanup cuts (the first 20).",
    )
    cut_count = serializers.IntegerField(help_text="How many lines the cleanup cuts.")
    line = serializers.IntegerField(allow_null=True, help_text="The line, in a JSONL file.")


class FilePreviewSerializer(serializers.Serializer):
    name = serializers.CharField()
    articles = ArticlePreviewSerializer(many=True)
    error = serializers.CharField(help_text="Why the file cannot be imported; empty if it can.")


class ImportPreviewSerializer(serializers.Serializer):
    files = FilePreviewSerializer(many=True)


class ArticleFromUrlsSerializer(StrictSerializer):
    urls = serializers.ListField(
        child=TextField(max_length=limits.URL.size),
        allow_empty=False,
        help_text="http(s) URLs of article pages; each page is fetched and its main text "
        "extracted (trafilatura).",
    )
    unwrap = serializers.ChoiceField(choices=UNWRAP_CHOICES, default="auto")
    strip_boilerplate = serializers.BooleanField(default=True)
    language = TextField(required=False, max_length=limits.LANGUAGE.size, default="en")


class ImportedArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    byline = serializers.CharField()


class ImportFileResultSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The file's name, or the URL.")
    created = ImportedArticleSerializer(many=True, help_text="The first 50 new articles.")
    skipped = ImportedArticleSerializer(
        many=True, help_text="The first 50 articles whose text the project already had."
    )
    created_count = serializers.IntegerField()
    skipped_count = serializers.IntegerField()
    error = serializers.CharField(help_text="Why nothing of this file or URL was imported.")


class ImportJobSerializer(serializers.Serializer):
    job = serializers.CharField()
    # Strings, not enums: "kind" and "state" name other choice sets of the schema.
    kind = serializers.CharField(help_text="files (an upload) or urls (add by URL).")
    state = serializers.CharField(help_text="staged, queued, running, done or failed.")
    done = serializers.IntegerField(help_text="Files or URLs done.")
    total = serializers.IntegerField()
    created = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Files or URLs that gave no article.")
    error = serializers.CharField(help_text="Why the job stopped, if it failed.")
    results = ImportFileResultSerializer(many=True)


# --- Authentication ------------------------------------------------------------------


class CredentialsSerializer(StrictSerializer):
    username = TextField(max_length=150)
    password = TextField(
        multiline=True, trim_whitespace=False, max_length=4096, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as “Authorization: Token <token>”.")
    username = serializers.CharField()
    expires = serializers.DateTimeField(
        allow_null=True, help_text="When the token stops working (null: it does not expire)."
    )


# --- Personal API tokens -------------------------------------------------------------


class ApiTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True, help_text="The token's first characters.")
    created = serializers.DateTimeField(read_only=True)
    last_used = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Noted at most once a minute."
    )
    expires = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the token stops working (null: it does not expire).",
    )


class ApiTokenCreateSerializer(StrictSerializer):
    name = TextField(max_length=100, help_text="What will use it; one token per name.")


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(
        read_only=True,
        help_text="The secret, shown this once: send it as “Authorization: Token <token>”.",
    )
