"""The outlet → source carrying network (from the attribution chains) and the source
profile's "quoted by" / "carried claims of": by hand on a small corpus, the page, the
files read back by networkx (directed), the claims behind an edge, and the API."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

import networkx as nx
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.analysis import networks, profiles
from annotate.analysis.filters import ClaimFilters, layer_claims
from annotate.models import ChainLink
from tests.annotate.clusters.scene import Corpus, make_corpus
from tests.conftest import login
from tests.factories import SourceFactory


@pytest.fixture
def corpus(project: Any) -> Corpus:
    return make_corpus(project)


@pytest.fixture
def outlets(corpus: Corpus) -> tuple[Any, Any]:
    """Isachenko's first claim: Berliner Zeitung → inosmi.ru; her other claim and Akar's
    first: Berliner Zeitung alone (all gold, the default layer)."""
    paper = SourceFactory(project=corpus.project, name="Berliner Zeitung", kind="outlet")
    site = SourceFactory(project=corpus.project, name="inosmi.ru", kind="outlet")
    ChainLink.objects.create(claim=corpus.same[0], position=1, source=paper)
    ChainLink.objects.create(claim=corpus.same[0], position=2, source=site, reliability="D")
    ChainLink.objects.create(claim=corpus.other[0], position=1, source=paper)
    ChainLink.objects.create(claim=corpus.same[1], position=1, source=paper)
    return paper, site


def _edges(net: networks.Network) -> dict[tuple[str, str], int]:
    return {(e.source, e.target): e.weight for e in net.edges}


def test_carrying_edges_by_hand(corpus: Corpus, outlets: Any) -> None:
    paper, site = (f"s{s.pk}" for s in outlets)
    isachenko, akar = (f"s{s.pk}" for s in corpus.sources[:2])
    net = networks.network(corpus.project, ClaimFilters(), networks.CARRYING)
    # The paper carried two of Isachenko's claims and one of Akar's; the site took one
    # claim from the paper (the second link carried from the first).
    assert _edges(net) == {(paper, isachenko): 2, (paper, akar): 1, (site, paper): 1}
    assert net.directed and net.as_json()["directed"]
    claims = {n.id: n.claims for n in net.nodes}
    assert claims == {paper: 4, isachenko: 2, akar: 1, site: 1}
    assert {n.id: n.category for n in net.nodes}[paper] == "outlet"
    # The stance networks stay undirected.
    assert not networks.network(corpus.project, ClaimFilters(), networks.ACTOR_ACTOR).directed


def test_carrying_keeps_the_top_sources_and_its_layer(
    corpus: Corpus, outlets: Any, annotator: Any
) -> None:
    net = networks.network(corpus.project, ClaimFilters(), networks.CARRYING, top=2)
    assert {n.label for n in net.nodes} == {"Berliner Zeitung", "Isachenko"}
    assert _edges(net) == {(f"s{outlets[0].pk}", f"s{corpus.sources[0].pk}"): 2}
    assert net.actors_left_out == 2
    mine = networks.network(
        corpus.project, ClaimFilters(layer=str(annotator.pk)), networks.CARRYING
    )
    assert mine.edges == [] and mine.nodes == []


def test_the_carrying_graphml_is_directed_with_the_edges_of_the_page(
    client: Client, corpus: Corpus, outlets: Any, curator: Any, django_assert_max_num_queries: Any
) -> None:
    login(client, curator)
    with django_assert_max_num_queries(11):  # +1: the cache key; +1: the layers' EXISTS
        page = client.get(
            reverse("annotate:network", args=[corpus.project.slug]), {"kind": networks.CARRYING}
        )
    assert page.status_code == 200
    drawn = {(e["source"], e["target"]): e["weight"] for e in page.context["graph"]["edges"]}
    url = reverse("annotate:network-export", args=[corpus.project.slug])
    graphml = client.get(url, {"kind": networks.CARRYING, "export": "graphml"})
    graph = nx.read_graphml(io.BytesIO(graphml.getvalue()))
    assert graph.is_directed()
    assert {(a, b): d["weight"] for a, b, d in graph.edges(data=True)} == drawn
    gexf = nx.read_gexf(
        io.BytesIO(client.get(url, {"kind": "carrying", "export": "gexf"}).getvalue())
    )
    assert gexf.is_directed()
    assert {(a, b): int(d["weight"]) for a, b, d in gexf.edges(data=True)} == drawn
    text = client.get(url, {"kind": "carrying", "export": "csv"}).getvalue().decode()
    assert {
        (r["source"], r["target"]): int(r["weight"]) for r in csv.DictReader(io.StringIO(text))
    } == drawn


def test_a_carrying_edge_opens_the_claims_carried(
    client: Client, corpus: Corpus, outlets: Any, curator: Any
) -> None:
    login(client, curator)
    url = reverse("annotate:network-edge", args=[corpus.project.slug])
    paper, site = outlets
    isachenko = corpus.sources[0]
    got = client.get(url, {"kind": "carrying", "a": f"s{paper.pk}", "b": f"s{isachenko.pk}"})
    assert got.status_code == 200
    body = got.content.decode()
    assert escape(corpus.same[0].quote) in body and escape(corpus.other[0].quote) in body
    assert escape(corpus.same[1].quote) not in body
    second = client.get(url, {"kind": "carrying", "a": f"s{site.pk}", "b": f"s{paper.pk}"})
    assert escape(corpus.same[0].quote) in second.content.decode()
    assert escape(corpus.other[0].quote) not in second.content.decode()
    bad = client.get(url, {"kind": "carrying", "a": f"s{paper.pk}", "b": "t1"})
    assert bad.status_code == 400


def test_the_api_serves_the_carrying_network(corpus: Corpus, outlets: Any, curator: Any) -> None:
    api = APIClient()
    api.force_authenticate(curator)
    body = api.get(f"/api/projects/{corpus.project.slug}/networks/carrying/").json()
    assert body["directed"] is True
    assert {(e["source"], e["target"]) for e in body["edges"]} == set(
        _edges(networks.network(corpus.project, ClaimFilters(), networks.CARRYING))
    )


def test_the_profile_says_who_quoted_a_source_and_whose_claims_it_carried(
    client: Client, corpus: Corpus, outlets: Any, curator: Any
) -> None:
    paper, site = outlets
    isachenko, akar = corpus.sources[:2]
    layer = layer_claims(corpus.project, ClaimFilters())
    quoted = profiles.quoted_by(layer.filter(source=isachenko))
    assert [(r.name, r.claims) for r in quoted] == [("Berliner Zeitung", 2), ("inosmi.ru", 1)]
    carried = profiles.carried_claims_of(paper, layer)
    assert [(r.name, r.claims) for r in carried] == [("Isachenko", 2), ("Akar", 1)]
    assert [(r.name, r.claims) for r in profiles.carried_claims_of(site, layer)] == [
        ("Isachenko", 1)
    ]
    login(client, curator)
    page = client.get(reverse("annotate:source-profile", args=[isachenko.pk])).content.decode()
    assert 'id="quoted-by"' in page and f'data-source="{paper.pk}"' in page
    outlet_page = client.get(reverse("annotate:source-profile", args=[paper.pk])).content.decode()
    assert (
        'id="carried-claims-of"' in outlet_page and f'data-source="{isachenko.pk}"' in outlet_page
    )


def test_the_carrying_page_links_each_edge_to_the_claims_carried(
    client: Client, corpus: Corpus, outlets: Any, curator: Any
) -> None:
    """The table's links keep ``kind=carrying`` (without it the edge view would look for
    shared stances and find none)."""
    login(client, curator)
    page = client.get(reverse("annotate:network", args=[corpus.project.slug]), {"kind": "carrying"})
    assert page.status_code == 200
    paper = outlets[0]
    links = [
        link
        for link in page.content.decode().split('href="')[1:]
        if link.startswith(reverse("annotate:network-edge", args=[corpus.project.slug]))
    ]
    assert links and all("kind=carrying" in link.split('"')[0] for link in links)
    first = next(link.split('"')[0] for link in links if f"a=s{paper.pk}" in link)
    opened = client.get(first.replace("&amp;", "&"))
    assert opened.status_code == 200 and "<li" in opened.content.decode()
