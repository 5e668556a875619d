"""The Export page, its downloads and background jobs, and the export API: who may."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import pytest
from django.test import Client
from django.urls import reverse

from annotate.exchange import tasks
from tests.annotate.exchange.conftest import Corpus
from tests.conftest import login
from tests.factories import PASSWORD, UserFactory

# One corpus for the module, each test in a savepoint of its own (conftest.py).
pytestmark = pytest.mark.usefixtures("_module_corpus")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _get(client: Client, url: str, **params: Any) -> Any:
    return client.get(url, params)


def page(corpus: Corpus) -> str:
    return reverse("annotate:export", args=[corpus.project.slug])


def download(corpus: Corpus) -> str:
    return reverse("annotate:export-download", args=[corpus.project.slug])


def test_export_page_for_curators_with_formats(client: Client, corpus: Corpus) -> None:
    login(client, corpus.curator)
    response = client.get(page(corpus))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="parquet"' in body and 'value="brat"' in body
    assert 'value="archive"' not in body  # managers only
    login(client, corpus.manager)
    assert 'value="archive"' in client.get(page(corpus)).content.decode()


def test_export_is_closed_to_annotators_outsiders_and_anonymous(
    client: Client, corpus: Corpus
) -> None:
    response = client.get(page(corpus))
    assert response.status_code == 302 and "/login" in response["Location"]
    login(client, corpus.annotators[0])
    assert client.get(page(corpus)).status_code == 403
    assert client.get(download(corpus), {"format": "csv", "layer": "annotators"}).status_code == 403
    outsider = UserFactory()
    login(client, outsider)
    assert client.get(page(corpus)).status_code == 404
    assert client.post(page(corpus)).status_code in (403, 405)


def test_wrong_method_is_405(client: Client, corpus: Corpus) -> None:
    login(client, corpus.curator)
    assert client.post(page(corpus)).status_code == 405
    assert client.post(download(corpus)).status_code == 405


def test_small_export_streams_as_a_download(client: Client, corpus: Corpus) -> None:
    login(client, corpus.curator)
    response = client.get(download(corpus), {"format": "csv", "layer": "annotators", "bom": "1"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="turkic-csv-')
    data = response.getvalue()
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    assert len(frame) == 7


def test_curator_cannot_download_the_archive(client: Client, corpus: Corpus) -> None:
    login(client, corpus.curator)
    assert client.get(download(corpus), {"format": "archive"}).status_code == 403


def test_bad_options_answer_400_with_the_reason(client: Client, corpus: Corpus) -> None:
    login(client, corpus.curator)
    response = client.get(download(corpus), {"format": "csv", "layer": "silver"})
    assert response.status_code == 400
    assert "Unknown layer" in response.content.decode()


def test_big_export_runs_as_a_task_with_progress_and_a_link(
    client: Client, corpus: Corpus, monkeypatch: Any
) -> None:
    monkeypatch.setattr(tasks, "DIRECT_LIMIT", 2)
    login(client, corpus.curator)
    response = client.get(download(corpus), {"format": "jsonl", "layer": "annotators"})
    assert response.status_code == 302
    job_page = response["Location"]
    page_response = client.get(job_page)
    body = page_response.content.decode()
    assert "Done: 7 claims" in body
    fragment = client.get(job_page, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="export-job"')
    job = job_page.rstrip("/").split("/")[-1]
    file_url = reverse("annotate:export-job-file", args=[corpus.project.slug, job])
    assert file_url in body
    data = client.get(file_url).getvalue()
    assert len(data.splitlines()) == 3
    # Another project's curator can't follow the job.
    other = UserFactory()
    login(client, other)
    assert client.get(job_page).status_code == 404


def test_unknown_job_is_404(client: Client, corpus: Corpus) -> None:
    login(client, corpus.curator)
    url = reverse("annotate:export-job", args=[corpus.project.slug, "nope"])
    assert client.get(url).status_code == 404


# --- API -------------------------------------------------------------------------------------


def api(corpus: Corpus) -> str:
    return f"/api/projects/{corpus.project.slug}/export/"


def test_api_export_streams_for_curators(client: Client, corpus: Corpus) -> None:
    login(client, corpus.curator)
    response = client.get(api(corpus), {"format": "w3c"})
    assert response.status_code == 200
    document = json.loads(response.getvalue())
    assert document["type"] == "AnnotationCollection" and document["total"] == 3


def test_api_export_permissions(client: Client, corpus: Corpus) -> None:
    assert client.get(api(corpus), {"format": "csv"}).status_code == 401
    login(client, corpus.annotators[0])
    assert client.get(api(corpus), {"format": "csv"}).status_code == 403
    login(client, corpus.curator)
    assert client.get(api(corpus), {"format": "archive"}).status_code == 403
    assert client.get(api(corpus), {"format": "nope"}).status_code == 400
    outsider = UserFactory(password=PASSWORD)
    login(client, outsider)
    assert client.get(api(corpus), {"format": "csv"}).status_code == 404


def test_api_background_export_gives_a_job_to_follow(client: Client, corpus: Corpus) -> None:
    login(client, corpus.manager)
    response = client.get(api(corpus), {"format": "archive", "background": "1"})
    assert response.status_code == 202
    job = response.json()
    follow = client.get(f"{api(corpus)}jobs/{job['job']}/").json()
    assert follow["state"] == "done" and follow["download"].endswith("/file/")


def test_api_background_export_downloads_with_a_token(corpus: Corpus) -> None:
    """The job's ``download`` is an API route: a token client gets the file, not the
    login page (the page's route redirected it there)."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=corpus.curator)
    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    started = api_client.get(api(corpus), {"format": "jsonl", "layer": "all", "background": "1"})
    assert started.status_code == 202
    job = started.json()
    followed = api_client.get(f"{api(corpus)}jobs/{job['job']}/").json()
    assert followed["state"] == "done"
    assert followed["download"].endswith(
        f"/api/projects/{corpus.project.slug}/export/jobs/{job['job']}/file/"
    )
    response = api_client.get(followed["download"])
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = [json.loads(line) for line in response.getvalue().splitlines()]
    claims = sum(len(row.get("claims", ())) for row in rows)
    assert claims == followed["total"] > 0
    # Another project's member with a token: 404, not the file.
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}")
    assert stranger.get(followed["download"]).status_code == 404
    # Not finished or unknown: 404.
    assert api_client.get(f"{api(corpus)}jobs/nope/file/").status_code == 404
