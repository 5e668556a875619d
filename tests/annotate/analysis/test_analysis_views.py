"""The analysis pages: who may see them, htmx fragments, CSV, escaping, query counts."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate.analysis.filters import ClaimFilters
from annotate.analysis.stance_map import stance_map
from annotate.models import ClaimStance, Source
from corpus.models import Article
from tests.conftest import login
from tests.factories import ArticleFactory, AssignmentFactory, ClaimFactory, SourceFactory
from tests.scenes import Crafted, crafted


@pytest.fixture
def data(project: Any, annotator: Any, other_annotator: Any) -> Crafted:
    return crafted(project, annotator, other_annotator)


def urls(data: Crafted) -> list[str]:
    slug = data.project.slug
    return [
        reverse("annotate:analysis-overview", args=[slug]),
        reverse("annotate:stance-map", args=[slug]),
        reverse("annotate:stance-map-csv", args=[slug]),
        reverse("annotate:claim-search", args=[slug]),
        reverse("annotate:source-profile", args=[data.a.pk]),
    ]


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client: Client, data: Crafted) -> None:
    for url in urls(data):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.django_db
def test_annotators_are_refused_and_outsiders_see_nothing(
    client: Client, data: Crafted, annotator: Any, outsider: Any
) -> None:
    login(client, annotator)
    for url in urls(data):
        assert client.get(url).status_code == 403, url
    client.logout()
    login(client, outsider)
    for url in urls(data):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_curators_and_managers_see_every_page_and_only_get_is_allowed(
    client: Client, data: Crafted, curator: Any, manager: Any
) -> None:
    for user in (curator, manager):
        login(client, user)
        for url in urls(data):
            assert client.get(url).status_code == 200, url
            assert client.post(url).status_code == 405, url
        client.logout()


@pytest.mark.django_db
def test_stance_map_page_shows_cells_linking_to_their_claims(
    client: Client, data: Crafted, curator: Any
) -> None:
    login(client, curator)
    response = client.get(reverse("annotate:stance-map", args=[data.project.slug]))
    html = response.content.decode()
    search = reverse("annotate:claim-search", args=[data.project.slug])
    link = f'href="{search}?source={data.a.pk}&amp;target={data.t1.pk}&amp;stance=favor"'
    assert link in html
    assert f"{data.a.name}" in html and "(no source)" in html
    assert [r.name for r in response.context["page"].object_list][0] == "Vladimir Danilov"
    # The claims behind that cell are the ones the map counted.
    found = client.get(f"{search}?source={data.a.pk}&target={data.t1.pk}&stance=favor")
    assert {c.pk for c in found.context["page"].object_list} == {
        data.claims["g1"].pk,
        data.claims["g2"].pk,
    }


@pytest.mark.django_db
def test_the_claim_search_page_says_more_than_the_cap_match(
    client: Client, data: Crafted, curator: Any, monkeypatch: Any
) -> None:
    from annotate.analysis import search as claim_search

    monkeypatch.setattr(claim_search, "COUNT_CAP", 1)
    login(client, curator)
    url = reverse("annotate:claim-search", args=[data.project.slug])
    html = client.get(url, {"q": "pipeline"}).content.decode()
    assert "More than 1 claims match: the first 1 are listed." in html
    plain = client.get(url).content.decode()  # no words: every claim counted
    assert "More than" not in plain


@pytest.mark.django_db
def test_the_stance_map_pages_its_sources_keeping_the_sort_and_the_filters(
    client: Client, data: Crafted, curator: Any
) -> None:
    from annotate.analysis.views import SOURCES_PER_PAGE
    from annotate.models import Claim, ClaimStance

    # 55 more sources, i + 1 favor stances each: 1,540 claims, written in bulk (issue 21,
    # CI's time; the database's triggers count them as rows written one by one).
    sources = [
        SourceFactory(project=data.project, name=f"Speaker {i:02d}")
        for i in range(SOURCES_PER_PAGE + 5)
    ]
    claims = Claim.objects.bulk_create(
        ClaimFactory.build(article=data.a1, annotator=data.ann1, source=source)
        for i, source in enumerate(sources)
        for _ in range(i + 1)
    )
    ClaimStance.objects.bulk_create(
        ClaimStance(claim=claim, target=data.t1, stance="favor") for claim in claims
    )
    login(client, curator)
    url = reverse("annotate:stance-map", args=[data.project.slug])
    first = client.get(url + "?layer=all&sort=total")
    rows = first.context["page"].object_list
    assert len(rows) == SOURCES_PER_PAGE
    assert [r.name for r in rows[:2]] == ["Speaker 54", "Speaker 53"]  # most stances first
    html = first.content.decode()
    total = first.context["matrix"].count
    assert first.context["matrix"].rows == rows  # only the page's rows are built
    assert f"{total} sources with stances (1–{SOURCES_PER_PAGE} shown)" in html
    assert 'href="?layer=all&amp;sort=total&amp;page=2"' in html  # filters and sort kept
    # Each count's link keeps the layer, names the cell, and drops the sort.
    search = reverse("annotate:claim-search", args=[data.project.slug])
    speaker = rows[0]
    assert (
        f'href="{search}?layer=all&amp;source={speaker.source_id}&amp;target={data.t1.pk}'
        '&amp;stance=favor"'
    ) in html
    second = client.get(url + "?layer=all&sort=total&page=2", HTTP_HX_REQUEST="true")
    names = [r.name for r in second.context["page"].object_list]
    assert len(names) == total - SOURCES_PER_PAGE
    assert not {r.name for r in rows} & set(names)
    by_name = client.get(url + "?layer=all&sort=source&page=2")
    assert [r.name for r in by_name.context["page"].object_list][-1] == "Vladimir Danilov"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["", "1", "2", "last", "0", "-1", "x", "²", "99999999999"])
def test_the_stance_maps_page_numbers_are_read_as_the_other_pages_read_them(
    client: Client, data: Crafted, curator: Any, page: str
) -> None:
    """As ``Paginator.get_page`` (``common.paging``), like the article list, the review
    queue and claim search: a value that is no page number is the first page, one below
    1 or past the end the last — never an error, never another page's rows."""
    from annotate.analysis.views import SOURCES_PER_PAGE

    for i in range(SOURCES_PER_PAGE + 1):
        source = SourceFactory(project=data.project, name=f"Speaker {i:02d}")
        claim = ClaimFactory(article=data.a1, annotator=None, source=source)
        ClaimStance.objects.create(claim=claim, target=data.t1, stance="favor")
    login(client, curator)
    url = reverse("annotate:stance-map", args=[data.project.slug])
    response = client.get(url, {"page": page, "sort": "source"})
    assert response.status_code == 200
    expected = {"2": 2, "0": 2, "-1": 2, "99999999999": 2}.get(page, 1)
    shown = response.context["page"]
    assert shown.number == expected
    names = [r.name for r in shown.object_list]
    every = [r.name for r in stance_map(data.project, ClaimFilters(), "source").rows]
    assert names == every[(expected - 1) * SOURCES_PER_PAGE :][:SOURCES_PER_PAGE]
    assert f"{len(every)} sources with stances" in response.content.decode()


@pytest.mark.django_db
def test_filters_swap_only_the_results_fragment(
    client: Client, data: Crafted, curator: Any
) -> None:
    login(client, curator)
    for url in urls(data):
        if url.endswith(".csv"):
            continue
        response = client.get(url + "?layer=all&outlet=Outlet+X", HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert html.lstrip().startswith('<section id="analysis-results"'), url
        assert "<html" not in html and "analysis-filters" not in html, url
    # Outlet X, all annotators: only c1 and c3 (both Danilov, Turkey, against).
    response = client.get(
        reverse("annotate:stance-map", args=[data.project.slug]) + "?layer=all&outlet=Outlet+X",
        HTTP_HX_REQUEST="true",
    )
    rows = response.context["page"].object_list
    assert [(r.name, [c.counts for c in r.cells]) for r in rows] == [
        (
            "Vladimir Danilov",
            [
                [("favor", 0), ("against", 2), ("none", 0)],
                [("favor", 0), ("against", 0), ("none", 0)],
            ],
        )
    ]


@pytest.mark.django_db
def test_stance_map_downloads_as_csv(client: Client, data: Crafted, manager: Any) -> None:
    login(client, manager)
    url = reverse("annotate:stance-map-csv", args=[data.project.slug])
    response = client.get(url + f"?layer={data.ann1.pk}")
    assert response["Content-Type"].startswith("text/csv")
    assert (
        f'filename="{data.project.slug}-stance-map-annotator-{data.ann1.pk}.csv"'
        in response["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["source_id", "source", "Turkey's influence: favor", *rows[0][3:5]]
    assert len(rows[0]) == 2 + 2 * 3 + 1
    body = {row[1]: row[2:] for row in rows[1:]}
    assert body == {
        "Vladimir Danilov": ["0", "1", "0", "0", "0", "0", "1"],
        "Temur Umarov": ["1", "0", "0", "0", "0", "0", "1"],
    }
    gold = client.get(url)
    assert 'stance-map-gold.csv"' in gold["Content-Disposition"]
    assert len(list(csv.reader(io.StringIO(gold.content.decode())))) == 4


@pytest.mark.django_db
def test_csv_cells_cannot_start_a_formula(client: Client, data: Crafted, manager: Any) -> None:
    Source.objects.filter(pk=data.b.pk).update(name="=HYPERLINK(1)")
    login(client, manager)
    response = client.get(reverse("annotate:stance-map-csv", args=[data.project.slug]))
    assert "'=HYPERLINK(1)" in response.content.decode()


@pytest.mark.django_db
def test_names_quotes_and_notes_are_escaped(client: Client, data: Crafted, curator: Any) -> None:
    evil = "<script>alert(1)</script>"
    Source.objects.filter(pk=data.a.pk).update(name=evil, description=evil)
    Article.objects.filter(pk=data.a1.pk).update(title=evil, outlet=evil)
    ClaimFactory(
        article=data.a1,
        annotator=None,
        source=data.a,
        stances={data.t1: "favor"},
        quote=evil,
        note=evil,
        end=7,
    )
    login(client, curator)
    for url in urls(data):
        if url.endswith(".csv"):  # text/csv, not HTML
            continue
        html = client.get(url + "?q=alert").content.decode()
        assert evil not in html, url
        assert "&lt;script&gt;" in html, url
    html = client.get(reverse("annotate:source-profile", args=[data.a.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_source_profile_shows_identity_claims_stances_ratings_and_agreement(
    client: Client, data: Crafted, curator: Any
) -> None:
    Source.objects.filter(pk=data.a.pk).update(
        description="Analyst, New Eastern Outlook", external_id="Q42", kind="person"
    )
    login(client, curator)
    response = client.get(reverse("annotate:source-profile", args=[data.a.pk]))
    html = response.content.decode()
    assert "Analyst, New Eastern Outlook" in html and "https://www.wikidata.org/wiki/Q42" in html
    assert {c.pk for c in response.context["page"].object_list} == {
        data.claims[n].pk for n in ("g1", "g2", "g3")
    }
    reader = reverse("corpus:article-detail", args=[data.a1.pk])
    assert f'href="{reader}?start=0&amp;end=7#claim-span"' in html
    assert response.context["agreement"].share == 0.5
    assert ">50%<" in html
    assert [(v, n) for v, _, n in response.context["reliability"].rows if n] == [("B", 2), ("C", 1)]
    layered = client.get(reverse("annotate:source-profile", args=[data.a.pk]) + "?layer=all")
    assert {c.pk for c in layered.context["page"].object_list} == {
        data.claims[n].pk for n in ("c1", "c3", "c4")
    }


@pytest.mark.django_db
def test_source_page_says_which_layer_it_counts_as_the_profile_does(
    client: Client, data: Crafted, curator: Any
) -> None:
    """Issue 18: the source page counted 5 claims (all layers) where its profile said 2
    (gold), neither saying which layer."""
    login(client, curator)
    detail = client.get(reverse("annotate:source-detail", args=[data.a.pk])).content.decode()
    assert "3 in the gold layer · 3 by annotators (6 in all layers)" in detail
    profile = client.get(reverse("annotate:source-profile", args=[data.a.pk])).content.decode()
    assert "Claims · Gold layer (3)" in profile


@pytest.mark.django_db
def test_rating_filters_say_what_the_letters_mean_and_layers_are_annotators_only(
    client: Client, data: Crafted, curator: Any, manager: Any
) -> None:
    """Issue 18: the filter options read "A · A", "1 · 1"; the layer menu listed the manager
    and the curator as annotators."""
    login(client, curator)
    html = client.get(reverse("annotate:claim-search", args=[data.project.slug])).content.decode()
    assert ">A · Completely reliable</option>" in html
    assert ">1 · Confirmed by other sources</option>" in html
    assert "A · A<" not in html and "1 · 1<" not in html
    layers = html[html.index('name="layer"') :]
    layers = layers[: layers.index("</select>")]
    assert ">annotator (annotator)</option>" in layers
    assert ">other-annotator (annotator)</option>" in layers
    assert "manager" not in layers and ">curator" not in layers
    # A manager who annotates is a layer.
    AssignmentFactory(article=data.a1, annotator=manager)
    html = client.get(reverse("annotate:claim-search", args=[data.project.slug])).content.decode()
    assert ">manager (annotator)</option>" in html


@pytest.mark.django_db
def test_reader_marks_the_linked_span(client: Client, data: Crafted, curator: Any) -> None:
    login(client, curator)
    reader = reverse("corpus:article-detail", args=[data.a1.pk])
    html = client.get(reader + "?start=7&end=14").content.decode()
    assert '<p>Ankara <mark id="claim-span" class="claim-span">expands</mark> its' in html
    assert "claim-span" not in client.get(reader + "?start=7&end=999").content.decode()


def _grow(data: Crafted, n: int) -> None:
    """n more sources, each with a gold claim with a stance, on new articles."""
    for i in range(n):
        source = SourceFactory(project=data.project)
        article = ArticleFactory(project=data.project, outlet=f"Outlet {i % 4}")
        ClaimFactory(
            article=article,
            annotator=None,
            source=source,
            stances={data.t1: "favor", data.t2: "none"},
            note="pipeline",
            end=7,
        )
        ClaimFactory(
            article=article,
            annotator=data.ann1,
            source=source,
            stances={data.t1: "against"},
            quote="pipeline",
            end=7,
        )


def counted_pages(data: Crafted) -> list[tuple[str, dict[str, str], int]]:
    """(url, headers, most queries) of every analysis page: whole, filtered, and the htmx
    fragments the filters swap in (session and user included)."""
    slug = data.project.slug
    overview = reverse("annotate:analysis-overview", args=[slug])
    stances = reverse("annotate:stance-map", args=[slug])
    search = reverse("annotate:claim-search", args=[slug])
    profile = reverse("annotate:source-profile", args=[data.a.pk])
    one = data.ann1.pk
    filtered = "outlet=Outlet+X&date_from=2024-01-01&date_to=2024-12-31&attribution=direct"
    hx = {"HX-Request": "true"}
    # (each + 1: the layers are the members, then one EXISTS query: annotating_members;
    # the overview, the stance map and the profile's stances + 1: their cache key,
    # figures_version; the search + 2 when not cached: the key, and the count and the
    # page's ids apart from the page's claims; a whole layer's stance map reads the kept
    # counts, the sources' names and the claims without a source instead of the key)
    return [
        (f"{overview}?layer=all", {}, 15),
        (f"{overview}?layer=all&{filtered}", hx, 14),
        (f"{stances}?layer=all", {}, 12),
        (f"{stances}?layer={one}&{filtered}", hx, 10),
        (reverse("annotate:stance-map-csv", args=[slug]), {}, 11),
        (f"{search}?q=pipeline&layer=all", {}, 15),
        # A stance-map cell's claims, as the cell's link opens them.
        (f"{search}?layer=all&source={data.a.pk}&target={data.t1.pk}&stance=favor", {}, 13),
        (f"{search}?q=pipeline&layer={one}&{filtered}&article={data.a1.pk}", hx, 11),
        # + 2: who quoted the source, whose claims it carried (attribution chains); a whole
        # layer's stances: the targets and the source's kept counts (its name known).
        (f"{profile}?layer=all", {}, 19),
        (f"{profile}?{filtered}", hx, 19),
    ]


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_the_project(
    client: Client, data: Crafted, curator: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, curator)
    pages = counted_pages(data)

    def counts() -> list[int]:
        found = []
        for url, headers, limit in pages:
            with django_assert_max_num_queries(limit) as queries:
                assert client.get(url, headers=headers).status_code == 200, url
            found.append(len(queries))
        return found

    _grow(data, 3)
    small = counts()
    _grow(data, 30)
    assert counts() == small


@pytest.mark.django_db
def test_a_source_profile_asked_again_reads_only_its_page(
    client: Client, data: Crafted, curator: Any, django_assert_max_num_queries: Any
) -> None:
    """Its ratings, agreement, quoting and carrying and the page's claim ids are kept
    under the project's changes: asked again, the key, the page's claims and their
    stances, the stance counts — the same number at any size of the source."""
    login(client, curator)
    url = reverse("annotate:source-profile", args=[data.a.pk]) + "?layer=all"
    for grow in (3, 30):
        _grow(data, grow)
        first = client.get(url)
        with django_assert_max_num_queries(14):
            again = client.get(url)
        for name in ("quoted_by", "carried", "agreement", "reliability"):
            assert again.context[name] == first.context[name], name
        assert [c.pk for c in again.context["page"]] == [c.pk for c in first.context["page"]]
        assert again.context["page"].paginator.count == first.context["page"].paginator.count


@pytest.mark.django_db
def test_claim_search_and_a_source_profile_read_their_two_entries_at_once(
    client: Client, data: Crafted, curator: Any, settings: Any
) -> None:
    """Asked again with the database cache (production's), the count (or the profile's
    figures) and the page's ids are one cache query; a page out of range (page 1 shown)
    reads its ids apart."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "claimdesk_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    login(client, curator)
    search = reverse("annotate:claim-search", args=[data.project.slug])
    profile = reverse("annotate:source-profile", args=[data.a.pk])
    for url, reads in (
        (f"{search}?q=pipeline&layer=all", 1),
        (f"{search}?layer=all&page=1", 1),
        (f"{profile}?layer=all", 1),
        (f"{profile}?layer=all&page=99", 2),
    ):
        first = client.get(url)
        with CaptureQueriesContext(connection) as captured:
            again = client.get(url)
        cached = [q for q in captured.captured_queries if '"claimdesk_cache"' in q["sql"]]
        assert len(cached) == reads, url
        assert [c.pk for c in again.context["page"]] == [c.pk for c in first.context["page"]]
        assert again.context["page"].number == first.context["page"].number == 1
