"""Text the database can't store (NUL, a lone surrogate) and invisible control characters
in one-line values: every write path answers 4xx and writes nothing, every filter answers
400 — on SQLite, which would store them, and on PostgreSQL, which would fail with a 500.

One check does it (``common.text``): the API's fields, the services behind the pages,
the admin, the commands and the imports, and the middleware in front of every filter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import models
from django.urls import reverse

from annotate.claims import services as claim_services
from annotate.claims.bulk import claims_create_many
from annotate.claims.values import ClaimFields, claim_changes, claim_fields
from annotate.models import (
    Claim,
    ClaimStance,
    Decision,
    History,
    Source,
    SourceAlias,
    Target,
)
from annotate.review import gold as gold_services
from annotate.sources import services as source_services
from common.text import (
    check_json_text,
    check_text,
    json_text_plainly_fine,
    json_text_problem,
    text_problem,
)
from corpus import importers
from corpus import services as corpus_services
from corpus.models import Article, Project
from tests.security.conftest import LABELS, World, api_client, page_client

NUL, SURROGATE, CONTROL = "\x00", "\ud800", "\x01"
# What no stored value may hold; a control character is refused in one-line values only.
UNSTORABLE = [NUL, SURROGATE]
TABLES: list[type[models.Model]] = [
    Project,
    Article,
    Source,
    SourceAlias,
    Target,
    Claim,
    ClaimStance,
    Decision,
    History,
]


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``)."""
    return shared_world


def counts() -> dict[str, int]:
    return {model.__name__: model._base_manager.count() for model in TABLES}


@contextmanager
def writes_nothing() -> Iterator[None]:
    before = counts()
    yield
    assert counts() == before


def post_json(client: Any, url: str, body: Any, method: str = "POST") -> Any:
    """The body as JSON text, as a client escapes it (``\\ud800``): the test client's own
    encoder can't encode a lone surrogate."""
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def assert_refused(response: Any, *words: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    text = response.content.decode()
    for word in words:
        assert word in text, (word, text[:500])


# --- the check itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "multiline", "words"),
    [
        ("a\x00b", True, "NUL character (U+0000, at character 2)"),
        ("ab\ud800", True, "lone surrogate, U+D800, at character 3"),
        ("\udfff", False, "lone surrogate, U+DFFF"),
        ("a\x01b", False, "invisible control character (U+0001"),
        ("a\x7f", False, "U+007F"),
        ("a\x0cb", False, "U+000C"),
    ],
)
def test_text_problem_names_the_character_and_where(
    value: str, multiline: bool, words: str
) -> None:
    problem = text_problem(value, multiline=multiline)
    assert problem is not None and words in problem


@pytest.mark.parametrize(
    "value", ["", "Akıncı said “yes” 😀", "tab\tnew\nline\r", "\u2028", "\x85", "\ufeff"]
)
def test_ordinary_text_passes_both_checks(value: str) -> None:
    assert text_problem(value) is None
    assert text_problem(value, multiline=True) is None


def test_long_text_keeps_control_characters_a_line_refuses() -> None:
    page_break = "page one\x0cpage two"
    assert text_problem(page_break, multiline=True) is None
    assert text_problem(page_break) is not None


def test_check_text_raises_keyed_by_field_and_json_is_walked_keys_and_all() -> None:
    with pytest.raises(ValidationError) as error:
        check_text("x\x00", field="note")
    assert list(error.value.message_dict) == ["note"]
    with pytest.raises(ValidationError, match=r"metadata\.a\[1\]\.b"):
        check_json_text({"a": [1, {"b": "\ud800"}]}, field="metadata")
    with pytest.raises(ValidationError, match="a key of metadata.a"):
        check_json_text({"a": {"k\x00": 1}}, field="metadata")
    assert check_json_text({"a": ["ok", 1, None, {"b": "c"}]}, field="metadata")


def test_the_json_of_a_value_tells_it_fine_only_when_the_walk_finds_nothing() -> None:
    """``json_text_plainly_fine`` (issue 21: an import's metadata skips the walk when its
    JSON says every string is fine) never passes a value the walk refuses, in a key or a
    value, at any depth; and it does pass plain metadata, non-ASCII too."""
    every = [chr(c) for c in range(0x20)] + ["\x7f", "\ud800", "\udfff", '"', "\\", "\u2028"]
    for ch in every:
        for value in ({"k": f"a{ch}b"}, {f"k{ch}": 1}, {"a": [1, {"b": ch}]}, [ch], ch):
            dumped = json.dumps(value, ensure_ascii=False)
            if json_text_problem(value, "metadata") is not None:
                assert not json_text_plainly_fine(dumped), repr(value)
    fine = {"import": {"format": "jsonl", "line": 3}, "rubric": "Политика", "flag": "🇹🇷"}
    assert json_text_plainly_fine(json.dumps(fine, ensure_ascii=False))
    with pytest.raises(ValidationError, match=r"metadata\.a\.k"):
        corpus_services.check_article_fields({"metadata": {"a": {"k": "x\x00"}}})
    with pytest.raises(ValidationError, match="a key of metadata"):
        corpus_services.check_article_fields({"metadata": {"k\x01": 1}})


# --- the API --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("junk", [*UNSTORABLE, CONTROL])
def test_api_writes_refuse_it_and_write_nothing(world: World, junk: str) -> None:
    manager = api_client(world.users["manager"])
    slug, claim, source = world.project.slug, world.claim, world.source
    one_line = [
        (f"/api/projects/{slug}/sources/", {"name": f"A{junk}B"}),
        (f"/api/projects/{slug}/sources/", {"name": "Fine", "aliases": [f"x{junk}"]}),
        (f"/api/projects/{slug}/sources/", {"name": "Fine", "description": junk}),
        (f"/api/projects/{slug}/sources/", {"name": "Fine", "external_id": junk}),
        (f"/api/projects/{slug}/targets/", {"name": f"T{junk}"}),
        (f"/api/projects/{slug}/articles/", {"text": "Fine text.", "title": junk}),
        (f"/api/projects/{slug}/articles/", {"text": "Fine text.", "byline": junk}),
        (f"/api/projects/{slug}/articles/", {"text": "Fine text.", "outlet": junk}),
        (f"/api/projects/{slug}/articles/", {"text": "Fine text.", "metadata": {junk: 1}}),
    ]
    long_text = [
        (f"/api/projects/{slug}/articles/", {"text": f"Fine {junk} text."}),
        (
            f"/api/projects/{slug}/articles/",
            {"text": "Fine text.", "metadata": {"a": [{"b": f"x{junk}"}]}},
        ),
    ]
    with writes_nothing():
        for url, body in one_line + (long_text if junk != CONTROL else []):
            assert_refused(post_json(manager, url, body), "It holds")
        body = {"version": source.version, "name": f"N{junk}"}
        assert_refused(post_json(manager, f"/api/sources/{source.pk}/", body, "PATCH"))
        own = api_client(world.a)
        if junk != CONTROL:  # a note is long text
            new = {"start": claim.start, "end": claim.end, "quote": claim.quote, **LABELS}
            url = f"/api/articles/{world.article.pk}/claims/"
            assert_refused(post_json(own, url, {**new, "note": f"n{junk}"}), "It holds")
            body = {"version": claim.version, "note": junk}
            assert_refused(post_json(own, f"/api/claims/{claim.pk}/", body, "PATCH"), "It holds")
    assert Claim.objects.get(pk=claim.pk).note == claim.note


@pytest.mark.django_db
@pytest.mark.parametrize(
    "record",
    [
        {"text": "Fine \ud800 text."},
        {"text": "Fine text.", "title": "T\ud800"},
        {"text": "Fine text.", "byline": "B\x00"},
        {"text": "Fine text.", "outlet": "O\ud800"},
        {"text": "Fine text.", "metadata": {"deep": [{"x": "\x00"}]}},
        {"text": "Fine text.", "metadata": {"k\ud800": 1}},
        {"text": "Fine text.", "extra\x00key": "a key that goes into the metadata"},
    ],
)
def test_an_upload_with_it_anywhere_is_refused_whole(world: World, record: dict[str, Any]) -> None:
    lines = [json.dumps({"text": "A good article first."}), json.dumps(record)]
    data = "\n".join(lines).encode()
    with writes_nothing():
        result = importers.import_file(project=world.project, name="a.jsonl", data=data)
        assert result.failed and "line 2" in result.error and "It holds" in result.error
        response = api_client(world.users["manager"]).post(
            reverse("api:article-upload", args=[world.project.slug]),
            {"file": SimpleUploadedFile("a.jsonl", data)},
            format="multipart",
        )
        assert_refused(response, "line 2")


@pytest.mark.django_db
def test_the_import_articles_command_refuses_it(world: World, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": "Fine text.", "title": "T\ud800"}) + "\n")
    with writes_nothing(), pytest.raises(CommandError):
        call_command("import_articles", str(path), "--project", world.project.slug)


# --- the pages --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("junk", [NUL, CONTROL])
def test_the_workspace_forms_refuse_it(world: World, junk: str) -> None:
    """(A form can't carry a lone surrogate: Django decodes a broken one as U+FFFD.)"""
    client = page_client(world.a)
    article, claim = world.article, world.claim
    form = {"start": claim.start, "end": claim.end, "quote": claim.quote, **LABELS}
    form |= {"source": world.source.pk, f"stance-{world.target.pk}": "favor"}
    hx: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}
    with writes_nothing():
        if junk == NUL:  # a note is long text: a control character is its to keep
            url = reverse("annotate:claim-create", args=[article.pk])
            assert_refused(client.post(url, {**form, "note": f"a{junk}b"}, **hx), "NUL")
            url = reverse("annotate:claim-update", args=[claim.pk])
            body = {**form, "version": claim.version, "note": junk}
            assert_refused(client.post(url, body, **hx), "NUL")
        url = reverse("annotate:workspace-source-create", args=[article.pk])
        assert_refused(client.post(url, {"name": f"Ahmet{junk}"}, **hx), "It holds")
        url = reverse("annotate:workspace-target-create", args=[article.pk])
        assert_refused(client.post(url, {"target_name": f"T{junk}"}, **hx), "It holds")
    assert Claim.objects.get(pk=claim.pk).note == claim.note


@pytest.mark.django_db
def test_a_rationale_with_it_undoes_the_gold_claim_too(world: World) -> None:
    a, b = world.claim, world.other_claim
    form = {
        "unit": 0,
        "claims": [a.pk, b.pk],
        f"version-{a.pk}": a.version,
        f"version-{b.pk}": b.version,
        "claim": a.pk,
        "rationale": "because\x00",
    }
    with writes_nothing():
        response = page_client(world.users["curator"]).post(
            reverse("annotate:review-accept", args=[world.article.pk]),
            form,
            HTTP_HX_REQUEST="true",
        )
        assert_refused(response, "NUL")


# --- the services: the last line, whoever calls them ---------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("junk", UNSTORABLE)
def test_every_service_refuses_it(world: World, junk: str) -> None:
    article, claim, source = world.article, world.claim, world.source
    writes = [
        lambda: source_services.source_create(project=world.project, name=f"S{junk}"),
        lambda: source_services.source_create(
            project=world.project, name="S", aliases=[junk + "a"]
        ),
        lambda: source_services.source_update(source=source, description=junk),
        lambda: source_services.source_aliases_add(source=source, aliases=[f"a{junk}"]),
        lambda: source_services.target_create(project=world.project, name=f"T{junk}"),
        lambda: claim_services.claim_create(
            article=article,
            annotator=world.users["annotator_unassigned"],
            fields=claim_fields({"start": claim.start, "end": claim.end, "note": junk, **LABELS}),
        ),
        lambda: claim_services.claim_update(
            claim=claim, actor=world.a, version=None, changes=claim_changes({"note": junk})
        ),
        lambda: claims_create_many(
            article_claims=[(article, ClaimFields(claim.start, claim.end, note=junk))],
            annotator=world.users["annotator_unassigned"],
        ),
        lambda: gold_services.gold_reject(
            curator=world.users["curator"], claims=[claim], versions={}, rationale=junk
        ),
        lambda: corpus_services.article_create(project=world.project, text=f"New {junk} text."),
        lambda: corpus_services.article_create(project=world.project, text="New.", title=junk),
        lambda: corpus_services.article_create(
            project=world.project, text="New.", metadata={"a": {"b": [junk]}}
        ),
        lambda: corpus_services.article_update(article=article, byline=junk),
        lambda: corpus_services.article_update(article=article, metadata={junk: "x"}),
        lambda: corpus_services.project_create(name=f"P{junk}"),
        lambda: corpus_services.project_create(name="P", guidelines=junk),
    ]
    with writes_nothing():
        for write in writes:
            with pytest.raises(ValidationError, match="It holds"):
                write()


# --- the registry's file import -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("s.csv", "name,kind,description,aliases,external_id\nAhmet\x00,person,,,\n"),
        ("s.csv", "name,kind,description,aliases,external_id\nAhmet,person,,A\x00|B,\n"),
        ("s.csv", "name,kind,description,aliases,external_id\nAhmet,person,x\x01y,,\n"),
        ("s.jsonl", '{"name": "Ahmet\\u0000", "kind": "person"}\n'),
        ("s.jsonl", '{"name": "Ahmet\\ud800", "kind": "person"}\n'),
        ("s.jsonl", '{"name": "Ahmet", "kind": "person", "aliases": ["\\ud800x"]}\n'),
        ("s.jsonl", '{"name": "Ahmet", "kind": "person", "description": "\\u0000"}\n'),
        ("s.jsonl", '{"name": "Ahmet", "kind": "person", "external_id": "Q\\ud800"}\n'),
    ],
)
def test_import_sources_refuses_it_with_the_line(
    world: World, tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with writes_nothing(), pytest.raises(CommandError, match="line 2|line 1") as error:
        call_command("import_sources", str(path), "--project", world.project.slug)
    assert "It holds" in str(error.value)


# --- filters: a 400 before any query ----------------------------------------------------------


def _filters(world: World) -> list[str]:
    slug, article = world.project.slug, world.article
    return [
        reverse("corpus:article-list", args=[slug]) + "?q={}",
        reverse("corpus:article-list", args=[slug]) + "?outlet={}",
        reverse("annotate:analysis-overview", args=[slug]) + "?outlet={}",
        reverse("annotate:claim-search", args=[slug]) + "?q={}",
        reverse("annotate:assignments", args=[slug]) + "?q={}",
        reverse("annotate:source-list", args=[slug]) + "?q={}",
        reverse("annotate:review-queue", args=[slug]) + "?q={}",
        reverse("annotate:queue") + "?q={}",
        reverse("annotate:workspace-source-search", args=[article.pk]) + "?q={}",
        reverse("corpus:project-list") + "?{}=1",
        "/admin/corpus/article/?q={}",
        "/admin/annotate/source/?q={}",
    ]


def _api_filters(world: World) -> list[str]:
    slug = world.project.slug
    return [
        f"/api/projects/{slug}/articles/?q={{}}",
        f"/api/projects/{slug}/articles/?outlet={{}}",
        f"/api/projects/{slug}/sources/?q={{}}",
        f"/api/projects/{slug}/assignments/?status={{}}",
        f"/api/articles/{world.article.pk}/claims/?annotator={{}}",
        "/api/projects/?{}=1",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("junk", ["%00", "a%00b", "%01"])
def test_a_filter_with_it_is_a_400_on_every_list(world: World, junk: str, settings: Any) -> None:
    manager = world.users["manager"]
    manager.is_staff = manager.is_superuser = True
    manager.save()
    pages = page_client(manager)
    for url in _filters(world):
        response = pages.get(url.format(junk))
        assert response.status_code == 400, (url, response.status_code)
        assert "The query parameter" in response.content.decode()
    api = api_client(manager)
    for url in _api_filters(world):
        answer: Any = api.get(url.format(junk))
        assert answer.status_code == 400, (url, answer.status_code)
        body = answer.json()
        assert body["code"] == "invalid" and "It holds" in body["detail"] and body["errors"]


@pytest.mark.django_db
def test_ordinary_filters_still_work(world: World) -> None:
    pages = page_client(world.users["manager"])
    for url in _filters(world)[:8]:
        assert pages.get(url.format("Turkey%20%C3%A7%0A")).status_code == 200, url


@pytest.mark.django_db
def test_someone_not_logged_in_is_still_sent_to_log_in(world: World) -> None:
    url = reverse("corpus:article-list", args=[world.project.slug]) + "?q=%00"
    response = page_client(None).get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
