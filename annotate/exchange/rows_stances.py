"""The claims' stances read per article on PostgreSQL (``by_article``), for the exports'
claims query (``rows_query._raw_batches``).

Per claim, the stances were a correlated subquery (``rows_query._stance_pairs``): one
index scan and aggregate started over for each claim, ~40 % of the query's server CPU
(pgx33 in bench/RESULTS.md). Here each article's claims are read beside one index scan
of the stances of all of them (``claim_id = ANY(ARRAY(…))``), grouped by claim and
hash-joined to them inside the article: the articles are still walked in export order
(``article_project_title``), each article's rows still come as soon as it is read, and
every join is bounded by one article's claims. The same rows, in the same order
(csvpg34 in bench/RESULTS.md).
"""

from __future__ import annotations

from typing import Any

from django.db.models import TextField
from django.db.models.expressions import RawSQL

from annotate.exchange.fetch import StancePairs
from annotate.models import Claim, ClaimStance
from corpus.models import Article

# The claims' column that holds their stances, from the per-article join.
COLUMN = "export_stance_pairs"


def _quoted(db: Any) -> tuple[str, str, str]:
    q = db.ops.quote_name
    return q(Claim._meta.db_table), q(Article._meta.db_table), q(COLUMN)


def stance_column(db: Any) -> RawSQL:
    """The claims' stances as ``by_article`` gives them (``StancePairs``' text), to
    annotate the claims' queryset with before it is compiled."""
    claim, _, column = _quoted(db)
    return RawSQL(f"{claim}.{column}", (), output_field=TextField())


def by_article(sql: str, params: list[Any], db: Any) -> tuple[str, list[Any]]:
    """The claims' ``sql`` (annotated with ``stance_column``; ``params`` its parameters)
    with the claims read per article, each article's claims beside their stances.

    ``FROM claim JOIN article … JOIN user … WHERE <where> ORDER BY …`` becomes
    ``FROM article CROSS JOIN LATERAL (the article's live claims LEFT JOIN their
    stances by claim) AS claim JOIN user … WHERE <where> ORDER BY …``: the
    subquery keeps the claim table's name, so the select list, ``<where>`` and the
    order read it unchanged. The stances are those of the claims ``<where>`` keeps
    (``<where>`` repeated over the article's claims: its names are the claim's and the
    article's, which it finds there too), so a filtered export aggregates no other
    claim's stances."""
    q = db.ops.quote_name
    claim, article, column = _quoted(db)
    user = q("auth_user")
    head = f"FROM {claim} INNER JOIN {article} ON ({claim}.{q('article_id')} = {article}.{q('id')})"
    at, order_at = sql.find(head), sql.rfind(" ORDER BY ")
    where_at = sql.find(" WHERE ", at)
    # Between them the annotator's join, inner for the annotators' layer, else outer.
    joined = sql[at + len(head) : where_at + len(" WHERE ")]
    where = sql[where_at + len(" WHERE ") : order_at]
    user_join = f" JOIN {user} ON ({claim}.{q('annotator_id')} = {user}.{q('id')}) WHERE "
    if (
        sql.count(head) != 1
        or joined not in (f" INNER{user_join}", f" LEFT OUTER{user_join}")
        or order_at < where_at
        or user in where
        or sql.count("%s") != len(params)
    ):  # pragma: no cover - another Django, or another claims query
        raise RuntimeError(f"Unexpected SQL for the claims: {sql}")
    before = sql[:at].count("%s")
    in_where = where.count("%s")
    select_params, where_params = params[:before], params[before : before + in_where]
    after_params = params[before + in_where :]

    stances = (
        ClaimStance.objects.filter(claim_id__in=[0])
        .order_by()
        .values("claim_id")
        .annotate(pairs=StancePairs("target_id", "stance"))
        .values("claim_id", "pairs")
    )
    stance_sql, stance_params = stances.query.get_compiler(connection=db).as_sql()
    first, marker, rest = stance_sql.partition("IN (%s)")
    if not marker or "%s" in first + rest or list(stance_params) != [0]:  # pragma: no cover
        raise RuntimeError(f"Unexpected SQL for the stances: {stance_sql}")
    live = f"{claim}.{q('article_id')} = {article}.{q('id')} AND {claim}.{q('deleted_at')} IS NULL"
    # The claims ``<where>`` keeps of this article (the ARRAY's own claim table).
    kept = f"ARRAY(SELECT {claim}.{q('id')} FROM {claim} WHERE {live} AND ({where}))"
    stance_table = q(ClaimStance._meta.db_table)
    pairs = f"{first}= ANY({kept}){rest}"
    lateral = (
        f"FROM {article} CROSS JOIN LATERAL ("
        f"SELECT {claim}.*, {q('by_claim')}.{q('pairs')} AS {column} FROM {claim}"
        f" LEFT OUTER JOIN ({pairs}) {q('by_claim')}"
        f" ON ({q('by_claim')}.{q('claim_id')} = {claim}.{q('id')})"
        # OFFSET 0: the subquery is not pulled up into the outer join (the per-article
        # bound is what keeps every join small).
        f" WHERE {live} OFFSET 0) {claim}"
    )
    if stance_table not in pairs:  # pragma: no cover
        raise RuntimeError(f"Unexpected SQL for the stances: {stance_sql}")
    rewritten = sql[:at] + lateral + sql[at + len(head) :]  # the annotator's join kept
    return rewritten, [*select_params, *where_params, *where_params, *after_params]
