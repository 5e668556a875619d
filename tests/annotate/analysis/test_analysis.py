"""The analysis aggregates on the crafted scene (``tests/scenes.py``: known counts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from unittest.mock import patch

import pytest

from annotate.analysis.filters import ClaimFilters, distribution, layer_claims
from annotate.analysis.overview import overview
from annotate.analysis.profiles import source_agreement, source_stances
from annotate.analysis.search import claims_matching
from annotate.analysis.stance_map import stance_map
from corpus.models import Role
from tests.factories import ClaimFactory, MembershipFactory, UserFactory
from tests.scenes import Crafted, crafted

# --- the aggregates -------------------------------------------------------------------------


@pytest.fixture
def data(project: Any, annotator: Any, other_annotator: Any) -> Crafted:
    return crafted(project, annotator, other_annotator)


def cells(data: Crafted, **filters: Any) -> dict[tuple[str, str], tuple[int, ...]]:
    """The stance map as {(source, target): (favor, against, none)}, non-empty cells only."""
    found = stance_map(data.project, ClaimFilters(**filters))
    assert [t.name for t in found.targets] == ["Turkey's influence", "Russia's influence"]
    assert [v for v, _ in found.stances] == ["favor", "against", "none"]
    return {
        (row.name, data.project.targets.get(pk=cell.target_id).name[:6]): tuple(
            n for _, n in cell.counts
        )
        for row in found.rows
        for cell in row.cells
        if cell.total
    }


@pytest.mark.django_db
def test_stance_map_counts_the_gold_layer_per_cell_without_deleted_claims(data: Crafted) -> None:
    assert cells(data) == {
        ("Vladimir Danilov", "Turkey"): (2, 1, 0),
        ("Vladimir Danilov", "Russia"): (0, 1, 0),
        ("Temur Umarov", "Russia"): (0, 0, 1),
        ("(no source)", "Turkey"): (0, 0, 1),
    }


@pytest.mark.django_db
def test_stance_map_layers_all_annotators_and_one_annotator(data: Crafted) -> None:
    assert cells(data, layer="all") == {
        ("Vladimir Danilov", "Turkey"): (0, 2, 0),
        ("Temur Umarov", "Turkey"): (1, 0, 0),
    }
    assert cells(data, layer=str(data.ann2.pk)) == {("Vladimir Danilov", "Turkey"): (0, 1, 0)}


@pytest.mark.django_db
def test_stance_map_filters_on_outlet_dates_and_attribution(data: Crafted) -> None:
    assert cells(data, outlet="Outlet X") == {
        ("Vladimir Danilov", "Turkey"): (2, 0, 0),
        ("Vladimir Danilov", "Russia"): (0, 1, 0),
        ("(no source)", "Turkey"): (0, 0, 1),
    }
    march = {"date_from": dt.date(2024, 3, 1), "date_to": dt.date(2024, 12, 31)}
    assert cells(data, **march) == {
        ("Vladimir Danilov", "Turkey"): (0, 1, 0),
        ("Temur Umarov", "Russia"): (0, 0, 1),
    }
    # The bounds are inclusive; an undated article is outside any range.
    assert cells(data, date_to=dt.date(2024, 1, 10)) == {
        ("Vladimir Danilov", "Turkey"): (2, 0, 0),
        ("Vladimir Danilov", "Russia"): (0, 1, 0),
        ("(no source)", "Turkey"): (0, 0, 1),
    }
    assert cells(data, attribution="direct") == {
        ("Vladimir Danilov", "Turkey"): (1, 1, 0),
        ("Vladimir Danilov", "Russia"): (0, 1, 0),
    }


@pytest.mark.django_db
def test_stance_map_sorts_by_source_total_and_a_target_stance(data: Crafted) -> None:
    def order(sort: str) -> list[str]:
        return [r.name for r in stance_map(data.project, ClaimFilters(), sort).rows]

    assert order("") == ["Vladimir Danilov", "(no source)", "Temur Umarov"]
    assert order("source") == ["Temur Umarov", "Vladimir Danilov", "(no source)"]
    assert order(f"{data.t2.pk}") == ["Temur Umarov", "Vladimir Danilov", "(no source)"]
    assert order(f"{data.t1.pk}:none")[0] == "(no source)"
    assert order(f"{data.t1.pk}:favor")[0] == "Vladimir Danilov"


@pytest.mark.django_db
@pytest.mark.parametrize("layer", ["gold", "all"])
def test_a_page_of_the_stance_map_is_that_slice_of_the_whole_map(data: Crafted, layer: str) -> None:
    """``stance_map_page`` builds only its page's rows: the same rows, in the same order,
    as the whole map has there, for every sort; the count is every source's."""
    from annotate.analysis.stance_map import stance_map_page
    from annotate.models import ClaimStance
    from tests.factories import SourceFactory

    for i in range(7):
        source = SourceFactory(project=data.project, name=f"Speaker {i}")
        for k in range(i % 3 + 1):
            claim = ClaimFactory(article=data.a1, annotator=data.ann1, source=source)
            claim.annotator = None if k % 2 else data.ann1
            claim.save()
            stance = ("favor", "against", "none")[(i + k) % 3]
            ClaimStance.objects.create(claim=claim, target=(data.t1, data.t2)[k % 2], stance=stance)
    filters = ClaimFilters(layer=layer)
    sorts = ["", "total", "source", f"{data.t1.pk}", f"{data.t2.pk}:against", f"{data.t1.pk}:x"]
    for sort in sorts + ["bogus"]:
        whole = stance_map(data.project, filters, sort)
        for number in (1, 2, 3):
            matrix, page = stance_map_page(data.project, filters, sort, str(number), 3)
            assert matrix.count == page.paginator.count == len(whole.rows)
            assert page.number == number
            assert matrix.rows == list(page.object_list) == whole.rows[(number - 1) * 3 :][:3]


@pytest.mark.django_db
def test_filters_from_a_query_keep_only_known_layers(data: Crafted, outsider: Any) -> None:
    ids = {data.ann1.pk, data.ann2.pk}
    assert ClaimFilters.from_query({"layer": str(data.ann1.pk)}, annotator_ids=ids).layer == str(
        data.ann1.pk
    )
    assert ClaimFilters.from_query({"layer": str(outsider.pk)}, annotator_ids=ids).layer == "gold"
    assert ClaimFilters.from_query({"layer": "bogus"}, annotator_ids=ids).layer == "gold"
    parsed = ClaimFilters.from_query(
        {"date_from": "2024-02-30", "date_to": "2024-03-01", "source": "x", "target": "-1"},
        annotator_ids=ids,
    )
    assert (parsed.date_from, parsed.date_to, parsed.source, parsed.target) == (
        None,
        dt.date(2024, 3, 1),
        "",
        None,
    )


def found(data: Crafted, **filters: Any) -> set[str]:
    names = {claim.pk: name for name, claim in data.claims.items()}
    return {names[c.pk] for c in claims_matching(data.project, ClaimFilters(**filters))}


@pytest.mark.django_db
def test_search_matches_whole_words_of_quote_and_note_ignoring_case(data: Crafted) -> None:
    # The same answers on SQLite (word-boundary regex) and PostgreSQL (full-text search).
    assert found(data, q="pipeline") == {"g1", "g3"}
    assert found(data, q="PIPELINE turkey") == {"g1"}
    assert found(data, q="reuters") == {"g1"}  # in the note
    assert found(data, q="Russia") == {"g2"}  # "Russia's"
    assert found(data, q="pipe") == set()  # not a word of any claim
    assert found(data, q="pipeline deleted") == set()  # a deleted claim
    assert found(data, q="  ,;  ") == {"g1", "g2", "g3", "g4", "g5"}  # no words: no filter


@pytest.mark.django_db
def test_search_matches_words_beyond_ascii(data: Crafted) -> None:
    ClaimFactory(
        article=data.a3,
        annotator=None,
        source=None,
        quote="TÜRKİYE und Türkiye: Қазақстан agrees",
        end=7,
    )
    ClaimFactory(article=data.a3, annotator=None, source=None, quote="Türkiyemiz", end=7)
    assert len(found_quotes(data, "türkiye")) == 1
    assert found_quotes(data, "ҚАЗАҚСТАН agrees") == ["TÜRKİYE und Türkiye: Қазақстан agrees"]


def found_quotes(data: Crafted, q: str) -> list[str]:
    claims = claims_matching(data.project, ClaimFilters(q=q))
    return [c.quote for c in claims]


@pytest.mark.django_db
def test_search_filters_on_every_field(data: Crafted) -> None:
    assert found(data) == {"g1", "g2", "g3", "g4", "g5"}
    assert found(data, layer="all") == {"c1", "c2", "c3", "c4"}
    assert found(data, layer=str(data.ann1.pk)) == {"c1", "c2"}
    assert found(data, outlet="Outlet Y") == {"g3", "g4"}
    assert found(data, date_from=dt.date(2024, 2, 1)) == {"g3", "g4"}
    assert found(data, date_to=dt.date(2024, 2, 1)) == {"g1", "g2", "g5"}
    assert found(data, attribution="unnamed") == {"g5"}
    assert found(data, claim_type="factual") == {"g1", "g4"}
    assert found(data, source_reliability="B") == {"g1", "g2"}
    assert found(data, information_credibility="3") == {"g2"}
    assert found(data, source=str(data.b.pk)) == {"g4"}
    assert found(data, source="none") == {"g5"}
    assert found(data, target=data.t2.pk) == {"g1", "g4"}
    assert found(data, stance="favor") == {"g1", "g2"}
    assert found(data, target=data.t1.pk, stance="against") == {"g3"}
    assert found(data, source=str(data.a.pk), target=data.t1.pk, stance="favor") == {"g1", "g2"}
    assert found(data, article=data.a2.pk) == {"g3", "g4"}
    assert found(data, q="pipeline", outlet="Outlet X") == {"g1"}


@pytest.mark.django_db
def test_search_checkworthy_filter(data: Crafted) -> None:
    ClaimFactory(
        article=data.a3,
        annotator=None,
        source=data.b,
        checkworthy="yes",
        quote="worth checking",
        end=7,
    )
    assert claims_matching(data.project, ClaimFilters(checkworthy="yes")).get().quote == (
        "worth checking"
    )


@pytest.mark.django_db
def test_source_profile_aggregates(data: Crafted) -> None:
    stances = {
        target.name[:6]: tuple(n for _, n in cell.counts)
        for target, cell in source_stances(data.a, ClaimFilters())
    }
    assert stances == {"Turkey": (2, 1, 0), "Russia": (0, 1, 0)}
    claims = layer_claims(data.project, ClaimFilters()).filter(source=data.a)
    reliability = distribution(data.project, claims, "source_reliability")
    assert [(v, n) for v, _, n in reliability.rows] == [
        ("A", 0),
        ("B", 2),
        ("C", 1),
        ("D", 0),
        ("E", 0),
        ("F", 0),
    ]
    credibility = distribution(data.project, claims, "information_credibility")
    assert [(v, n) for v, _, n in credibility.rows if n] == [("2", 1), ("3", 1), ("", 1)]
    # A source without stances in the layer: every target, all zero.
    empty = source_stances(data.b, ClaimFilters(layer=str(data.ann2.pk)))
    assert [c.total for _, c in empty] == [0, 0]


@pytest.mark.django_db
def test_source_agreement_counts_matched_pairs(data: Crafted) -> None:
    # c1/c3 both name Danilov; c4 names him where c2 names Umarov.
    danilov = source_agreement(data.a)
    assert (danilov.pairs, danilov.agreed, danilov.share) == (2, 1, 0.5)
    umarov = source_agreement(data.b)
    assert (umarov.pairs, umarov.agreed) == (1, 0)
    # A claim overlapping by less than half (Jaccard < 0.5) is no match.
    third = UserFactory()
    MembershipFactory(project=data.project, user=third, role=Role.ANNOTATOR)
    ClaimFactory(article=data.a1, annotator=third, source=data.a, start=5, end=30)
    assert source_agreement(data.a).pairs == 2
    ClaimFactory(article=data.a1, annotator=third, source=data.a, start=0, end=10)
    after = source_agreement(data.a)
    assert (after.pairs, after.agreed) == (4, 3)


@pytest.mark.django_db
def test_overview_aggregates(data: Crafted) -> None:
    from tests.factories import AssignmentFactory

    AssignmentFactory(article=data.a1, annotator=data.ann1, status="done")
    AssignmentFactory(article=data.a2, annotator=data.ann1, status="in_progress")
    AssignmentFactory(article=data.a2, annotator=data.ann2)
    o = overview(data.project, ClaimFilters())
    assert (o.articles, o.claims, o.unattributed, o.unnamed, o.gold_articles) == (3, 5, 1, 1, 2)
    assert dict(o.per_article) == {"0": 1, "1–5": 2, "6–10": 0, "11–20": 0, "21–50": 0, "51+": 0}
    assert [(r["article__outlet"], r["claims"], r["articles"]) for r in o.per_outlet] == [
        ("Outlet X", 3, 1),
        ("Outlet Y", 2, 1),
    ]
    assert [(r["article_id"], r["n"]) for r in o.top_articles] == [(data.a1.pk, 3), (data.a2.pk, 2)]
    assert [(v, n) for v, _, n in o.claim_types.rows if n] == [
        ("factual", 2),
        ("evaluative", 1),
        ("predictive", 1),
        ("", 1),
    ]
    assert [(v, n) for v, _, n in o.attributions.rows] == [
        ("author", 1),
        ("direct", 2),
        ("reported", 1),
        ("unnamed", 1),
    ]
    assert [(s, n) for s, _, n in o.progress] == [
        ("not_started", 1),
        ("in_progress", 1),
        ("done", 1),
    ]
    x = overview(data.project, ClaimFilters(layer="all", outlet="Outlet X"))
    assert (x.articles, x.claims, x.gold_articles) == (2, 2, 1)
    assert dict(x.per_article)["0"] == 1 and [(s, n) for s, _, n in x.progress if n] == [
        ("done", 1)
    ]


@pytest.mark.django_db
def test_each_aggregate_takes_a_fixed_number_of_queries(
    data: Crafted, django_assert_num_queries: Any
) -> None:
    filtered = ClaimFilters(layer="all", outlet="Outlet X", date_from=dt.date(2024, 1, 1))
    with django_assert_num_queries(3):  # the targets, the key (figures_version), the cells
        stance_map(data.project, filtered)
    with django_assert_num_queries(6):  # the key, then five (the kept counts: labels, totals, …)
        overview(data.project, filtered)
    with django_assert_num_queries(2):  # the claims, their stances
        found = list(claims_matching(data.project, replace(filtered, q="ankara")))
    assert {c.pk for c in found} == {data.claims["c1"].pk, data.claims["c3"].pk}
    with django_assert_num_queries(3):  # + the key (figures_version)
        source_stances(data.a, filtered)
    with django_assert_num_queries(1):
        source_agreement(data.a)
    claims = layer_claims(data.project, filtered)
    with django_assert_num_queries(1):
        distribution(data.project, claims, "source_reliability")


@pytest.mark.django_db
def test_the_layers_are_members_with_an_assignment_or_a_claim_in_two_queries(
    project: Any,
    manager: Any,
    curator: Any,
    annotator: Any,
    other_annotator: Any,
    django_assert_num_queries: Any,
) -> None:
    from annotate.analysis.filters import annotating_members
    from tests.factories import ArticleFactory, AssignmentFactory

    article = ArticleFactory(project=project)
    AssignmentFactory(article=article, annotator=annotator)
    ClaimFactory(article=article, annotator=curator)  # a claim, no assignment
    elsewhere = ArticleFactory()  # the manager's work in another project is not a layer
    AssignmentFactory(article=elsewhere, annotator=manager)
    ClaimFactory(article=elsewhere, annotator=manager)
    with django_assert_num_queries(2):  # the members, then every EXISTS in one query
        found = annotating_members(project)
    assert [m.user for m in found] == [curator, annotator]
    for i in range(5):  # more members: still two queries
        MembershipFactory(project=project, user=UserFactory(username=f"more-{i}"))
    with django_assert_num_queries(2):
        assert [m.user for m in annotating_members(project)] == [curator, annotator]


@pytest.mark.django_db
def test_overview_and_stance_map_are_cached_until_the_project_changes(
    data: Crafted, django_assert_num_queries: Any
) -> None:
    """At 2.1 million claims each is seconds of the database's work: asked again they are
    one query (the key: ``figures_version``) and a cache read; any change computes them
    anew — a claim, a stance, an article's outlet or date."""
    from annotate.models import ClaimStance

    layer = ClaimFilters(layer="all")
    first, first_map = overview(data.project, layer), stance_map(data.project, layer)
    with django_assert_num_queries(1):
        assert overview(data.project, layer) == first
    # A whole layer's map is not cached: it reads the counts the database keeps.
    with django_assert_num_queries(4):  # the targets, the counts, the names, no source
        again = stance_map(data.project, layer)
    assert [(r.source_id, r.total) for r in again.rows] == [
        (r.source_id, r.total) for r in first_map.rows
    ]
    # Other filters: other figures.
    assert overview(data.project, ClaimFilters()).claims != first.claims
    # A claim more: both change.
    claim = ClaimFactory(article=data.a1, annotator=data.ann1, source=data.a)
    assert overview(data.project, layer).claims == first.claims + 1
    ClaimStance.objects.create(claim=claim, target=data.t1, stance="favor")
    totals = {r.source_id: r.total for r in stance_map(data.project, layer).rows}
    assert totals[data.a.pk] == {r.source_id: r.total for r in first_map.rows}[data.a.pk] + 1
    # An article's outlet edited: the outlet filter sees it at once.
    outlet = replace(layer, outlet="Outlet Z")
    assert overview(data.project, outlet).claims == 0
    data.a1.outlet = "Outlet Z"
    data.a1.save()
    assert overview(data.project, outlet).claims > 0


@pytest.mark.django_db
def test_a_search_page_asked_again_reads_only_its_claims(
    data: Crafted, django_assert_num_queries: Any
) -> None:
    from annotate.analysis.search import search_page

    layer = ClaimFilters(layer="all")
    expected = list(claims_matching(data.project, layer))
    assert len(expected) > 2
    first = search_page(data.project, layer, "1", 2)[0]
    assert list(first.object_list) == expected[:2] and first.paginator.count == len(expected)
    with django_assert_num_queries(3):  # the key, the page's claims, their stances
        again = search_page(data.project, layer, "1", 2)[0]
        assert [c.stances.all() for c in again.object_list]
    assert [c.pk for c in again.object_list] == [c.pk for c in expected[:2]]
    last = search_page(data.project, layer, "99", 2)[0]  # past the end: the last page
    assert [c.pk for c in last.object_list] == [c.pk for c in expected[(last.number - 1) * 2 :]]
    assert search_page(data.project, layer, "x", 2)[0].number == 1
    # A claim deleted: the page follows.
    expected[0].deleted_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    expected[0].save()
    assert [c.pk for c in search_page(data.project, layer, "1", 2)[0].object_list] == [
        c.pk for c in expected[1:3]
    ]


def _capped(page: Any) -> bool:
    from common.paging import WindowPaginator

    assert isinstance(page.paginator, WindowPaginator)
    return page.paginator.capped


@pytest.mark.django_db
def test_a_search_of_words_counts_at_most_the_cap(
    data: Crafted, monkeypatch: Any, django_assert_num_queries: Any
) -> None:
    """With words the count stops at ``COUNT_CAP`` (one COUNT over LIMIT cap + 1, as
    article search): over it the page says "more than", and its pages are those of the
    first cap claims; at the cap exactly, or without words, every match is counted. The
    same queries as before."""
    from annotate.analysis import search

    words = ClaimFilters(q="pipeline")
    expected = [c.pk for c in claims_matching(data.project, words)]
    assert len(expected) >= 2
    monkeypatch.setattr(search, "COUNT_CAP", len(expected) - 1)
    with django_assert_num_queries(5):  # the key, the count, the ids, the claims, their stances
        page = search.search_page(data.project, words, "1", 1)[0]
    assert _capped(page) and page.paginator.count == len(expected) - 1
    assert [c.pk for c in page.object_list] == expected[:1]
    last = search.search_page(data.project, words, "99", 1)[0]  # past the end: the cap's last
    assert last.number == len(expected) - 1
    assert [c.pk for c in last.object_list] == [expected[len(expected) - 2]]
    monkeypatch.setattr(search, "COUNT_CAP", len(expected))  # at the cap exactly: not capped
    exact = search.search_page(data.project, words, "1", 1)[0]
    assert not _capped(exact) and exact.paginator.count == len(expected)
    everything = ClaimFilters(layer="all")
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    shown = search.search_page(data.project, everything, "1", 1)[0]
    assert not _capped(shown)
    assert shown.paginator.count == len(claims_matching(data.project, everything)) > 1


@pytest.mark.django_db
def test_a_search_pages_alike_walked_and_sorted(data: Crafted, monkeypatch: Any) -> None:
    """Every page of the search is the same claims in the same order whether its ids are
    walked (the first ``WALK_ROWS`` rows: newest article first from the articles' index on
    PostgreSQL) or sorted (past them: the date written ``published + 0 * start``), an undated
    article's claims last."""
    from annotate.analysis import search

    data.a1.published = None
    data.a1.save()
    for filters in (ClaimFilters(layer="all"), ClaimFilters(q="pipeline")):
        expected = [c.pk for c in claims_matching(data.project, filters)]
        assert len(expected) >= 2
        assert search.search_order(start=0) == search.search_order(start=search.WALK_ROWS - 1)
        for walk_rows in (0, 1, len(expected)):
            monkeypatch.setattr(search, "WALK_ROWS", walk_rows)
            found = [
                pk
                for number in range(1, len(expected) + 1)
                for pk in search._page_ids(data.project, filters, 1, number)
            ]
            assert found == expected, walk_rows
        if filters.layer == "all":  # (a1 has claims in it: theirs come last)
            assert [c.article.published for c in claims_matching(data.project, filters)][-1] is None


@pytest.mark.django_db
def test_a_search_first_pages_walk_the_articles_by_date(data: Crafted) -> None:
    """PostgreSQL: a first page's ids can be read walking the articles newest first (the
    index ``article_project_published_desc``, corpus 0015) with sorts made dear, as a
    common word's 200,000 matches make them (fails without the index); past
    ``WALK_ROWS`` the order cannot come from it (a page deep in the list sorted the
    matches faster than the walk: 2.9 s walked at the xlarge bench, 0.8 s sorted)."""
    from django.db import connection, transaction

    from annotate.analysis import search

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL index (SQLite's CREATE INDEX has no NULLS LAST)")
    filters = ClaimFilters(layer="all", q="pipeline")

    def plan(start: int) -> str:
        claims = claims_matching(data.project, filters).order_by(*search.search_order(start=start))
        sql, params = claims.values_list("pk", flat=True)[
            start : start + 50
        ].query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())

    first = plan(0)
    assert "article_project_published_desc" in first and "Incremental Sort" in first, first
    deep = plan(search.WALK_ROWS)
    assert "Incremental Sort" not in deep and "(0 * annotate_claim.start)" in deep, deep


# --- the stance map of a whole layer from the counts the database keeps ------------------


def _as_map(found: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (row.source_id or 0, row.name, tuple(tuple(c.counts) for c in row.cells), row.total)
        for row in found.rows
    )


def _grouped_map(data: Crafted, filters: ClaimFilters) -> list[tuple[Any, ...]]:
    """The same map from the layer's stances themselves (the filtered maps' path)."""
    from annotate.analysis import stance_map as module

    real = module.counts_kept_for
    module.counts_kept_for = lambda filters: False
    try:
        return _as_map(stance_map(data.project, filters))
    finally:
        module.counts_kept_for = real


@pytest.mark.django_db
def test_a_whole_layers_map_from_the_kept_counts_equals_grouping_its_stances(
    data: Crafted,
) -> None:
    """Every layer, and after each kind of change: a claim deleted, moved to another
    source, a stance changed and added, a claim without a source with a stance."""
    from django.utils import timezone

    from annotate.analysis.stance_map import counts_kept_for
    from annotate.models import ClaimStance

    layers = [ClaimFilters(), ClaimFilters(layer="all"), ClaimFilters(layer=str(data.ann1.pk))]
    assert all(counts_kept_for(f) for f in layers)
    assert counts_kept_for(ClaimFilters(source=str(data.a.pk)))
    assert not counts_kept_for(ClaimFilters(outlet="Outlet X"))
    assert not counts_kept_for(ClaimFilters(attribution="direct"))

    def check() -> None:
        for filters in layers:
            assert _as_map(stance_map(data.project, filters)) == _grouped_map(data, filters)

    check()
    type(data.claims["g2"]).objects.filter(pk=data.claims["g2"].pk).update(
        deleted_at=timezone.now()
    )
    type(data.claims["c4"]).objects.filter(pk=data.claims["c4"].pk).update(source=data.b)
    ClaimStance.objects.filter(claim__annotator=data.ann1).update(stance="favor")
    loose = ClaimFactory(article=data.a1, annotator=data.ann2, source=None)
    ClaimStance.objects.create(claim=loose, target=data.t2, stance="none")
    ClaimStance.objects.create(claim=data.claims["c4"], target=data.t2, stance="against")
    check()
    assert any(r.name == "(no source)" for r in stance_map(data.project, layers[1]).rows)


@pytest.mark.django_db
def test_a_whole_layers_map_takes_four_queries_whatever_its_size(
    data: Crafted, django_assert_num_queries: Any
) -> None:
    """The targets, the kept counts, the sources' names, the claims without a source: no
    cache needed, so the first request after a change is as fast as the next."""
    from annotate.models import ClaimStance
    from tests.factories import SourceFactory

    layer = ClaimFilters(layer="all")
    with django_assert_num_queries(4):
        small = stance_map(data.project, layer)
    for i in range(20):
        claim = ClaimFactory(
            article=data.a1,
            annotator=data.ann1,
            source=SourceFactory(project=data.project, name=f"Speaker {i}"),
        )
        ClaimStance.objects.create(claim=claim, target=data.t1, stance="favor")
    with django_assert_num_queries(4):
        large = stance_map(data.project, layer)
    assert len(large.rows) == len(small.rows) + 20
    # One source (its profile): the targets and its kept counts (its name is known, and
    # no claims without a source).
    with django_assert_num_queries(2):
        source_stances(data.a, ClaimFilters(layer="all"))


@pytest.mark.django_db
def test_a_profiles_stances_from_the_kept_counts_are_the_stance_maps_row(data: Crafted) -> None:
    """Read from the kept counts directly, a source's stances are its row of the stance
    map restricted to it, for every layer and a source without stances."""
    from annotate.analysis import profiles

    layers = ["gold", "all", str(data.ann1.pk), str(data.ann2.pk)]
    for source in (data.a, data.b):
        for layer in layers:
            direct = source_stances(source, ClaimFilters(layer=layer))
            with patch.object(profiles, "counts_kept_for", return_value=False):
                mapped = source_stances(source, ClaimFilters(layer=layer))
            assert direct == mapped, (source.name, layer)
    assert any(cell.total for _, cell in source_stances(data.a, ClaimFilters(layer="all")))


# --- after a change, with a task worker: the older figures while a task computes -----------


@pytest.fixture
def no_worker(settings: Any) -> Any:
    """Tasks are queued, never run (a worker that has not got to them yet)."""
    from django.tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()  # type: ignore[attr-defined]
    yield default_task_backend
    default_task_backend.clear()  # type: ignore[attr-defined]


def _run_queued(backend: Any) -> int:
    """Run what the worker would (each queued refresh, in order); how many."""
    from annotate.analysis.tasks import refresh_figures

    queued = [r for r in backend.results if r.task.name == refresh_figures.name]
    for result in queued:
        refresh_figures.call(*result.args, **result.kwargs)
    backend.clear()
    return len(queued)


@pytest.mark.django_db
def test_after_a_change_the_older_figures_are_served_while_a_task_computes_them(
    data: Crafted, no_worker: Any, django_assert_max_num_queries: Any
) -> None:
    """The first request after a change does not compute: overview, a filtered stance map
    and a search page are the older figures marked ``updating``, a refresh is queued once
    per figure, and once it ran the current figures are served."""
    from annotate.analysis.search import search_page
    from annotate.models import ClaimStance

    layer = ClaimFilters(layer="all")
    window = replace(layer, attribution="direct")
    words = replace(layer, q="ankara")

    def figures() -> tuple[Any, Any, Any]:
        page, updating = search_page(data.project, words, "1", 50)
        return (
            overview(data.project, layer),
            stance_map(data.project, window),
            (page.paginator.count, updating),
        )

    before, before_map, before_search = figures()  # nothing older: computed in the request
    assert not before.updating and not before_map.updating and not before_search[1]
    assert no_worker.results == []
    claim = ClaimFactory(
        article=data.a1, annotator=data.ann1, source=data.a, attribution="direct", quote="Ankara"
    )
    ClaimStance.objects.create(claim=claim, target=data.t1, stance="favor")
    # the keys (three), the targets, the search page's claims and their stances: no aggregate
    with django_assert_max_num_queries(6):
        stale, stale_map, stale_search = figures()
    assert stale.updating and stale.claims == before.claims
    assert stale_map.updating and [r.total for r in stale_map.rows] == [
        r.total for r in before_map.rows
    ]
    assert stale_search == (before_search[0], True)
    figures()  # asked again before the worker ran: nothing queued twice
    assert _run_queued(no_worker) == 4  # the overview, the map's cells, the count, the ids
    fresh, fresh_map, fresh_search = figures()
    assert not fresh.updating and fresh.claims == before.claims + 1
    assert not fresh_map.updating and sum(r.total for r in fresh_map.rows) == (
        sum(r.total for r in before_map.rows) + 1
    )
    assert fresh_search == (before_search[0] + 1, False)
    assert no_worker.results == []


@pytest.mark.django_db
def test_the_pages_say_when_their_figures_are_being_updated(
    client: Any, data: Crafted, curator: Any, no_worker: Any
) -> None:
    from django.urls import reverse

    from tests.conftest import login

    login(client, curator)
    slug = data.project.slug
    pages = [
        reverse("annotate:analysis-overview", args=[slug]) + "?layer=all",
        reverse("annotate:stance-map", args=[slug]) + "?layer=all&outlet=Outlet+X",
        reverse("annotate:claim-search", args=[slug]) + "?layer=all&q=ankara",
        reverse("annotate:source-profile", args=[data.a.pk]) + "?layer=all",
        reverse("annotate:source-profile", args=[data.a.pk]) + f"?layer={data.ann1.pk}&page=1",
    ]
    note = "These figures are being updated"
    for url in pages:
        assert note not in client.get(url).content.decode(), url
    ClaimFactory(article=data.a1, annotator=data.ann1, source=data.a, quote="Ankara")
    for url in pages:
        assert note in client.get(url).content.decode(), url
    _run_queued(no_worker)
    for url in pages:
        assert note not in client.get(url).content.decode(), url


@pytest.mark.django_db
def test_the_figures_key_counts_the_articles_without_reading_their_rows(data: Crafted) -> None:
    """``figures_version`` counts the project's articles with ``COUNT(*)`` (an index-only
    scan of the project's index; ``COUNT(id)`` made PostgreSQL read every article's row:
    the ids are in no index with the project), in one query, and follows an article
    added or deleted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from annotate.analysis.versions import figures_version
    from tests.factories import ArticleFactory

    with CaptureQueriesContext(connection) as queries:
        first = figures_version(data.project)
    (sql,) = [q["sql"] for q in queries]
    assert "COUNT(*)" in sql and 'COUNT("U0' not in sql, sql
    article = ArticleFactory(project=data.project)
    added = figures_version(data.project)
    assert added[1] == first[1] + 1 and added != first
    article.delete()
    assert figures_version(data.project)[1] == first[1]
