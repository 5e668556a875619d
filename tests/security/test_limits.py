"""Huge inputs meet a clear limit, never a 500: article size, upload size, request body
size, number of stances in one claim, and the bounds of ``common.limits`` (a note, a
source's aliases, names, descriptions, titles, metadata) with their messages."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotate.claims import services as claim_services
from annotate.claims.bulk import claims_create_many
from annotate.claims.values import ClaimFields as BulkClaim
from annotate.claims.values import claim_changes
from annotate.models import Claim, Decision, History, Source, SourceAlias, Target
from annotate.review import gold as gold_services
from annotate.sources import services as source_services
from common import limits
from corpus import importers
from corpus import services as corpus_services
from corpus.models import Article
from tests.security.conftest import LABELS, World, api_client, page_client


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``)."""
    return shared_world


@pytest.mark.django_db
def test_an_article_over_the_limit_is_refused_by_the_api(world: World, settings: Any) -> None:
    settings.CLAIMDESK_MAX_ARTICLE_CHARS = 1000
    before = Article.objects.count()
    response = api_client(world.users["manager"]).post(
        reverse("api:article-list", args=[world.project.slug]),
        {"text": "word " * 400},
        format="json",
    )
    assert response.status_code == 400
    assert "1,000" in json.dumps(response.json()) or "1000" in json.dumps(response.json())
    assert Article.objects.count() == before


@pytest.mark.django_db
def test_an_article_over_the_limit_is_refused_by_the_import(world: World, settings: Any) -> None:
    settings.CLAIMDESK_MAX_ARTICLE_CHARS = 1000
    before = Article.objects.count()
    lines = [json.dumps({"text": "short one."}), json.dumps({"text": "word " * 400})]
    result = importers.import_file(
        project=world.project, name="big.jsonl", data="\n".join(lines).encode()
    )
    assert result.failed
    assert "line 2" in result.error
    assert Article.objects.count() == before
    upload = SimpleUploadedFile("big.jsonl", "\n".join(lines).encode())
    response = api_client(world.users["manager"]).post(
        reverse("api:article-upload", args=[world.project.slug]),
        {"file": upload},
        format="multipart",
    )
    assert response.status_code == 400
    assert "line 2" in response.json()["detail"] or "line 2" in json.dumps(response.json())


@pytest.mark.django_db
def test_a_request_body_over_the_limit_is_a_400_not_a_500(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = api_client(world.users["manager"]).post(
        reverse("api:article-list", args=[world.project.slug]),
        {"text": "word " * 5000},
        format="json",
    )
    assert response.status_code in (400, 413), response.status_code


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000
    upload = SimpleUploadedFile("big.txt", b"word " * 5000)
    response = api_client(world.users["manager"]).post(
        reverse("api:article-upload", args=[world.project.slug]),
        {"file": upload},
        format="multipart",
    )
    assert response.status_code in (400, 413), response.status_code
    assert response.status_code < 500


@pytest.mark.django_db
def test_a_claim_with_a_huge_number_of_stances_is_refused(world: World) -> None:
    claim = world.claim
    stances = [{"target": world.target.pk + i, "stance": "favor"} for i in range(5000)]
    response = api_client(world.a).post(
        reverse("api:claim-list", args=[world.article.pk]),
        {
            "start": claim.start,
            "end": claim.end,
            "quote": claim.quote,
            "source": world.source.pk,
            "stances": stances,
            **LABELS,
        },
        format="json",
    )
    assert response.status_code == 400, response.status_code


# --- The bounds of common.limits: one place, one message, every path ---------------------

FIVE_MB_NOTE = "n" * 5_000_000


def _counts() -> dict[str, int]:
    return {
        model.__name__: model._base_manager.count()
        for model in (Article, Claim, History, Source, SourceAlias, Target, Decision)
    }


@pytest.mark.django_db
def test_a_5_mb_note_is_refused_by_the_api_and_nothing_is_written(world: World) -> None:
    claim = world.claim
    client = api_client(world.a)
    before = _counts()
    response = client.post(
        reverse("api:claim-list", args=[world.article.pk]),
        {"start": claim.start, "end": claim.end, "quote": claim.quote, "note": FIVE_MB_NOTE},
        format="json",
    )
    assert response.status_code == 400
    assert "10000" in json.dumps(response.json()["errors"]["note"])
    response = client.patch(
        reverse("api:claim-detail", args=[claim.pk]),
        {"version": claim.version, "note": FIVE_MB_NOTE},
        format="json",
    )
    assert response.status_code == 400
    assert _counts() == before
    assert Claim.objects.get(pk=claim.pk).note == claim.note


@pytest.mark.django_db
def test_a_5_mb_note_is_refused_by_the_workspace_form(world: World) -> None:
    claim = world.claim
    form = {"start": claim.start, "end": claim.end, "quote": claim.quote, **LABELS}
    form |= {"source": world.source.pk, f"stance-{world.target.pk}": "favor"}
    client = page_client(world.a)
    before = _counts()
    response = client.post(
        reverse("annotate:claim-create", args=[world.article.pk]),
        {**form, "note": FIVE_MB_NOTE},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    form_html = response.content.decode()
    assert limits.NOTE.message(len(FIVE_MB_NOTE)) in html.unescape(form_html)
    assert _counts() == before
    # The form says the bound before anyone types past it.
    assert f'name="note" rows="2" maxlength="{limits.NOTE.size}"' in form_html


@pytest.mark.django_db
def test_the_services_hold_the_note_and_rationale_bounds(world: World) -> None:
    claim = world.claim
    before = _counts()
    with pytest.raises(ValidationError) as error:
        claim_services.claim_update(
            claim=claim, actor=world.a, version=None, changes=claim_changes({"note": FIVE_MB_NOTE})
        )
    assert error.value.message_dict["note"] == [limits.NOTE.message(5_000_000)]
    with pytest.raises(ValidationError, match="at most 10,000"):
        claims_create_many(
            article_claims=[(world.article, BulkClaim(claim.start, claim.end, note="x" * 10_001))],
            annotator=world.users["annotator_unassigned"],
        )
    with pytest.raises(ValidationError, match="rationale can have at most"):
        gold_services.gold_reject(
            curator=world.users["curator"], claims=[claim], versions={}, rationale="r" * 10_001
        )
    assert _counts() == before
    claim_services.claim_update(
        claim=claim,
        actor=world.a,
        version=None,
        changes=claim_changes({"note": "n" * limits.NOTE.size}),
    )


@pytest.mark.django_db
def test_5000_aliases_are_refused_by_the_api(world: World) -> None:
    client = api_client(world.users["manager"])
    aliases = [f"Alias {i}" for i in range(5000)]
    before = _counts()
    response = client.post(
        reverse("api:source-list", args=[world.project.slug]),
        {"name": "Many Names", "aliases": aliases},
        format="json",
    )
    assert response.status_code == 400
    assert "aliases" in response.json()["errors"]
    source = world.source
    response = client.patch(
        reverse("api:source-detail", args=[source.pk]),
        {"version": source.version, "aliases": aliases},
        format="json",
    )
    assert response.status_code == 400
    assert _counts() == before


@pytest.mark.django_db
def test_the_services_hold_the_alias_bounds(world: World) -> None:
    project, source = world.project, world.source
    before = _counts()
    too_many = [f"Alias {i}" for i in range(limits.ALIASES.size + 1)]
    for write in (
        lambda: source_services.source_create(project=project, name="Many", aliases=too_many),
        lambda: source_services.source_update(source=source, aliases=too_many),
        lambda: source_services.source_aliases_add(source=source, aliases=too_many),
    ):
        with pytest.raises(ValidationError) as error:
            write()
        assert error.value.message_dict["aliases"] == [limits.ALIASES.message(len(too_many))]
    # Added one call at a time, the aliases still meet the bound.
    source_services.source_aliases_add(source=source, aliases=too_many[:-1])
    with pytest.raises(ValidationError, match="at most 500 aliases; this one has 501"):
        source_services.source_alias_add(source=source, alias="One more")
    with pytest.raises(ValidationError, match="an alias can have at most 300|An alias can"):
        source_services.source_create(project=project, name="Long", aliases=["a" * 301])
    assert SourceAlias.objects.filter(source=source).count() == limits.ALIASES.size
    assert _counts()["Source"] == before["Source"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("write", "field", "limit"),
    [
        (
            lambda w: source_services.source_create(project=w.project, name="x" * 301),
            "name",
            "SOURCE_NAME",
        ),
        (
            lambda w: source_services.source_create(
                project=w.project, name="D", description="d" * 501
            ),
            "description",
            "DESCRIPTION",
        ),
        (
            lambda w: source_services.source_update(source=w.source, external_id="q" * 101),
            "external_id",
            "EXTERNAL_ID",
        ),
        (
            lambda w: source_services.target_create(project=w.project, name="t" * 301),
            "name",
            "TARGET_NAME",
        ),
        (
            lambda w: corpus_services.article_create(project=w.project, text="T.", title="t" * 501),
            "title",
            "TITLE",
        ),
        (
            lambda w: corpus_services.article_create(
                project=w.project, text="T.", byline="b" * 301
            ),
            "byline",
            "BYLINE",
        ),
        (
            lambda w: corpus_services.article_update(article=w.article, outlet="o" * 201),
            "outlet",
            "OUTLET",
        ),
        (
            lambda w: corpus_services.article_create(
                project=w.project, text="T.", metadata={"big": "m" * 100_000}
            ),
            "metadata",
            "METADATA",
        ),
        (lambda w: corpus_services.project_create(name="p" * 201), "name", "PROJECT_NAME"),
    ],
)
def test_every_bound_is_refused_by_its_service_with_its_message(
    world: World, write: Any, field: str, limit: str
) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as error:
        write(world)
    bound: limits.Limit = getattr(limits, limit)
    message = error.value.message_dict[field][0]
    assert message.startswith(bound.message(0).split(";")[0]), message
    assert _counts() == before


@pytest.mark.django_db
def test_a_derived_title_is_cut_not_refused(world: World) -> None:
    first_line = "w" * 800
    result = corpus_services.article_create(project=world.project, text=first_line + "\nBody.")
    title = result.article.title
    assert len(title) <= limits.TITLE.size and title.endswith("…") and title.startswith("www")


@pytest.mark.django_db
def test_import_sources_refuses_too_many_aliases(world: World, tmp_path: Any) -> None:
    path = tmp_path / "s.jsonl"
    aliases = [f"Alias {i}" for i in range(5000)]
    path.write_text(json.dumps({"name": "Many", "kind": "person", "aliases": aliases}) + "\n")
    before = _counts()
    with pytest.raises(CommandError, match="at most 500 aliases; this one has 5,000"):
        call_command("import_sources", str(path), "--project", world.project.slug)
    assert _counts() == before
