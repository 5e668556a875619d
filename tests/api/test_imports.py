"""``POST /api/projects/{slug}/import/``: who may import what, the report, bad files and
rejected items (400, nothing written), dry runs, re-imports, the JSON body, the limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotate.models import Assignment, Claim, Suggestion
from tests.annotate.exchange.importing_world import LABELS, ImportWorld, build_world

URL = "/api/projects/turk/import/"
Clients = Callable[[Any], APIClient]


@pytest.fixture
def world(db: Any) -> ImportWorld:
    return build_world()


def upload(client: APIClient, data: bytes, name: str = "model.jsonl", **fields: Any) -> Any:
    body = {"file": SimpleUploadedFile(name, data), **fields}
    return client.post(URL, body, format="multipart")


def nothing_stored() -> bool:
    return not Claim.objects.filter(annotator__username="boris").exists() and not (
        Suggestion.objects.exists()
    )


def test_a_manager_imports_an_annotators_claims(world: ImportWorld, client_for: Clients) -> None:
    data = world.jsonl((0, [world.full_claim()]))
    response = upload(client_for(world.manager), data, annotator="boris")
    assert response.status_code == 201, response.json()
    report = response.json()
    assert report == {
        "file": "model.jsonl",
        "format": "jsonl",
        "target": "claims",
        "annotator": "boris",
        "suggester": None,
        "dry_run": False,
        "partial": False,
        "written": True,
        "created": 1,
        "skipped": 0,
        "assigned": 0,
        "articles_created": 0,
        "sources_created": 0,
        "rejected": [],
        "warnings": [],
    }
    claim = Claim.objects.get(annotator=world.other)
    assert claim.quote == "Turkey’s influence in Central Asia is growing 😀 fast."
    assert claim.source == world.sources["orekhova"] and claim.stances.count() == 2
    # Again: already there, 200 and nothing new.
    again = upload(client_for(world.manager), data, annotator="boris")
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["skipped"]) == (0, 1)
    assert Claim.objects.filter(annotator=world.other).count() == 1


def test_a_curator_imports_suggestions(world: ImportWorld, client_for: Clients) -> None:
    data = world.jsonl((0, [world.full_claim()]))
    response = upload(client_for(world.curator), data, as_suggestions="true")
    assert response.status_code == 201, response.json()
    assert response.json()["suggester"] == "import:model.jsonl"
    assert response.json()["target"] == "suggestions"
    made = Suggestion.objects.get()
    assert made.labels["claim_type"] == "evaluative" and made.score == 0.87
    again = upload(client_for(world.curator), data, as_suggestions="true")
    assert (again.status_code, again.json()["skipped"]) == (200, 1)


def test_a_curator_may_not_import_claims_in_an_annotators_name(
    world: ImportWorld, client_for: Clients
) -> None:
    data = world.jsonl((0, [world.full_claim()]))
    response = upload(client_for(world.curator), data, annotator="boris")
    assert response.status_code == 403
    assert "Only managers can import claims" in response.json()["detail"]
    assert nothing_stored()


@pytest.mark.parametrize(("who", "status"), [("annotator", 403), ("outsider", 404)])
def test_annotators_and_outsiders_are_refused(
    world: ImportWorld, client_for: Clients, who: str, status: int
) -> None:
    data = world.jsonl((0, [world.full_claim()]))
    response = upload(client_for(getattr(world, who)), data, as_suggestions="true")
    assert response.status_code == status
    assert nothing_stored()


def test_anonymous_requests_get_401(world: ImportWorld, anon: APIClient) -> None:
    response = upload(anon, world.jsonl((0, [world.full_claim()])), as_suggestions="true")
    assert response.status_code == 401
    assert nothing_stored()


def test_rejected_items_answer_400_with_the_report_and_write_nothing(
    world: ImportWorld, client_for: Clients
) -> None:
    bad = {**world.full_claim(), "end": 10_000}
    data = world.jsonl((0, [world.full_claim(), bad]))
    response = upload(client_for(world.manager), data, annotator="boris")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("1 item was rejected, so nothing was written")
    assert body["errors"]["file"] == [
        "line 1, claim 2: end: end 10000 is past the end of the text (91 characters)"
    ]
    assert body["report"]["rejected"] == [
        {
            "where": "line 1, claim 2",
            "reasons": ["end: end 10000 is past the end of the text (91 characters)"],
        }
    ]
    assert body["report"]["written"] is False
    assert nothing_stored()


def test_partial_keeps_the_good_items(world: ImportWorld, client_for: Clients) -> None:
    bad = world.claim(0, "Akıncı disagreed", claim_type="gossip")
    data = world.jsonl((0, [world.full_claim(), bad]))
    response = upload(client_for(world.manager), data, as_suggestions="true", partial="true")
    assert response.status_code == 201
    assert response.json()["created"] == 1 and len(response.json()["rejected"]) == 1
    assert Suggestion.objects.count() == 1


def test_a_dry_run_reports_and_writes_nothing(world: ImportWorld, client_for: Clients) -> None:
    bad = world.claim(
        0,
        "Akıncı disagreed",
        source="Akıncı",
        stances=[{"target": "the CSTO", "stance": "none"}],
        **{**LABELS, "claim_type": "gossip"},
    )
    data = world.jsonl((0, [world.full_claim(), bad]))
    before = Assignment.objects.count()
    response = upload(client_for(world.manager), data, annotator="mira", dry_run="true")
    assert response.status_code == 200
    report = response.json()
    assert (report["dry_run"], report["written"], report["created"]) == (True, False, 1)
    assert "“gossip” is not a value" in report["rejected"][0]["reasons"][0]
    assert not Claim.objects.filter(annotator=world.manager).exists()
    assert Assignment.objects.count() == before  # not even the assignment


@pytest.mark.parametrize(
    ("data", "fields", "field", "message"),
    [
        ("Akıncı".encode("cp1254"), {"as_suggestions": "true"}, "file", "not UTF-8"),
        (b"plain words", {"as_suggestions": "true", "format": "auto"}, "file", "Can't tell"),
        (b"{}", {"as_suggestions": "true"}, "file", "Can't tell the format of “model.txt”"),
        (b"{}", {}, "annotator", "Give an annotator's username, or as_suggestions"),
        (b"{}", {"annotator": "boris", "as_suggestions": "true"}, "annotator", "not both"),
        (b"{}", {"annotator": "nobody"}, "annotator", "“nobody” is not a member"),
        (b"{}", {"annotator": "olaf"}, "annotator", "not a member"),
        (b"{}", {"annotator": "boris", "suggester": "x"}, "suggester", "Only with"),
        (b"{}", {"as_suggestions": "true", "suggester": "rules/1"}, "suggester", "built-in"),
        (b"{}", {"as_suggestions": "true", "format": "csv"}, "format", "not a valid choice"),
        (b"{}", {"as_suggestions": "true", "sorce": "x"}, "non_field_errors", "unknown field"),
        (b"42", {"as_suggestions": "true", "format": "w3c"}, "file", "neither annotations"),
    ],
)
def test_bad_requests_answer_400_with_a_readable_message(
    world: ImportWorld,
    client_for: Clients,
    data: bytes,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    response = upload(client_for(world.manager), data, name="model.txt", **fields)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert any(message in m for m in body["errors"][field]), body
    assert nothing_stored()


def test_a_missing_file_is_a_400(world: ImportWorld, client_for: Clients) -> None:
    response = client_for(world.manager).post(URL, {"as_suggestions": "true"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["errors"]


def test_a_file_over_the_limit_is_refused(
    world: ImportWorld, client_for: Clients, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1_000
    data = world.jsonl(*[(0, [world.full_claim()])] * 10)
    response = upload(client_for(world.manager), data, as_suggestions="true")
    assert response.status_code == 400
    [message] = response.json()["errors"]["file"]
    assert f"The file has {len(data):,} bytes; the limit here is 1,000" in message
    assert nothing_stored()


def test_a_json_body_over_the_limit_is_a_400(
    world: ImportWorld, client_for: Clients, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = {"content": world.jsonl(*[(0, [world.full_claim()])] * 10).decode()}
    response = client_for(world.manager).post(URL, {**body, "as_suggestions": True}, format="json")
    assert response.status_code == 400
    assert nothing_stored()


def test_a_json_body_with_the_text_imports_too(world: ImportWorld, client_for: Clients) -> None:
    w3c = {
        "type": "Annotation",
        "body": [{"type": "TextualBody", "purpose": "identifying", "value": "Şener"}],
        "target": {
            "source": world.articles[1].url or "",
            "selector": [{"type": "TextPositionSelector", "start": 0, "end": 11}],
        },
    }
    from annotate.exchange.w3c import text_iri

    w3c["target"]["source"] = text_iri(world.articles[1].sha256)  # type: ignore[index]
    body = {
        "content": json.dumps(w3c, ensure_ascii=False),
        "filename": "şener.jsonld",
        "as_suggestions": True,
        "suggester": "ner/1",
    }
    response = client_for(world.curator).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["format"], response.json()["suggester"]) == ("w3c", "ner/1")
    made = Suggestion.objects.get()
    assert (made.quote, made.source) == ("İhsan Şener", world.sources["sener"])


@pytest.mark.parametrize("field", ["content", "annotator", "suggester"])
def test_broken_characters_in_a_json_body_are_a_400(
    world: ImportWorld, client_for: Clients, field: str
) -> None:
    body: dict[str, Any] = {"content": "{}", "as_suggestions": True, field: "x\ud800"}
    if field == "annotator":
        body["as_suggestions"] = False
    raw = json.dumps(body)  # escapes the lone surrogate as \ud800
    response = client_for(world.manager).post(URL, raw, content_type="application/json")
    assert response.status_code == 400
    assert "lone surrogate" in json.dumps(response.json())


def test_an_unknown_project_is_a_404(world: ImportWorld, client_for: Clients) -> None:
    response = client_for(world.manager).post(
        "/api/projects/nope/import/", {"as_suggestions": "true"}, format="multipart"
    )
    assert response.status_code == 404


def test_other_methods_answer_405(world: ImportWorld, client_for: Clients) -> None:
    client = client_for(world.manager)
    for method in ("get", "put", "patch", "delete"):
        assert getattr(client, method)(URL).status_code == 405, method


def test_the_schema_documents_the_operation(anon: APIClient, db: Any) -> None:
    import yaml

    schema = yaml.safe_load(anon.get("/api/schema/").content)
    operation = schema["paths"]["/api/projects/{slug}/import/"]["post"]
    assert set(operation["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert {"200", "201", "400", "401", "403", "404"} <= set(operation["responses"])
    refused = operation["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert refused.endswith("/ImportRefused")
    report = schema["components"]["schemas"]["ImportReport"]
    assert {"created", "skipped", "rejected", "written", "dry_run"} <= set(report["required"])
