"""Issue 17's “done when”, through the API alone: the browser campaign of
tests/browser/test_campaign_from_scratch.py as a script would run it, from an empty
database with one ordinary user who knows their password.

Token auth from the first request (the login token, then a named personal token made with
it), a project, a preset and a value more, three files uploaded (.html, .jsonl, .zip) after
a dry run, one page added by URL (the job polled), two invitations accepted by new people,
assignments by username, a claim from each annotator, the export.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotate.models import Assignment, Claim
from corpus.models import Article, Membership, Project
from tests.campaign_data import (
    CLAIMS,
    HTML,
    JSONL,
    PASSWORDS,
    WEB_BODY,
    WEB_TITLE,
    ZIPPED,
)
from tests.factories import PASSWORD, UserFactory
from tests.pages_server import Page, article_html, serve

pytestmark = pytest.mark.django_db

AUCTION = "Offshore wind auction draws record bids"


def _token_client(username: str, password: str) -> APIClient:
    """Log in for a token (POST /api/auth/token/) and send it from then on."""
    anon = APIClient()
    response = anon.post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def _files() -> list[SimpleUploadedFile]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("grid/novak.txt", ZIPPED)
    return [
        SimpleUploadedFile("auction.html", HTML.encode()),
        SimpleUploadedFile("feed.jsonl", (JSONL + "\n").encode()),
        SimpleUploadedFile("batch.zip", buffer.getvalue()),
    ]


def _job(api: APIClient, slug: str, job: str) -> dict[str, Any]:
    """Poll an import job until it is finished (the test's task backend runs it at once,
    a worker would take a while)."""
    for _ in range(50):
        status: dict[str, Any] = _ok(api.get(f"/api/projects/{slug}/articles/jobs/{job}/"))
        if status["state"] not in ("queued", "running"):
            return status
    raise AssertionError(f"the job {job} did not finish: {status}")


def test_a_campaign_through_the_api_alone(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CLAIMDESK_URL_FETCH_ALLOW_PRIVATE = True  # the page comes from 127.0.0.1
    settings.CLAIMDESK_URL_FETCH_TIMEOUT = 5
    UserFactory(username="maria", is_staff=False, is_superuser=False)
    assert get_user_model().objects.count() == 1

    # Tokens: the login token, then a named personal token made with it.
    login = _token_client("maria", PASSWORD)
    made = _ok(login.post("/api/tokens/", {"name": "campaign script"}, format="json"), 201)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {made['token']}")
    assert [t["name"] for t in _ok(api.get("/api/tokens/"))["results"]] == ["campaign script"]

    # A project, the check-worthiness preset, a value more.
    project = _ok(api.post("/api/projects/", {"name": "Wind farms 2026"}, format="json"), 201)
    slug = project["slug"]
    base = f"/api/projects/{slug}"
    _ok(api.put(f"{base}/scheme/", {"preset": "checkworthy"}, format="json"))
    scheme = _ok(api.get(f"{base}/scheme/"))["scheme"]
    scheme["fields"]["checkworthy"]["values"].append({"value": "maybe", "label": "Maybe"})
    _ok(api.put(f"{base}/scheme/", {"scheme": scheme}, format="json"))
    values = _ok(api.get(f"/api/projects/{slug}/"))["scheme"]["fields"]["checkworthy"]["values"]
    assert [v["value"] for v in values][-1] == "maybe"

    # Three files: a dry run, then the import.
    dry = _ok(
        api.post(
            f"{base}/articles/import/", {"files": _files(), "dry_run": "true"}, format="multipart"
        )
    )
    assert [a["title"] for f in dry["files"] for a in f["articles"]] == [
        AUCTION,
        "Rüzgâr santrali için yeni ihale",
        "Grid operator warns of bottlenecks",
    ]
    assert not Article.objects.exists()
    job = _ok(api.post(f"{base}/articles/import/", {"files": _files()}, format="multipart"), 202)
    done = _job(api, slug, job["job"])
    assert (done["state"], done["created"], done["failed"]) == ("done", 3, 0), done

    # One page by URL.
    with serve({"/news/jobs.html": Page(article_html(WEB_TITLE, WEB_BODY))}) as server:
        queued = api.post(
            f"{base}/articles/from-urls/", {"urls": [server.url("/news/jobs.html")]}, format="json"
        )
        fetched = _job(api, slug, _ok(queued, 202)["job"])
    assert (fetched["kind"], fetched["created"], fetched["failed"]) == ("urls", 1, 0), fetched
    articles = _ok(api.get(f"{base}/articles/"))["results"]
    assert len(articles) == 4 and WEB_TITLE in {a["title"] for a in articles}

    # Two invitations, accepted by new people with the token of their link.
    anon = APIClient()
    for name, password in PASSWORDS.items():
        invitation = _ok(
            api.post(
                f"{base}/invitations/",
                {"email": f"{name}@example.org", "role": "annotator"},
                format="json",
            ),
            201,
        )
        token = invitation["link"].rstrip("/").rsplit("/", 1)[1]
        joined = anon.post(
            "/api/invitations/accept/",
            {"token": token, "username": name, "password": password},
            format="json",
        )
        assert _ok(joined, 201) == {"project": slug, "username": name, "role": "annotator"}
    members = _ok(api.get(f"{base}/members/"))["results"]
    assert {(m["username"], m["role"]) for m in members} == {
        ("maria", "manager"),
        ("ana", "annotator"),
        ("ben", "annotator"),
    }
    assert _ok(api.get(f"{base}/invitations/"))["results"] == []

    # Every article to both annotators, by username.
    for article in articles:
        for name in PASSWORDS:
            _ok(
                api.post(
                    f"{base}/assignments/",
                    {"article": article["id"], "username": name},
                    format="json",
                ),
                201,
            )
    assert Assignment.objects.count() == 8

    # Each annotator logs in for a token and makes one claim on the auction article.
    for name, (phrase, value) in CLAIMS.items():
        annotator = _token_client(name, PASSWORDS[name])
        mine = _ok(annotator.get(f"{base}/articles/"))["results"]
        assert len(mine) == 4
        auction = next(a for a in mine if a["title"] == AUCTION)
        text = _ok(annotator.get(f"/api/articles/{auction['id']}/"))["text"]
        start = text.index(phrase)
        _ok(
            annotator.post(
                f"/api/articles/{auction['id']}/claims/",
                {
                    "start": start,
                    "end": start + len(phrase),
                    "quote": phrase,
                    "checkworthy": value,
                },
                format="json",
            ),
            201,
        )
    claims = {
        c.annotator.get_username(): (c.quote, c.checkworthy)
        for c in Claim.objects.select_related("annotator")
        if c.annotator is not None
    }
    assert claims == CLAIMS and Claim.objects.count() == 2

    # The export.
    response = api.get(f"{base}/export/", {"format": "jsonl", "layer": "annotators"})
    assert response.status_code == 200
    records = [json.loads(line) for line in response.getvalue().decode().splitlines() if line]
    exported = {
        c["annotator"]: (c["quote"], c["checkworthy"]) for r in records for c in r["claims"]
    }
    assert exported == CLAIMS

    assert Project.objects.count() == 1 and Membership.objects.count() == 3
    assert not get_user_model().objects.filter(is_staff=True).exists()
