"""The API's ways in for articles: several files and zips (with a dry run), add by URL,
the import job; pasting a text is POST /api/projects/{slug}/articles/ (tested in
test_projects_articles.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from corpus.models import Article
from tests.corpus.test_article_upload import HTML, TXT, UNICODE_TEXT, jsonl, make_zip
from tests.pages_server import Page, article_html, serve


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _files(*pairs: tuple[str, bytes | str]) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)
        for name, data in pairs
    ]


def _import(client: Any, project: Any, files: list[Any], **fields: Any) -> Any:
    return client.post(
        reverse("api:article-import", args=[project.slug]),
        {"files": files, **fields},
        format="multipart",
    )


@pytest.mark.django_db
def test_dry_run_says_what_each_file_gives_and_writes_nothing(
    client_for: Any, manager: Any, project: Any
) -> None:
    response = _import(
        client_for(manager),
        project,
        _files(("talks.txt", TXT), ("bad.jsonl", b"{oops}\n")),
        dry_run="true",
    )
    assert response.status_code == 200, response.content
    talks, bad = response.json()["files"]
    (article,) = talks["articles"]
    assert (article["title"], article["byline"], article["new"]) == (
        "Talks in Istanbul end without a deal",
        "Anna Ivanova",
        True,
    )
    assert "Share on Facebook" in article["cut"]
    assert bad["error"].startswith("line 1: not valid JSON")
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_import_runs_as_a_job_and_a_broken_file_does_not_stop_the_others(
    client_for: Any, manager: Any, project: Any
) -> None:
    client = client_for(manager)
    zipped = make_zip({"ru-tr.txt": UNICODE_TEXT.encode(), "page.html": HTML.encode()})
    response = _import(
        client,
        project,
        _files(
            ("feed.jsonl", jsonl({"text": "One\n\nBody.", "title": "One"})),
            ("batch.zip", zipped),
            ("broken.jsonl", b'{"title": "no text"}\n'),
        ),
    )
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["state"], job["created"], job["failed"]) == ("done", 3, 1)
    assert [r["name"] for r in job["results"]] == [
        "feed.jsonl",
        "batch.zip/ru-tr.txt",
        "batch.zip/page.html",
        "broken.jsonl",
    ]
    assert job["results"][3]["error"] == "line 1: the “text” key is missing"
    assert Article.objects.get(source_file="batch.zip/ru-tr.txt").text == UNICODE_TEXT
    followed = client.get(reverse("api:article-import-job", args=[project.slug, job["job"]]))
    assert followed.status_code == 200
    assert followed.json() == job


@pytest.mark.django_db
def test_a_zip_bomb_and_an_oversize_file_are_reported(
    client_for: Any, manager: Any, project: Any, settings: Any
) -> None:
    settings.CLAIMDESK_MAX_UPLOAD_FILE_BYTES = 300
    bomb = make_zip({"bomb.txt": b"0" * (20 * 1024**2)})
    response = _import(
        client_for(manager),
        project,
        _files(
            ("bomb.zip", bomb), ("big.txt", "Big\n\n" + "word " * 100), ("ok.txt", "Ok\n\nFine.")
        ),
    )
    results = response.json()["results"]
    assert "refused as a zip bomb" in results[0]["error"]
    assert results[1]["error"].endswith("the limit is 300 (CLAIMDESK_MAX_UPLOAD_FILE_BYTES)")
    assert list(Article.objects.values_list("title", flat=True)) == ["Ok"]


@pytest.mark.django_db
def test_import_needs_files_and_known_options(client_for: Any, manager: Any, project: Any) -> None:
    client = client_for(manager)
    assert _import(client, project, []).status_code == 400
    response = _import(client, project, _files(("a.txt", "A\n\nB.")), unwrap="maybe")
    assert response.status_code == 400
    assert "unwrap" in response.json()["errors"]
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_add_by_url_returns_a_job_with_each_urls_result(
    client_for: Any, manager: Any, project: Any, settings: Any
) -> None:
    settings.CLAIMDESK_URL_FETCH_ALLOW_PRIVATE = True
    client = client_for(manager)
    with serve({"/a.html": Page(article_html("Talks resume", "They resumed today."))}) as server:
        response = client.post(
            reverse("api:article-from-urls", args=[project.slug]),
            {"urls": [server.url("/a.html"), server.url("/b.html")]},
            format="json",
        )
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["kind"], job["created"], job["failed"]) == ("urls", 1, 1)
    assert job["results"][1]["error"] == "the server answered 404 Not Found"
    assert Article.objects.get().title == "Talks resume"


@pytest.mark.django_db
def test_add_by_url_refuses_loopback_by_default(
    client_for: Any, manager: Any, project: Any
) -> None:
    response = client_for(manager).post(
        reverse("api:article-from-urls", args=[project.slug]),
        {"urls": ["http://127.0.0.1:9/a.html"]},
        format="json",
    )
    assert response.status_code == 202
    assert "loopback address" in response.json()["results"][0]["error"]
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_add_by_url_refuses_what_is_no_web_url(client_for: Any, manager: Any, project: Any) -> None:
    response = client_for(manager).post(
        reverse("api:article-from-urls", args=[project.slug]),
        {"urls": ["file:///etc/passwd"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["urls"] == [
        "file:///etc/passwd: only http:// and https:// URLs can be fetched"
    ]


@pytest.mark.django_db
def test_jobs_are_the_projects_managers_own(
    client_for: Any, manager: Any, curator: Any, outsider: Any, project: Any
) -> None:
    job = _import(client_for(manager), project, _files(("a.txt", "A\n\nB."))).json()["job"]
    url = reverse("api:article-import-job", args=[project.slug, job])
    assert client_for(curator).get(url).status_code == 403
    assert client_for(outsider).get(url).status_code == 404
    missing = reverse("api:article-import-job", args=[project.slug, "f" * 32])
    assert client_for(manager).get(missing).status_code == 404
    assert (
        client_for(manager)
        .get(reverse("api:article-import-job", args=[project.slug, "not-a-job"]))
        .status_code
        == 404
    )
