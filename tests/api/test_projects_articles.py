"""Projects and articles: who sees which, the filters, creating from text and upload."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotate.models import AssignmentStatus
from corpus.models import Article, Role
from corpus.text import sha256_text
from tests.factories import ArticleFactory, AssignmentFactory, MembershipFactory, ProjectFactory

# --- Projects ------------------------------------------------------------------------


@pytest.mark.django_db
def test_projects_lists_only_mine_with_my_role(
    client_for: Any, curator: Any, project: Any, article: Any
) -> None:
    ProjectFactory(name="Not mine")
    response = client_for(curator).get("/api/projects/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (entry,) = body["results"]
    assert entry["slug"] == project.slug
    assert entry["role"] == Role.CURATOR
    assert entry["article_count"] == 1


@pytest.mark.django_db
def test_an_annotator_counts_only_the_articles_assigned_to_them(
    client_for: Any, annotator: Any, manager: Any, project: Any
) -> None:
    ArticleFactory.create_batch(3, project=project)
    AssignmentFactory(article=ArticleFactory(project=project), annotator=annotator)
    (mine,) = client_for(annotator).get("/api/projects/").json()["results"]
    assert (mine["article_count"], mine["assigned_count"]) == (1, 1)
    detail = client_for(annotator).get(f"/api/projects/{project.slug}/").json()
    assert detail["article_count"] == 1
    (managed,) = client_for(manager).get("/api/projects/").json()["results"]
    assert (managed["article_count"], managed["assigned_count"]) == (4, 0)


@pytest.mark.django_db
def test_project_detail_has_the_scheme(client_for: Any, annotator: Any, project: Any) -> None:
    response = client_for(annotator).get(f"/api/projects/{project.slug}/")
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == Role.ANNOTATOR
    values = body["scheme"]["fields"]["source_reliability"]["values"]
    assert [v["value"] for v in values] == list("ABCDEF")
    assert body["scheme"]["default_targets"][0] == "Turkey's influence in Central Asia"


@pytest.mark.django_db
def test_project_of_others_is_404(client_for: Any, outsider: Any, project: Any) -> None:
    response = client_for(outsider).get(f"/api/projects/{project.slug}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such project.", "code": "not_found"}


@pytest.mark.django_db
def test_project_list_query_count(
    client_for: Any, manager: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        MembershipFactory(user=manager, role=Role.ANNOTATOR)
    client = client_for(manager)
    with django_assert_max_num_queries(4):
        assert client.get("/api/projects/").json()["count"] == 6


# --- Article list and detail ---------------------------------------------------------


@pytest.fixture
def articles(project: Any, annotator: Any) -> dict[str, Any]:
    mine = ArticleFactory(project=project, title="Mine", outlet="Eurasianet")
    done = ArticleFactory(project=project, title="Done", outlet="Daily Sabah")
    hidden = ArticleFactory(project=project, title="Not assigned", outlet="Eurasianet")
    AssignmentFactory(article=mine, annotator=annotator)
    AssignmentFactory(article=done, annotator=annotator, status=AssignmentStatus.DONE)
    return {"mine": mine, "done": done, "hidden": hidden}


def _titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(a["title"] for a in response.json()["results"])


@pytest.mark.django_db
def test_annotator_lists_only_assigned_articles(
    client_for: Any, annotator: Any, project: Any, articles: Any
) -> None:
    response = client_for(annotator).get(f"/api/projects/{project.slug}/articles/")
    assert _titles(response) == ["Done", "Mine"]
    statuses = {a["title"]: a["my_status"] for a in response.json()["results"]}
    assert statuses == {"Done": "done", "Mine": "not_started"}
    assert "text" not in response.json()["results"][0]


@pytest.mark.django_db
def test_curator_lists_every_article(
    client_for: Any, curator: Any, project: Any, articles: Any
) -> None:
    response = client_for(curator).get(f"/api/projects/{project.slug}/articles/")
    assert _titles(response) == ["Done", "Mine", "Not assigned"]


@pytest.mark.django_db
def test_article_filters(client_for: Any, annotator: Any, project: Any, articles: Any) -> None:
    client = client_for(annotator)
    url = f"/api/projects/{project.slug}/articles/"
    assert _titles(client.get(url, {"status": "done"})) == ["Done"]
    assert _titles(client.get(url, {"outlet": "Eurasianet"})) == ["Mine"]
    assert _titles(client.get(url, {"q": "sabah"})) == ["Done"]
    assert _titles(client.get(url, {"q": ""})) == ["Done", "Mine"]


@pytest.mark.django_db
def test_an_article_search_counts_its_matches_up_to_the_cap(
    client_for: Any, curator: Any, project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``?q=`` counts at most ``search.COUNT_CAP`` matches (one COUNT over a LIMIT cap + 1
    subquery, without the list's order, and no more queries than a search of one match):
    ``count`` is the cap and ``count_capped`` true; the pages are those of the first cap
    matches by title, a page past them 404. Without ``q`` every article counts."""
    from corpus import search

    monkeypatch.setattr(search, "COUNT_CAP", 3)
    for i in range(5):
        ArticleFactory(project=project, title=f"Pipeline news {i}")
    ArticleFactory(project=project, title="Steppe weather")
    client = client_for(curator)
    url = f"/api/projects/{project.slug}/articles/"
    with CaptureQueriesContext(connection) as few:
        one = client.get(url, {"q": "steppe"}).json()
    assert (one["count"], one["count_capped"]) == (1, False)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url, {"q": "pipeline", "page_size": 2}).json()
    assert len(queries) == len(few)
    (count,) = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert "LIMIT 4" in count.upper() and "ORDER BY" not in count.upper(), count
    assert (body["count"], body["count_capped"]) == (3, True)
    assert [a["title"] for a in body["results"]] == ["Pipeline news 0", "Pipeline news 1"]
    last = client.get(url, {"q": "pipeline", "page_size": 2, "page": 2}).json()
    assert [a["title"] for a in last["results"]] == ["Pipeline news 2"]
    assert last["next"] is None
    assert client.get(url, {"q": "pipeline", "page_size": 2, "page": 3}).status_code == 404
    monkeypatch.setattr(search, "COUNT_CAP", 5)  # at the cap exactly: not capped
    body = client.get(url, {"q": "pipeline"}).json()
    assert (body["count"], body["count_capped"]) == (5, False)
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    body = client.get(url).json()  # no words: every article counted
    assert (body["count"], body["count_capped"]) == (6, False)


@pytest.mark.django_db
def test_a_page_of_articles_reads_its_rows_by_id(
    client_for: Any, annotator: Any, project: Any
) -> None:
    """The list's query picks the page's ids (sorted by title and id) in a subquery and
    the page's rows are read by id, as the HTML list does (the page sorted every match's
    whole row by title): the filters are in the query once, the rows keep the order, the
    project and the annotator's own status, and a search costs no more queries than the
    list without words."""
    titles = ["Pipeline c", "Pipeline a", "Steppe", "Pipeline b", "Pipeline d"]
    for i, title in enumerate(titles):
        AssignmentFactory(
            article=ArticleFactory(project=project, title=title, outlet="Sabah" if i else "X"),
            annotator=annotator,
            status=AssignmentStatus.DONE if i == 1 else AssignmentStatus.NOT_STARTED,
        )
    ArticleFactory(project=project, title="Pipeline e")  # not assigned: not theirs
    client = client_for(annotator)
    url = f"/api/projects/{project.slug}/articles/"
    with CaptureQueriesContext(connection) as plain:
        client.get(url)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url, {"q": "pipeline", "outlet": "Sabah", "page_size": 2}).json()
    assert [(a["title"], a["my_status"], a["project"]) for a in body["results"]] == [
        ("Pipeline a", "done", project.slug),
        ("Pipeline b", "not_started", project.slug),
    ]
    assert (body["count"], body["next"] is not None) == (3, True)
    assert len(queries) == len(plain) + 1  # (+ 1: whether any article waits for its index)
    rows_read = 'SELECT "corpus_article"."id", "corpus_article"."project_id"'
    (page,) = [q["sql"] for q in queries if q["sql"].startswith(rows_read)]
    # The LIMIT in the subquery of ids, none on the rows read.
    assert "LIMIT" in page and not re.search(r"LIMIT \d+( OFFSET \d+)?$", page.strip()), page
    match = "@@" if connection.vendor == "postgresql" else " MATCH "
    assert page.count(match) == 1 and page.count("Sabah") == 1, page
    last = client.get(url, {"q": "pipeline", "outlet": "Sabah", "page_size": 2, "page": 2})
    assert [a["title"] for a in last.json()["results"]] == ["Pipeline d"]
    # Without a search: every article counted, the page read by id too.
    body = client.get(url, {"page_size": 3, "page": 2}).json()
    assert [a["title"] for a in body["results"]] == ["Pipeline d", "Steppe"]
    assert (body["count"], body["count_capped"]) == (5, False)


@pytest.mark.django_db
def test_unknown_status_filter_is_400(client_for: Any, annotator: Any, project: Any) -> None:
    response = client_for(annotator).get(
        f"/api/projects/{project.slug}/articles/", {"status": "finished"}
    )
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


@pytest.mark.django_db
def test_article_list_is_paginated(client_for: Any, manager: Any, project: Any) -> None:
    ArticleFactory.create_batch(3, project=project)
    url = f"/api/projects/{project.slug}/articles/"
    body = client_for(manager).get(url, {"page_size": 2}).json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert client_for(manager).get(url, {"page": 9}).status_code == 404


@pytest.mark.django_db
def test_article_list_query_count(
    client_for: Any, manager: Any, project: Any, django_assert_max_num_queries: Any
) -> None:
    ArticleFactory.create_batch(10, project=project)
    client = client_for(manager)
    with django_assert_max_num_queries(5):
        assert client.get(f"/api/projects/{project.slug}/articles/").json()["count"] == 10


@pytest.mark.django_db
def test_article_detail_has_text_and_hash(client_for: Any, annotator: Any, articles: Any) -> None:
    article = articles["mine"]
    response = client_for(annotator).get(f"/api/articles/{article.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == article.text
    assert body["sha256"] == sha256_text(article.text)
    assert body["char_count"] == len(article.text)
    assert body["metadata"] == {}


@pytest.mark.django_db
def test_unassigned_article_is_404_for_annotator(
    client_for: Any, annotator: Any, articles: Any
) -> None:
    assert client_for(annotator).get(f"/api/articles/{articles['hidden'].pk}/").status_code == 404


@pytest.mark.django_db
def test_article_of_another_project_is_404(client_for: Any, outsider: Any, article: Any) -> None:
    for url in (f"/api/articles/{article.pk}/", f"/api/projects/{article.project.slug}/articles/"):
        assert client_for(outsider).get(url).status_code == 404


@pytest.mark.django_db
def test_missing_article_is_404(client_for: Any, manager: Any) -> None:
    for pk in (999_999, 2**70):
        assert client_for(manager).get(f"/api/articles/{pk}/").status_code == 404


@pytest.mark.django_db
def test_articles_need_a_login(anon: APIClient, article: Any) -> None:
    assert anon.get(f"/api/articles/{article.pk}/").status_code == 401
    assert anon.get(f"/api/projects/{article.project.slug}/articles/").status_code == 401


# --- Creating from text --------------------------------------------------------------


@pytest.mark.django_db
def test_manager_adds_an_article_from_text(client_for: Any, manager: Any, project: Any) -> None:
    response = client_for(manager).post(
        f"/api/projects/{project.slug}/articles/",
        {
            "text": "Ankara’s bet\r\n\r\nTurkey is ready, says Hulusi Akar.",
            "outlet": "Daily Sabah",
            "published": "2022-01-22",
            "metadata": {"rubric": "Analysis"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Ankara’s bet"
    assert body["text"] == "Ankara’s bet\n\nTurkey is ready, says Hulusi Akar."
    assert body["published"] == "2022-01-22"
    assert body["metadata"] == {"rubric": "Analysis"}
    assert Article.objects.get(pk=body["id"]).sha256 == body["sha256"]


@pytest.mark.django_db
def test_the_same_text_again_returns_the_existing_article(
    client_for: Any, manager: Any, article: Any
) -> None:
    response = client_for(manager).post(
        f"/api/projects/{article.project.slug}/articles/", {"text": article.text}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["id"] == article.pk
    assert Article.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"text": "   \n  "}, "text", "The text is empty."),
        ({"text": "a\x00b"}, "text", "It holds a NUL character (U+0000, at character 2)"),
        ({"text": 42}, "text", "Not a valid string."),
        ({}, "text", "This field is required."),
        ({"text": "x", "url": "javascript:alert(1)"}, "url", "Enter a valid URL."),
        ({"text": "x", "published": "22/01/2022"}, "published", "Date has wrong format."),
        ({"text": "x", "metadata": [1]}, "metadata", "Expected a dictionary of items"),
        ({"text": "x", "metadata": {"a": "\x00"}}, "metadata", "NUL"),
        ({"text": "x", "author": "me"}, "non_field_errors", "unknown field(s): author"),
    ],
)
def test_article_create_errors(
    client_for: Any, manager: Any, project: Any, body: Any, field: str, message: str
) -> None:
    response = client_for(manager).post(
        f"/api/projects/{project.slug}/articles/", body, format="json"
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_text_over_the_limit_is_refused(
    client_for: Any, manager: Any, project: Any, settings: Any
) -> None:
    settings.CLAIMDESK_MAX_ARTICLE_CHARS = 10
    response = client_for(manager).post(
        f"/api/projects/{project.slug}/articles/", {"text": "x" * 11}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["text"] == ["The text has 11 characters; the limit is 10."]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CURATOR, Role.ANNOTATOR])
def test_only_managers_add_articles(client_for: Any, project: Any, role: str) -> None:
    user = MembershipFactory(project=project, role=role).user
    response = client_for(user).post(
        f"/api/projects/{project.slug}/articles/", {"text": "A text."}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == f"Only managers of “{project}” can add articles."


@pytest.mark.django_db
def test_adding_to_another_project_is_404(client_for: Any, outsider: Any, project: Any) -> None:
    response = client_for(outsider).post(
        f"/api/projects/{project.slug}/articles/", {"text": "A text."}, format="json"
    )
    assert response.status_code == 404


# --- Uploads -------------------------------------------------------------------------


def _upload(client: APIClient, project: Any, name: str, data: bytes, **fields: Any) -> Any:
    return client.post(
        f"/api/projects/{project.slug}/articles/upload/",
        {"file": SimpleUploadedFile(name, data), **fields},
        format="multipart",
    )


@pytest.mark.django_db
def test_upload_a_text_file(client_for: Any, manager: Any, project: Any) -> None:
    text = "Turkey in Central Asia\n\nby Vladimir Danilov\n\nTurkey’s influence grows.\n"
    response = _upload(client_for(manager), project, "danilov.txt", text.encode())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["file"] == "danilov.txt"
    assert [a["title"] for a in body["created"]] == ["Turkey in Central Asia"]
    assert body["skipped"] == []
    article = Article.objects.get()
    assert article.source_file == "danilov.txt"
    assert article.metadata["import"]["format"] == "txt"


@pytest.mark.django_db
def test_upload_jsonl_then_again_skips_everything(
    client_for: Any, manager: Any, project: Any
) -> None:
    lines = [
        {"text": "First article text.", "title": "One"},
        {"text": "Second one.", "language": "ru"},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    client = client_for(manager)
    first = _upload(client, project, "feed.jsonl", data)
    assert first.status_code == 201
    assert len(first.json()["created"]) == 2
    again = _upload(client, project, "feed.jsonl", data)
    assert again.status_code == 200
    assert again.json()["created"] == [] and len(again.json()["skipped"]) == 2
    assert Article.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.pdf", b"%PDF", "cannot import “.pdf” files"),
        ("empty.txt", b"  \n", "the file is empty"),
        ("latin1.txt", "Akıncı".encode("cp1254"), "not UTF-8"),
        ("feed.jsonl", b'{"text": "ok"}\n{"title": "no text"}\n', "line 2"),
        ("feed.jsonl", b'{"text": "ok"}\nnot json\n', "line 2"),
    ],
)
def test_upload_errors_are_the_import_commands(
    client_for: Any, manager: Any, project: Any, name: str, data: bytes, message: str
) -> None:
    response = _upload(client_for(manager), project, name, data)
    assert response.status_code == 400
    assert message in response.json()["errors"]["file"][0]
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_upload_without_a_file_is_400(client_for: Any, manager: Any, project: Any) -> None:
    response = client_for(manager).post(
        f"/api/projects/{project.slug}/articles/upload/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["No file was submitted."]


@pytest.mark.django_db
def test_upload_over_the_limit_is_refused(
    client_for: Any, manager: Any, project: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = _upload(client_for(manager), project, "big.txt", b"word " * 100)
    assert response.status_code == 400
    assert "the limit is 100" in response.json()["errors"]["file"][0]


@pytest.mark.django_db
def test_upload_is_for_managers(client_for: Any, annotator: Any, project: Any) -> None:
    response = _upload(client_for(annotator), project, "a.txt", b"A text.")
    assert response.status_code == 403
