"""The query of the exports' row source (``rows``): the live claims an export selects
(``claims_queryset``), read as raw column batches from the SQL the ORM writes
(``_raw_batches``: round the ORM's row handling, read ahead by ``fetch.fetch_rows``), with
each batch's articles (``_Articles``) and the claims' decisions (``_Decisions``, read
once), and the other reads an export makes once (the stance targets, whether the project
has chains, the selected articles' ids)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import NotSupportedError, connections
from django.db.models import Case, Func, OuterRef, Q, Subquery, TextField, Value, When
from django.db.models.expressions import Col
from django.db.models.functions import Coalesce

from annotate.exchange.fetch import IdsQuery, IsoFormat, IsoText, StancePairs, fetch_rows
from annotate.exchange.fields import ARTICLE_META, ARTICLE_VALUES, CLAIM_VALUES
from annotate.exchange.options import ExportOptions, split_of
from annotate.exchange.rows_stances import by_article, stance_column
from annotate.models import (
    ChainLink,
    Claim,
    ClaimQuerySet,
    ClaimStance,
    Decision,
    DecisionAction,
    DecisionOrigin,
    Target,
)
from common.spreadsheet import FORMULA_STARTS
from corpus.models import Article, Membership, Project

DEFAULT_CHUNK = 2000


# --- The query ------------------------------------------------------------------------


def claims_queryset(project: Project, options: ExportOptions) -> ClaimQuerySet:
    """The live claims of the project that the options select, annotated with their
    adjudication ``decision`` and ``status``, in export order."""
    claims = Claim.objects.live().filter(article__project=project)
    if options.layer == "gold":
        claims = claims.gold()
    elif options.layer == "annotators":
        claims = claims.annotations()
    if options.annotators:
        # Only the project's people (members, and former ones whose claims stay) are
        # found: someone elsewhere is answered exactly as a name nobody has.
        users = (
            get_user_model()
            .objects.filter(username__in=options.annotators)
            .filter(
                Q(pk__in=Membership.objects.filter(project=project).values("user_id"))
                | Q(pk__in=Claim.objects.filter(article__project=project).values("annotator_id"))
            )
        )
        found = dict(users.values_list("username", "pk"))
        missing = [u for u in options.annotators if u not in found]
        if missing:
            raise ValidationError(
                {"annotator": f"No annotator of this project is called: {', '.join(missing)}."}
            )
        claims = claims.filter(annotator_id__in=found.values())
    if options.articles:
        claims = claims.filter(article_id__in=options.articles)
    if options.sources:
        claims = claims.filter(source_id__in=options.sources)
    if options.stances:
        claims = claims.filter(
            pk__in=ClaimStance.objects.filter(stance__in=options.stances).values("claim_id")
        )
    latest_origin = DecisionOrigin.objects.filter(claim=OuterRef("pk")).order_by(
        "-decision__created", "-decision_id"
    )
    latest_gold = Decision.objects.filter(gold=OuterRef("pk")).order_by("-created", "-id")
    claims = claims.annotate(
        decision=Coalesce(
            Subquery(latest_gold.values("action")[:1]),
            Subquery(latest_origin.values("decision__action")[:1]),
        )
    ).annotate(
        status=Case(
            When(annotator__isnull=True, then=Value("gold")),
            When(decision=DecisionAction.REJECT, then=Value("rejected")),
            When(decision__isnull=False, then=Value("accepted")),
            default=Value("pending"),
        )
    )
    if options.statuses:
        claims = claims.filter(status__in=options.statuses)
    # The article's own id (the ORM writes the claim's ``article_id`` for any spelling of
    # it): SQLite then walks the articles in (title, id) order by their index and each
    # one's claims in (start, end, id) order by theirs, with no sort; the same rows.
    article_id = Col(Article._meta.db_table, Article._meta.pk)
    return claims.order_by("article__title", article_id, "start", "end", "id")


_SELECT = (
    "id",
    "article_id",
    "annotator__username",
    *CLAIM_VALUES,
    "version",
    "stance_pairs",
    "created",
    "updated",
)


# Runs of a claim's own columns, adjacent in an export, that the database can write as
# the export writes them (``WRITTEN_BY``; ``_raw_batches(written=…)``): each run's name → the
# columns it stands for. JSON Lines: the claim's members (``JsonMembers``).
JSON_MEMBERS = {
    "span_json": ("start", "end", "quote"),
    "attribution_json": ("attribution",),
    "labels_json": (
        "source_reliability",
        "information_credibility",
        "claim_type",
        "checkworthy",
        "note",
    ),
}
# CSV: the cells, comma-separated (``CsvCells``).
CSV_CELLS = {
    "span_csv": ("start", "end", "quote", "prefix", "suffix"),
    "attribution_csv": ("attribution",),
    "labels_csv": JSON_MEMBERS["labels_json"],
}
# Every run's name, as the chunks' columns have them.
WRITTEN = (*JSON_MEMBERS, *CSV_CELLS)
# The databases that write the runs (on PostgreSQL the server's process does it, beside
# the export's Python: issue 21, exp30 in bench/RESULTS.md).
WRITTEN_BY = frozenset({"sqlite", "postgresql"})
# The databases that read the claims' stances per article (``rows_stances.by_article``)
# rather than per claim (``_stance_pairs``): PostgreSQL, where the per-claim subquery was
# ~40 % of the query's server CPU (csvpg34 in bench/RESULTS.md).
STANCES_BY_ARTICLE = frozenset({"postgresql"})
# The databases that write the claims' times whole, as ``datetime.isoformat()`` does
# (``fetch.IsoFormat``), rather than text that Python turns into it (``IsoText``).
ISO_BY = frozenset({"postgresql"})


class _Written(Func):
    """A run of columns as one text, written by the database (SQLite, PostgreSQL)."""

    output_field = TextField()

    def __init__(self, *fields: str) -> None:
        super().__init__(*fields)
        self.fields = fields

    def as_sql(self, *args: Any, **kwargs: Any) -> Any:
        raise NotSupportedError(f"{type(self).__name__} is written for SQLite and PostgreSQL only.")

    def compiled(self, compiler: Any) -> list[str]:
        """The SQL of each column (columns only: no parameters)."""
        out = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            if params:  # pragma: no cover - columns have none
                raise NotSupportedError("Only columns can be written as a run.")
            out.append(sql)
        return out


class JsonMembers(_Written):
    """Members of a JSON object, ``"key": value, "key": value`` (the keys: the fields'
    names), each value as ``json.dumps(value, ensure_ascii=False)`` writes a str, an
    int or None: SQLite's ``json_quote`` escapes every code point as
    ``json.encoder.encode_basestring`` does (compared over all of them, U+0000 to
    U+10FFFF: the same text; a test pins them), integers as ``repr`` and NULL as
    ``null`` (PostgreSQL's ``to_json``: the same, ``as_postgresql``). Made by the query,
    it costs the export's Python nothing: SQLite runs it on the reading thread without
    the GIL, PostgreSQL in the server's process."""

    def _members(self, compiler: Any, value: str) -> Any:
        """The members' SQL, ``value`` the database's JSON text of ``{sql}``."""
        parts = []
        for index, (field, sql) in enumerate(
            zip(self.fields, self.compiled(compiler), strict=True)
        ):
            label = (", " if index else "") + f'"{field}": '
            parts.append(f"'{label}' || " + value.format(sql=sql))
        return "(" + " || ".join(parts) + ")", []

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self._members(compiler, "json_quote({sql})")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # ``to_json`` of a text escapes as ``encode_basestring`` does (compared over
        # every code point PostgreSQL stores, U+0001 to U+10FFFF, exp28 in
        # bench/RESULTS.md; a test pins the awkward ones), of an integer its digits.
        return self._members(compiler, "COALESCE(CAST(to_json({sql}) AS text), 'null')")


# common.spreadsheet.FORMULA_STARTS as the code points SQLite's ``unicode()`` gives (an
# integer compared: cheaper than the first character as text).
_FORMULA_STARTS = ", ".join(str(ord(c)) for c in FORMULA_STARTS)
# What puts a CSV cell in double quotes: a comma, a double quote, a line break.
_QUOTED_FOR = ("','", "'\"'", "char(10)", "char(13)")
# The same for PostgreSQL: the formula starts as one-character texts, ``chr`` for the
# control characters.
_FORMULA_CHARS = ", ".join(f"chr({ord(c)})" for c in FORMULA_STARTS)
_QUOTED_FOR_PG = ("','", "'\"'", "chr(10)", "chr(13)")


class CsvCells(_Written):
    """CSV cells, comma-separated, as ``tabular``'s writer makes them: an integer
    (``start``, ``end``) as ``str``; a text (never NULL) with a leading ``'`` when
    ``safe`` and it starts as a formula would (``common.spreadsheet``), then in double
    quotes, its quotes doubled, when it holds a comma, a double quote or a line break
    (RFC 4180). The leading ``'`` changes nothing about the quotes, and doubling quotes
    never changes the first character, so both look at the stored text."""

    NUMBERS = frozenset({"start", "end"})

    def __init__(self, *fields: str, safe: bool) -> None:
        super().__init__(*fields)
        self.safe = safe

    def _cells(self, compiler: Any, starts: str, contains: str, quoted_for: Any) -> Any:
        """The record's SQL, each database's functions given as templates over ``sql``
        (and ``c``): ``starts``, whether the cell begins with a formula character;
        ``contains``, whether character ``c`` (one of ``quoted_for``) is in it."""
        cells = []
        for field, sql in zip(self.fields, self.compiled(compiler), strict=True):
            if field in self.NUMBERS:
                cells.append(f"CAST({sql} AS text)")
                continue
            lead = ""
            if self.safe:
                lead = f"CASE WHEN {starts.format(sql=sql)} THEN '''' ELSE '' END || "
            quoted = " OR ".join(contains.format(sql=sql, c=c) for c in quoted_for)
            cells.append(
                f"CASE WHEN {quoted} THEN '\"' || {lead}replace({sql}, '\"', '\"\"') || '\"' "
                f"ELSE {lead}{sql} END"
            )
        return "(" + " || ',' || ".join(f"({cell})" for cell in cells) + ")", []

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        starts = f"unicode({{sql}}) IN ({_FORMULA_STARTS})"
        return self._cells(compiler, starts, "instr({sql}, {c}) > 0", _QUOTED_FOR)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # ``left`` for the first character, ``strpos`` for the characters that put a
        # cell in quotes.
        starts = f"left({{sql}}, 1) IN ({_FORMULA_CHARS})"
        return self._cells(compiler, starts, "strpos({sql}, {c}) > 0", _QUOTED_FOR_PG)


def written_runs(kind: str | None) -> dict[str, _Written]:
    """The runs the database writes for an export: ``"json"`` (JSON Lines), ``"csv"``
    or ``"csv_raw"`` (CSV, with and without formula-safe cells); ``None``: none."""
    if kind == "json":
        return {name: JsonMembers(*fields) for name, fields in JSON_MEMBERS.items()}
    if kind in ("csv", "csv_raw"):
        safe = kind == "csv"
        return {name: CsvCells(*fields, safe=safe) for name, fields in CSV_CELLS.items()}
    if kind is None:
        return {}
    raise ValueError(f"No written runs for {kind!r}.")


def project_targets(project: Project) -> list[str]:
    """The project's stance targets by name, in their order (per-target columns)."""
    return list(Target.objects.filter(project=project).values_list("name", flat=True))


def _stance_pairs() -> Subquery:
    stances = (
        ClaimStance.objects.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim_id")
        .annotate(pairs=StancePairs("target_id", "stance"))
        .values("pairs")
    )
    return Subquery(stances, output_field=TextField())


def _raw_batches(
    project: Project,
    options: ExportOptions,
    size: int,
    omit: Collection[str] = (),
    written: str | None = None,
) -> Iterator[tuple[dict[str, tuple[Any, ...]], dict[int, dict[str, Any]]]]:
    """The selected claims' own columns (``_SELECT`` but ``omit``, and their ``decision``)
    by name, ``size`` rows at a time, from the SQL the ORM writes for them (going round
    the ORM's row handling, a converter call per value and a dict per row, is most of
    the export's speed); with the batch's articles by id. The decisions are not the
    query's (``claims_queryset``'s two subqueries per claim, each with a sort, were an
    eighth of its time on SQLite): ``_Decisions`` reads the project's once.

    With ``written`` (``written_runs``) on SQLite and PostgreSQL (``WRITTEN_BY``; there in the
    server's process, beside this one), runs of the claims' columns come as
    the export's text for them instead (JSON Lines' ``span_json`` for ``start``,
    ``end`` and ``quote``, and so on): fewer, readier values per row, made without the
    GIL. Elsewhere the columns come as usual."""
    queryset = claims_queryset(project, options)
    db = connections[queryset.db]
    # Per article unless the export picks articles: then the walk of all the project's
    # articles would read the others' claims for nothing.
    stances_by_article = db.vendor in STANCES_BY_ARTICLE and not options.articles
    queryset = queryset.annotate(
        stance_pairs=stance_column(db) if stances_by_article else _stance_pairs()
    )
    aliases = {name: name for name in _SELECT if name not in omit}
    runs = written_runs(written) if db.vendor in WRITTEN_BY else {}
    if runs:
        queryset = queryset.annotate(**runs)
        for name, run in runs.items():
            for field in run.fields:
                aliases.pop(field, None)
            aliases[name] = name
    if db.vendor in ISO_BY and db.timezone_name == "UTC":
        # The times as ``datetime.isoformat()`` writes them, whole (``*_iso``: PostgreSQL).
        queryset = queryset.annotate(
            created_iso=IsoFormat("created"), updated_iso=IsoFormat("updated")
        )
        for name in ("created", "updated"):
            del aliases[name]
            aliases[f"{name}_iso"] = f"{name}_iso"
    elif db.vendor in ("sqlite", "postgresql") and db.timezone_name == "UTC":
        queryset = queryset.annotate(
            created_text=IsoText("created"), updated_text=IsoText("updated")
        )
        aliases.update(created="created_text", updated="updated_text")
    values = queryset.values_list(*aliases.values())
    compiler = values.query.get_compiler(using=values.db)
    sql, params = compiler.as_sql()
    if stances_by_article:
        sql, params = by_article(sql, list(params), db)
    # The SQL's columns by name, whatever order the ORM writes them in.
    selected = [alias for _, _, alias in compiler.select]
    if sorted(selected) != sorted(aliases.values()):  # pragma: no cover - another Django
        raise RuntimeError(f"Unexpected columns for the claims: {selected}")
    where = {name: selected.index(alias) for name, alias in aliases.items()}
    # The articles are read by whoever reads the rows (a thread of its own on PostgreSQL).
    articles = _Articles(options)
    decisions = _Decisions(project)
    article_at = where["article_id"]

    def articles_of(
        batch: list[tuple[Any, ...]],
    ) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
        return articles({row[article_at] for row in batch}), decisions.latest()

    for batch, (batch_articles, latest) in fetch_rows(values.db, sql, params, size, articles_of):
        columns = tuple(zip(*batch, strict=True))
        raw = {name: columns[index] for name, index in where.items()}
        raw["decision"] = tuple(map(latest.get, raw["id"]))
        yield raw, batch_articles


class _Decisions:
    """Each claim's ``decision`` as ``claims_queryset`` annotates it (the action of the
    latest decision on the gold claim, else of the latest decision that the claim is an
    origin of; latest: by creation, then id), for all of the project's claims that have
    one, read once (two queries, by whoever reads the rows: in the claims' transaction)
    and kept: a dict of the claims that have decisions, a few of the claims."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.found: dict[int, str] | None = None

    def latest(self) -> dict[int, str]:
        if self.found is None:
            # By the decision's article (a decision's origins and gold claim are on its
            # article: ``review.gold``; an archive holds one project): the same rows as
            # by each claim's article without joining every claim of the database
            # (PostgreSQL, medium, load 9: ~200 → ~35 ms, before the first batch goes out).
            origins = (
                DecisionOrigin.objects.filter(decision__article__project=self.project)
                .order_by("decision__created", "decision_id")
                .values_list("claim_id", "decision__action")
            )
            gold = (
                Decision.objects.filter(article__project=self.project, gold__isnull=False)
                .order_by("created", "id")
                .values_list("gold_id", "action")
            )
            # In ascending order, so that the latest is the one that stays; a gold
            # decision's action over the origins' (Coalesce).
            # (``action`` is never null, so Coalesce takes the gold decision's whenever
            # there is one.)
            found = dict(origins)
            found.update(gold)
            self.found = found
        return self.found


def project_has_chains(project: Project) -> bool:
    """Whether any claim of the project has an attribution chain: the exports add their
    chain fields and columns only then, so that a project without chains exports the
    same bytes as before chains existed. One query."""
    return ChainLink.objects.filter(claim__article__project=project).exists()


def selected_article_ids(project: Project, options: ExportOptions) -> list[int]:
    """The ids of the articles an export with ``all_articles`` holds (the project's, or
    those of the ``article`` filter), in export order: ordered as ``claims_queryset``
    orders the claims' articles (title, id), by the same database, so that the merge
    with the claims compares ids only, never titles (SQLite and PostgreSQL collate them
    differently)."""
    articles = Article.objects.filter(project=project)
    if options.articles:
        articles = articles.filter(pk__in=options.articles)
    return list(articles.order_by("title", "id").values_list("id", flat=True))


_ARTICLE_FIELDS = (*ARTICLE_VALUES, "text")


class _Articles:
    """The articles of each batch of rows in turn (``_ARTICLE_FIELDS``), each with its
    ``split`` and the ``_meta`` the rows copy: those of the previous batch are kept (an
    article may run on from one batch into the next), the others read with one query
    written once (``IdsQuery``)."""

    def __init__(self, options: ExportOptions) -> None:
        self.query = IdsQuery(Article.objects.order_by().values_list(*_ARTICLE_FIELDS), "pk")
        self.metadata = Article._meta.get_field("metadata")
        self.options = options
        self.held: dict[int, dict[str, Any]] = {}

    def __call__(self, wanted: set[int]) -> dict[int, dict[str, Any]]:
        found = {pk: self.held[pk] for pk in wanted if pk in self.held}
        missing = wanted - found.keys()
        for values in self.query(missing) if missing else ():
            article = dict(zip(_ARTICLE_FIELDS, values, strict=True))
            article["metadata"] = self.metadata.from_db_value(
                article["metadata"], self.metadata.cached_col, connections[self.query.alias]
            )
            split = split_of(article["sha256"], self.options) if self.options.split else None
            article["split"] = split
            article["_meta"] = (*(article[f] for f in ARTICLE_META), split)
            found[article["id"]] = article
        self.held = found
        return found
