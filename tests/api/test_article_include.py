"""GET /api/articles/{id}/?include=claims: the article and its claims in one request,
with the claim list's rules (annotators see their own claims only), in a constant number
of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.models import Claim, ClaimStance
from tests.factories import ArticleFactory, AssignmentFactory, ClaimFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(project: Any, annotator: Any, other_annotator: Any) -> Any:
    article = ArticleFactory(project=project)
    AssignmentFactory(article=article, annotator=annotator)
    AssignmentFactory(article=article, annotator=other_annotator)
    return article


def _claims(article: Any, annotator: Any, n: int) -> list[Any]:
    return [ClaimFactory(article=article, annotator=annotator) for _ in range(n)]


def _get(client: Any, article: Any, query: str = "include=claims") -> Any:
    return client.get(f"/api/articles/{article.pk}/?{query}")


def test_without_include_the_article_comes_alone(
    client_for: Callable[[Any], Any], annotator: Any, article: Any
) -> None:
    _claims(article, annotator, 2)
    response = _get(client_for(annotator), article, "")
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == article.text and body["sha256"] == article.sha256
    assert "claims" not in body


def test_an_annotator_gets_the_article_with_their_own_claims_only(
    client_for: Callable[[Any], Any], annotator: Any, other_annotator: Any, article: Any
) -> None:
    mine = _claims(article, annotator, 2)
    _claims(article, other_annotator, 3)
    deleted = ClaimFactory(article=article, annotator=annotator)
    Claim.objects.filter(pk=deleted.pk).update(deleted_at="2025-01-01T00:00:00Z")
    body = _get(client_for(annotator), article).json()
    assert body["id"] == article.pk and body["text"] == article.text
    assert sorted(c["id"] for c in body["claims"]) == sorted(c.pk for c in mine)
    assert {c["annotator"] for c in body["claims"]} == {annotator.pk}
    with_deleted = _get(client_for(annotator), article, "include=claims&include_deleted=true")
    assert deleted.pk in {c["id"] for c in with_deleted.json()["claims"]}


@pytest.mark.parametrize("whose", ["all", "gold", "other"])
def test_an_annotator_may_not_choose_another_layer(
    client_for: Callable[[Any], Any], annotator: Any, other_annotator: Any, article: Any, whose: str
) -> None:
    who = str(other_annotator.pk) if whose == "other" else whose
    response = _get(client_for(annotator), article, f"include=claims&annotator={who}")
    assert response.status_code == 403


def test_a_curator_chooses_the_layer(
    client_for: Callable[[Any], Any],
    curator: Any,
    annotator: Any,
    other_annotator: Any,
    article: Any,
) -> None:
    first = _claims(article, annotator, 2)
    second = _claims(article, other_annotator, 1)
    gold = ClaimFactory(article=article, annotator=None)
    client = client_for(curator)

    def ids(query: str) -> set[int]:
        response = _get(client, article, f"include=claims&{query}")
        assert response.status_code == 200, response.content
        return {c["id"] for c in response.json()["claims"]}

    assert ids("") == set()  # the curator's own: none
    assert ids(f"annotator={annotator.pk}") == {c.pk for c in first}
    assert ids("annotator=gold") == {gold.pk}
    assert ids("annotator=all") == {c.pk for c in [*first, *second, gold]}


def test_the_rules_of_the_article_hold(
    client_for: Callable[[Any], Any], anon: Any, annotator: Any, project: Any
) -> None:
    not_assigned = ArticleFactory(project=project)
    elsewhere = ArticleFactory(project=ProjectFactory())
    assert _get(client_for(annotator), not_assigned).status_code == 404
    assert _get(client_for(annotator), elsewhere).status_code == 404
    assert _get(anon, not_assigned).status_code == 401
    assert client_for(annotator).post(f"/api/articles/{not_assigned.pk}/").status_code == 405


@pytest.mark.parametrize("query", ["include=sources", "include=claims&annotator=nobody"])
def test_a_bad_query_is_400(
    client_for: Callable[[Any], Any], annotator: Any, article: Any, query: str
) -> None:
    assert _get(client_for(annotator), article, query).status_code == 400


def test_the_query_count_does_not_grow_with_the_claims(
    client_for: Callable[[Any], Any], curator: Any, annotator: Any, project: Any, target: Any
) -> None:
    few, many = ArticleFactory(project=project), ArticleFactory(project=project)
    for article, n in ((few, 2), (many, 40)):
        for claim in _claims(article, annotator, n):
            ClaimStance.objects.create(claim=claim, target=target, stance="favor")
    client = client_for(curator)

    def queries(article: Any) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = _get(client, article, "include=claims&annotator=all")
        assert response.status_code == 200
        assert all(c["stances"] for c in response.json()["claims"])
        return len(captured.captured_queries)

    queries(few)  # warm the role cache and whatever else is loaded once
    assert queries(few) == queries(many)
    assert len(_get(client, many, "include=claims&annotator=all").json()["claims"]) == 40


def test_the_schema_documents_include(client: Any) -> None:
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/articles/{id}/"]["get"]
    assert "include" in {p["name"] for p in operation["parameters"]}
    component = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    properties = schema["components"]["schemas"][component.rsplit("/", 1)[1]]
    assert "claims" in properties["properties"]
    assert "claims" not in properties.get("required", [])


def test_the_rows_are_what_the_serializers_give(
    project: Any, annotator: Any, article: Any, source: Any, target: Any
) -> None:
    """``claims_as_json`` and ``article_as_json`` (built from rows, for speed) give exactly
    what ``ClaimSerializer`` and ``ArticleSerializer`` give: every field, a gold claim (no
    ``annotator_username``), stances out of order, a chain, a mention, a deleted claim."""
    import datetime as dt

    from annotate.claims.serializers import ClaimSerializer, claims_as_json
    from annotate.models import ChainLink, Target
    from corpus.models import Article
    from corpus.serializers import ArticleSerializer, article_as_json

    other_target = Target.objects.create(project=project, name="Alpha", name_key="alpha")
    plain = ClaimFactory(article=article, annotator=annotator)
    full = ClaimFactory(
        article=article,
        annotator=annotator,
        source=source,
        mention_start=0,
        mention_end=7,
        attribution="reported",
        note="Ünïcode 🇹🇷",
        stances={target: "favor", other_target: "against"},
    )
    ChainLink.objects.create(claim=full, position=2, source=source, reliability="B")
    ChainLink.objects.create(claim=full, position=1, source=source, mention_start=0, mention_end=3)
    gold = ClaimFactory(article=article, annotator=None)
    deleted = ClaimFactory(article=article, annotator=annotator, deleted=True)
    claims = Claim.objects.filter(pk__in=[plain.pk, full.pk, gold.pk, deleted.pk])
    expected = ClaimSerializer(claims.prefetch_related("stances", "chain"), many=True).data
    got = claims_as_json(claims)
    assert got == expected
    assert [list(c) for c in got] == [list(c) for c in expected]  # the keys' order too
    assert "annotator_username" not in got[[c["id"] for c in got].index(gold.pk)]
    assert claims_as_json(Claim.objects.none()) == []

    Article.objects.filter(pk=article.pk).update(
        published=dt.date(2025, 3, 1), metadata={"feed": "rss", "tags": ["a", 1]}
    )
    article = Article.objects.select_related("project").get(pk=article.pk)
    expected_article = ArticleSerializer(article).data
    assert article_as_json(article) == expected_article
    assert list(article_as_json(article)) == list(expected_article)


def test_the_fetch_takes_three_queries_on_postgresql_five_on_sqlite(
    client_for: Callable[[Any], Any], annotator: Any, article: Any, target: Any
) -> None:
    """An annotator's fetch: the token; the article with the user's role and assignment
    (``article_for``'s one query); the claims with their stances and their chains' links
    (one query on PostgreSQL; on SQLite the stances and the links come in two more)."""
    for claim in _claims(article, annotator, 5):
        ClaimStance.objects.create(claim=claim, target=target, stance="favor")
    client = client_for(annotator)
    with CaptureQueriesContext(connection) as captured:
        response = _get(client, article)
    assert response.status_code == 200 and len(response.json()["claims"]) == 5
    expected = 3 if connection.vendor == "postgresql" else 5
    assert len(captured.captured_queries) == expected, [q["sql"] for q in captured.captured_queries]


def test_the_answer_is_what_the_serializers_give_for_every_layer(
    client_for: Callable[[Any], Any],
    project: Any,
    curator: Any,
    annotator: Any,
    other_annotator: Any,
    article: Any,
    source: Any,
    target: Any,
) -> None:
    """The one-request fetch answers from queries built once (``common.prepared``) and rows
    (``layer_as_json``): the same JSON as ``ArticleSerializer`` and ``ClaimSerializer`` over
    ``claims_chosen``, for each layer and with deleted claims or without — Turkish,
    Cyrillic and emoji quotes and notes, stances, a chain, a mention, a gold claim."""
    from annotate.claims.api import claims_chosen
    from annotate.claims.serializers import ClaimSerializer
    from annotate.models import ChainLink, Target
    from corpus.models import Article
    from corpus.serializers import ArticleSerializer
    from tests.factories import span

    other_target = Target.objects.create(project=project, name="Яна", name_key="яна")
    for who, words, note in (
        (annotator, "Akıncı", "İstanbul’da ışık"),
        (annotator, "🇹🇷", "флаг 🇹🇷"),
        (other_annotator, "Яна", "Кириллица"),
        (None, "Turkey’s influence", "gold"),
    ):
        start, end = span(article.text, words)
        ClaimFactory(
            article=article,
            annotator=who,
            start=start,
            end=end,
            note=note,
            source=source,
            mention_start=0,
            mention_end=7,
            stances={target: "favor", other_target: "against"},
        )
    chained = ClaimFactory(article=article, annotator=annotator)
    ChainLink.objects.create(claim=chained, position=2, source=source, reliability="B")
    ChainLink.objects.create(
        claim=chained, position=1, source=source, mention_start=0, mention_end=3
    )
    ClaimFactory(article=article, annotator=annotator, deleted=True, note="silindi")
    ClaimFactory(article=article, annotator=other_annotator, deleted=True)

    cases = [(annotator, ""), (annotator, "&include_deleted=true")]
    for query in ("", "all", "gold", str(annotator.pk), str(other_annotator.pk)):
        for deleted in ("", "&include_deleted=true"):
            cases.append((curator, (f"&annotator={query}" if query else "") + deleted))
    for user, query in cases:
        response = _get(client_for(user), article, f"include=claims{query}")
        assert response.status_code == 200, (query, response.content)
        filters = {
            "annotator": response.wsgi_request.GET.get("annotator", ""),
            "include_deleted": "include_deleted" in query,
        }
        loaded = Article.objects.select_related("project").get(pk=article.pk)
        expected = dict(ArticleSerializer(loaded).data)
        expected["claims"] = ClaimSerializer(claims_chosen(user, loaded, filters), many=True).data
        body = response.json()
        assert body == expected, (user, query)
        assert [list(c) for c in body["claims"]] == [list(c) for c in expected["claims"]]
    assert (
        len(_get(client_for(curator), article, "include=claims&annotator=all").json()["claims"])
        == 5
    )


@pytest.mark.parametrize("who", ["2147483648", "9223372036854775807"])
def test_an_id_past_the_user_table_s_range_finds_no_claims(
    client_for: Callable[[Any], Any], curator: Any, annotator: Any, article: Any, who: str
) -> None:
    """The claims' query is compiled once and run with the id as a parameter: an id no
    user can have (past a 32-bit ``auth_user.id``, up to the largest one accepted) finds
    nothing, as the ORM's empty query did, on both databases."""
    _claims(article, annotator, 2)
    response = _get(client_for(curator), article, f"include=claims&annotator={who}")
    assert response.status_code == 200, response.content
    assert response.json()["claims"] == []
