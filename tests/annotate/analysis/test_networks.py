"""The discourse networks: edges and weights by hand on a small corpus, the window, the
page (query count, drawn data), the files read back by networkx, and the API."""

from __future__ import annotations

import csv
import io
import json
from html import escape
from typing import Any

import networkx as nx
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.analysis import networks
from annotate.analysis.filters import ClaimFilters
from tests.annotate.clusters.scene import Corpus, make_corpus
from tests.conftest import login
from tests.factories import claim_over


@pytest.fixture
def corpus(project: Any) -> Corpus:
    return make_corpus(project)


def _by_pair(net: networks.Network) -> dict[tuple[str, str], networks.Edge]:
    return {(e.source, e.target): e for e in net.edges}


def test_actor_concept_edges_by_hand(corpus: Corpus) -> None:
    # Isachenko and Akar: Turkey favor, Russia none; Danilov: Turkey against, Russia none.
    # The OTHER claims have no stances.
    net = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT)
    isachenko, akar, danilov = (f"s{s.pk}" for s in corpus.sources)
    turkey, russia = (f"t{t.pk}" for t in corpus.targets)
    edges = _by_pair(net)
    assert set(edges) == {(s, t) for s in (isachenko, akar, danilov) for t in (turkey, russia)}
    assert (edges[(isachenko, turkey)].weight, edges[(isachenko, turkey)].sign) == (1, 1)
    assert (edges[(danilov, turkey)].weight, edges[(danilov, turkey)].sign) == (1, -1)
    assert (edges[(akar, russia)].sign, edges[(akar, russia)].neutral) == (0, 1)
    kinds = {n.id: n.kind for n in net.nodes}
    assert kinds[turkey] == "target" and kinds[akar] == "source"


def test_actor_actor_congruence_and_conflict_by_hand(corpus: Corpus) -> None:
    # Toward Turkey: Isachenko +, Akar +, Danilov −. Russia's stances are all "none": no
    # sign, no link. So Isachenko–Akar agree on 1 target; each opposes Danilov on 1.
    net = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_ACTOR)
    isachenko, akar, danilov = sorted(s.pk for s in corpus.sources)
    edges = _by_pair(net)
    assert set(edges) == {
        (f"s{isachenko}", f"s{akar}"),
        (f"s{isachenko}", f"s{danilov}"),
        (f"s{akar}", f"s{danilov}"),
    }
    agreed = edges[(f"s{isachenko}", f"s{akar}")]
    assert (agreed.agree, agreed.oppose, agreed.weight, agreed.sign) == (1, 0, 1, 1)
    opposed = edges[(f"s{akar}", f"s{danilov}")]
    assert (opposed.agree, opposed.oppose, opposed.sign) == (0, 1, -1)


def test_the_time_window_and_the_layer_filter(corpus: Corpus, annotator: Any) -> None:
    import datetime as dt

    window = ClaimFilters(date_from=dt.date(2024, 1, 1))  # leaves Daily Sabah (2023) out
    net = networks.network(corpus.project, window, networks.ACTOR_CONCEPT)
    assert f"s{corpus.sources[1].pk}" not in {n.id for n in net.nodes}
    # An annotator's layer holds only their claims.
    claim_over(
        corpus.articles[0],
        "Intro 0",
        annotator,
        source=corpus.sources[2],
        stances={corpus.targets[1]: "favor"},
    )
    mine = networks.network(
        corpus.project, ClaimFilters(layer=str(annotator.pk)), networks.ACTOR_CONCEPT
    )
    assert [(e.source, e.target, e.weight) for e in mine.edges] == [
        (f"s{corpus.sources[2].pk}", f"t{corpus.targets[1].pk}", 1)
    ]


def test_top_keeps_the_actors_with_most_claims(corpus: Corpus) -> None:
    net = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT, top=1)
    assert len([n for n in net.nodes if n.kind == "source"]) == 1
    assert net.actors_left_out == 2


@pytest.mark.parametrize("kind", [networks.ACTOR_CONCEPT, networks.ACTOR_ACTOR])
def test_the_graphml_export_has_the_edges_and_weights_of_the_page(
    client: Client, corpus: Corpus, curator: Any, kind: str, django_assert_max_num_queries: Any
) -> None:
    login(client, curator)
    url = reverse("annotate:network", args=[corpus.project.slug])
    with django_assert_max_num_queries(11):  # 9, the sources' names, the cache key
        page = client.get(url, {"kind": kind})
    assert page.status_code == 200
    drawn = page.context["graph"]
    assert 'id="network-data"' in page.content.decode()
    exported = client.get(
        reverse("annotate:network-export", args=[corpus.project.slug]),
        {"kind": kind, "export": "graphml"},
    )
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/graphml+xml")
    graph = nx.read_graphml(io.BytesIO(exported.getvalue()))
    on_page = {(frozenset((e["source"], e["target"])), e["weight"]) for e in drawn["edges"]}
    in_file = {(frozenset((a, b)), d["weight"]) for a, b, d in graph.edges(data=True)}
    assert on_page == in_file and on_page
    assert {n["id"]: n["label"] for n in drawn["nodes"]} == dict(graph.nodes(data="label"))


def test_gexf_and_csv_carry_the_same_edges(client: Client, corpus: Corpus, curator: Any) -> None:
    login(client, curator)
    url = reverse("annotate:network-export", args=[corpus.project.slug])
    net = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT)
    expected = {(frozenset((e.source, e.target)), e.weight) for e in net.edges}
    gexf = client.get(url, {"export": "gexf"})
    graph = nx.read_gexf(io.BytesIO(gexf.getvalue()))
    assert {(frozenset((a, b)), int(d["weight"])) for a, b, d in graph.edges(data=True)} == expected
    rows = list(csv.DictReader(io.StringIO(client.get(url, {"export": "csv"}).getvalue().decode())))
    assert {(frozenset((r["source"], r["target"])), int(r["weight"])) for r in rows} == expected
    assert client.get(url, {"export": "pdf"}).status_code == 400


def test_formula_like_names_are_made_safe_in_the_csv(corpus: Corpus) -> None:
    source = corpus.sources[0]
    source.name = "=HYPERLINK(1)"
    source.save()
    net = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT)
    text = "".join(networks.edge_csv(net))
    assert ",'=HYPERLINK(1)," in text
    assert ",=HYPERLINK(1)," in "".join(networks.edge_csv(net, raw=True))


def test_an_edge_opens_the_claims_behind_it(client: Client, corpus: Corpus, curator: Any) -> None:
    login(client, curator)
    url = reverse("annotate:network-edge", args=[corpus.project.slug])
    isachenko, akar = corpus.sources[0].pk, corpus.sources[1].pk
    response = client.get(url, {"a": f"s{isachenko}", "b": f"t{corpus.targets[0].pk}"})
    assert response.status_code == 200
    assert escape(corpus.same[0].quote) in response.content.decode()
    assert escape(corpus.same[1].quote) not in response.content.decode()
    both = client.get(url, {"a": f"s{isachenko}", "b": f"s{akar}"}).content.decode()
    assert escape(corpus.same[0].quote) in both and escape(corpus.same[1].quote) in both
    assert escape(corpus.other[0].quote) not in both  # no stance toward a shared target
    for bad in ({"a": "x1", "b": "t1"}, {"a": "s1", "b": "q2"}, {"a": "s", "b": "t"}, {}):
        assert client.get(url, bad).status_code == 400


def test_the_api_serves_the_same_network(corpus: Corpus, curator: Any) -> None:
    api = APIClient()
    api.force_authenticate(curator)
    url = f"/api/projects/{corpus.project.slug}/networks/actor-actor/"
    body = api.get(url).json()
    net = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_ACTOR)
    assert body == json.loads(json.dumps(net.as_json()))
    graphml = api.get(url, {"export": "graphml"})
    assert graphml.status_code == 200
    graph = nx.read_graphml(io.BytesIO(graphml.getvalue()))
    assert graph.number_of_edges() == len(net.edges)
    assert api.get(f"/api/projects/{corpus.project.slug}/networks/nope/").status_code == 404
    assert api.get(url, {"top": "0"}).status_code == 400
    assert api.get(url, {"sorce": "1"}).status_code == 400


def test_a_network_is_two_queries_however_many_stances(corpus: Corpus) -> None:
    """Computing a network (nothing cached) reads the layer's kept counts, then the names
    of the sources found: two queries, whatever the number of claims and sources; a
    layer's all-time counts are one row per key (no GROUP BY) and no query groups on the
    sources' names (PostgreSQL sorted every stance row of the layer on disk for that at
    600,000 claims)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import SourceFactory

    def computed() -> tuple[networks.Network, list[str]]:
        with CaptureQueriesContext(connection) as captured:
            net = networks._network(
                corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT, networks.TOP
            )
        return net, [q["sql"] for q in captured.captured_queries]

    before, queries = computed()
    assert len(queries) == 2
    assert "annotate_networkcount" in queries[0] and "GROUP BY" not in queries[0]
    assert '"annotate_source"."name"' not in queries[0]
    turkey = corpus.targets[0]
    for i, article in enumerate(corpus.articles):
        for n in range(3):
            source = SourceFactory(project=corpus.project, name=f"Extra {i}-{n}")
            claim_over(article, f"Intro {i}", None, source=source, stances={turkey: "favor"})
    after, queries = computed()
    assert len(queries) == 2
    assert len(after.nodes) == len(before.nodes) + 9
    assert len(after.edges) == len(before.edges) + 9


def test_the_cache_key_reads_the_articles_latest_edit_through_an_index(
    corpus: Corpus,
) -> None:
    """The key of a cached network is one query; on SQLite the articles' latest edit
    comes from ``article_project_updated`` (without it SQLite read every article's text
    to reach ``updated``: 45–58 ms of CPU at 10,001 articles)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        networks._changes(corpus.project)
    assert len(captured.captured_queries) == 1
    if connection.vendor != "sqlite":
        return  # PostgreSQL's planner scans a table this small
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + captured.captured_queries[0]["sql"])
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "article_project_updated" in plan


def test_the_cached_network_follows_a_claim_change(
    corpus: Corpus, curator: Any, django_assert_num_queries: Any
) -> None:
    """The network is cached under ``figures_version``: a second network with nothing
    changed costs only the key's query, and a claim deleted through the service is gone
    from the next network."""
    from annotate.claims.services import claim_delete

    before = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT)
    with django_assert_num_queries(1):
        again = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT)
    assert again.as_json() == before.as_json()
    claim_delete(claim=corpus.same[2], actor=curator)  # Danilov's only stances
    after = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT)
    danilov = f"s{corpus.sources[2].pk}"
    assert any(e.source == danilov for e in before.edges)
    assert not any(e.source == danilov for e in after.edges)


def test_the_cached_network_follows_a_write_that_records_no_history(corpus: Corpus) -> None:
    """A write outside the services (a query set's delete: no History row) changes the
    key too: the database's counter moves with every write to the stances. Keyed on the
    latest History row, the old network was served for ``CACHE_SECONDS``."""
    from annotate.models import ClaimStance

    before = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT)
    danilov = f"s{corpus.sources[2].pk}"
    assert any(e.source == danilov for e in before.edges)
    ClaimStance.objects.filter(claim=corpus.same[2]).delete()  # Danilov's only stances
    after = networks.network(corpus.project, ClaimFilters(), networks.ACTOR_CONCEPT)
    assert not any(e.source == danilov for e in after.edges)


def test_the_network_page_lists_the_strongest_edges_and_builds_links_once(
    client: Client, corpus: Corpus, curator: Any, monkeypatch: Any
) -> None:
    from annotate.analysis import views

    monkeypatch.setattr(views, "EDGE_ROWS", 2)
    login(client, curator)
    page = client.get(
        reverse("annotate:network", args=[corpus.project.slug]), {"layer": "gold", "top": "5"}
    )
    body = page.content.decode()
    assert "the 2 strongest of 6" in body
    rows = page.context["edges"]
    assert len(rows) == 2 and rows[0][0].weight >= rows[1][0].weight
    edge, _, _, url = rows[0]
    assert url.endswith(f"layer=gold&a={edge.source}&b={edge.target}")
    assert "top=" not in url


def test_an_empty_network_draws_no_empty_graph_box(
    client: Client, corpus: Corpus, curator: Any
) -> None:
    """With nothing to draw, the page says so instead of showing a blank 30-rem canvas
    above the message (found at 390 px, where the box filled the whole screen)."""
    login(client, curator)
    url = reverse("annotate:network", args=[corpus.project.slug])
    drawn = client.get(url, {"layer": "gold"}).content.decode()
    assert 'id="network-graph"' in drawn
    empty = client.get(url, {"layer": "gold", "kind": "carrying"}).content.decode()
    assert "No attribution chains in this layer" in empty
    assert 'id="network-graph"' not in empty


def test_a_network_reads_back_from_the_cache_as_it_was(corpus: Corpus) -> None:
    """A network pickles with its edges as tuples (0.36 MB and 7 ms for a big actor × actor
    network in the shared cache, against 1.15 MB and 100+ ms as objects)."""
    import pickle

    for kind in (networks.ACTOR_CONCEPT, networks.ACTOR_ACTOR):
        net = networks._network(corpus.project, ClaimFilters(), kind, networks.TOP)
        assert net.edges
        again = pickle.loads(pickle.dumps(net, pickle.HIGHEST_PROTOCOL))
        assert again == net and again.as_json() == net.as_json()


def test_actor_actor_pairs_as_the_loop_over_each_targets_sources_did() -> None:
    """The bit-mask pairing gives the edges, counts, shared targets and order of the plain
    loop (each target's signed sources paired up, an edge made at its first shared
    target), on stances drawn at random: favor, against, neutral, ties and none."""
    import random
    from collections import defaultdict
    from itertools import combinations

    rng = random.Random(20)
    targets = [3, 7, 8, 40, 41, 90]
    pairs = []
    for source in rng.sample(range(1, 200), 40):
        for target in rng.sample(targets, rng.randint(0, len(targets))):
            counts = {s: rng.randint(0, 3) for s in ("favor", "against", "none")}
            pairs.append(networks._Pair(source, f"S{source}", "person", target, "T", counts))
    pairs.sort(key=lambda p: (p.source_id, p.target_id))
    by_target: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pair in pairs:
        sign = networks._sign(pair.positive - pair.negative)
        if sign:
            by_target[pair.target_id].append((pair.source_id, sign))
    expected: dict[tuple[int, int], list[int]] = {}  # (a, b) → [agree, oppose, *targets]
    for target in sorted(by_target):
        for (a, sign_a), (b, sign_b) in combinations(sorted(by_target[target]), 2):
            found = expected.setdefault((a, b), [0, 0])
            found[0 if sign_a == sign_b else 1] += 1
            found.append(target)
    net = networks._actor_actor(pairs, 0)
    assert [(e.source, e.target) for e in net.edges] == [(f"s{a}", f"s{b}") for a, b in expected]
    for edge, (agree, oppose, *shared) in zip(net.edges, expected.values(), strict=True):
        assert (edge.agree, edge.oppose, list(edge.targets)) == (agree, oppose, shared)
        assert edge.weight == agree + oppose and edge.sign == networks._sign(agree - oppose)
    assert {n.id for n in net.nodes} == {f"s{pk}" for pair in expected for pk in pair}
    assert len(net.edges) > 100


def test_the_files_stream_a_few_hundred_edges_at_a_time() -> None:
    """A big network (``MAX_TOP`` sources: millions of actor × actor edges) is written a
    piece at a time, never as one string; the pieces make the same file networkx reads."""
    n = 70
    nodes = [networks.Node(f"s{i}", f"Source {i}", "source", "person", 1) for i in range(n)]
    edges = [
        networks.Edge(f"s{a}", f"s{b}", weight=1, sign=1, agree=1)
        for a in range(n)
        for b in range(a + 1, n)
    ]
    net = networks.Network(networks.ACTOR_ACTOR, nodes, edges)
    assert len(edges) > 3 * networks.PIECE
    for write in (networks.graphml, networks.gexf, networks.edge_csv):
        pieces = list(write(net))
        biggest = max(map(len, pieces))
        assert len(pieces) >= len(edges) // networks.PIECE, write.__name__
        assert biggest < len("".join(pieces)) / 2, write.__name__
    graph = nx.read_graphml(io.BytesIO("".join(networks.graphml(net)).encode()))
    assert graph.number_of_edges() == len(edges)
    gexf = nx.read_gexf(io.BytesIO("".join(networks.gexf(net)).encode()))
    assert gexf.number_of_edges() == len(edges)


def test_the_edge_rows_tag_writes_what_the_template_loop_wrote() -> None:
    """``{% edge_rows %}`` (the network page's table, written in Python) gives the HTML of
    the template loop it replaced, escaping included, for each kind of network (the
    whitespace between tags aside)."""
    import re
    from types import SimpleNamespace

    from django.template import Context, Template

    loop = Template(
        "{% for edge, from_label, to_label, edge_url in edges %}"
        '<tr><td>{{ from_label }}</td><td>{{ to_label }}</td><td class="num">{{ edge.weight }}'
        '</td><td class="num">{{ edge.sign }}</td>{% if kind == "actor-actor" %}'
        '<td class="num">{{ edge.agree }}</td><td class="num">{{ edge.oppose }}</td>'
        '{% elif kind == "carrying" %}{% else %}<td class="num">{{ edge.positive }}</td>'
        '<td class="num">{{ edge.negative }}</td><td class="num">{{ edge.neutral }}</td>'
        '{% endif %}<td><a href="{{ edge_url }}" hx-get="{{ edge_url }}" '
        'hx-target="#edge-claims">claims</a></td></tr>{% endfor %}'
    )
    tag = Template("{% load analysis_html %}{% edge_rows edges kind %}")
    edges = [
        (
            SimpleNamespace(
                weight=12, sign=-1, agree=3, oppose=9, positive=2, negative=7, neutral=3
            ),
            'Ahmet "A" <b>&</b>',
            "Türkiye's influence",
            "/p/x/analysis/network/edge/?layer=all&a=s1&b=t2",
        ),
        (
            SimpleNamespace(weight=1, sign=0, agree=0, oppose=0, positive=0, negative=0, neutral=1),
            "Plain",
            "Other",
            "/p/x/analysis/network/edge/?a=s3&b=s4",
        ),
    ]
    for kind in (networks.ACTOR_CONCEPT, networks.ACTOR_ACTOR, networks.CARRYING):
        context = {"edges": edges, "kind": kind}
        old = loop.render(Context(context))
        new = tag.render(Context(context))
        assert re.sub(r">\s+<", "><", new) == old


def test_the_drawn_json_is_made_once_per_network_and_not_pickled(
    client: Client, corpus: Corpus, curator: Any
) -> None:
    """The page embeds ``json_script(as_drawn())``, made once per network object (the
    process's copy serves it again), and the cached copy pickles without it."""
    import pickle

    from django.utils.html import json_script

    login(client, curator)
    url = reverse("annotate:network", args=[corpus.project.slug])
    first = client.get(url, {"layer": "gold", "kind": "actor-actor"})
    net = first.context["net"]
    assert json_script(net.as_drawn(), "network-data") in first.content.decode()
    again = client.get(url, {"layer": "gold", "kind": "actor-actor"})
    assert again.context["net"] is net and "drawn_script" in vars(net)
    assert net.by_weight == sorted(net.edges, key=lambda e: (-e.weight, e.source, e.target))
    copy = pickle.loads(pickle.dumps(net, pickle.HIGHEST_PROTOCOL))
    assert copy == net and "drawn_script" not in vars(copy)
