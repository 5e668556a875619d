"""The "Add articles" page: uploading files (and zips) with a preview, per-file results,
the bounds of an upload, and pasting a text. The API's side is in
tests/api/test_article_import.py."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from corpus import import_jobs, uploads
from corpus.models import Article
from tests.conftest import login

TXT = """Talks in Istanbul end without a deal

By Anna Ivanova

Share on Facebook
Share on Twitter

The talks ended on Tuesday without a deal, officials said.

Read also: Another story about talks

Both sides will meet again next week.
"""
UNICODE_TEXT = (
    "Путин и Эрдоган: «мы договорились» 🙂\n\n"
    "İstanbul'da görüşen liderler, Karadeniz'deki tahıl koridorunun açık kalacağını söyledi. "
    "Şanlıurfa'dan gelen heyet 👍 memnun.\n\n"
    "В Кремле добавили, что следующая встреча пройдёт в Сочи."
)
HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Grain deal extended'
    '</title><meta name="author" content="Maria Lopez"></head><body><nav><a href="/">Home</a>'
    "</nav><article><h1>Grain deal extended</h1><p>The grain deal was extended for another "
    "120 days, the Turkish foreign ministry said on Saturday.</p><p>Ukraine welcomed the "
    "decision, while Russia said its own exports still faced obstacles.</p></article>"
    "</body></html>"
)


def jsonl(*records: dict[str, Any]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(name: str, data: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def manager_client(client: Client, manager: Any) -> Client:
    return login(client, manager)


def post_files(client: Client, project: Any, *files: Any, **fields: str) -> Any:
    data: dict[str, Any] = {"files": list(files), "strip_boilerplate": "1", **fields}
    return client.post(reverse("corpus:article-upload", args=[project.slug]), data)


# --- Expanding uploads (zips and bounds) --------------------------------------------------


def test_a_zip_stands_for_the_supported_files_in_it() -> None:
    data = make_zip(
        {
            "batch/one.txt": b"One\n\nText one.",
            "batch/two.md": b"# Two\n\nText two.",
            "batch/.DS_Store": b"junk",
            "__MACOSX/batch/._one.txt": b"junk",
            "batch/scan.pdf": b"%PDF-1.4",
        }
    )
    found = uploads.expand([("batch.zip", data)])
    assert [(f.name, f.problem) for f in found] == [
        ("batch.zip/batch/one.txt", ""),
        ("batch.zip/batch/two.md", ""),
        (
            "batch.zip/batch/scan.pdf",
            "cannot import “.pdf” files: use .txt, .md, .html, .htm, .jsonl",
        ),
    ]
    assert found[0].data == b"One\n\nText one."


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = make_zip({"bomb.txt": b"0" * (20 * 1024**2), "fine.txt": b"Fine\n\nText."})
    assert len(bomb) < 100_000
    found = uploads.expand([("bomb.zip", bomb)])
    assert len(found) == 1
    assert found[0].name == "bomb.zip"
    assert "refused as a zip bomb" in found[0].problem


def test_a_zip_that_lies_about_its_sizes_is_stopped_while_reading() -> None:
    data = bytearray(make_zip({"a.txt": b"A title\n\n" + b"word " * 50_000}))
    # The declared size (central directory) patched down to 10 bytes: the member passes the
    # checks of its declared size, and the read stops all the same.
    bounds = uploads.Bounds(file_bytes=1_000, total_bytes=10**9, files=10)
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.infolist()[0]
    assert info.file_size > 1_000
    central = bytes(data).rfind(b"PK\x01\x02")
    size_at = central + 24
    data[size_at : size_at + 4] = (10).to_bytes(4, "little")
    found = uploads.expand([("liar.zip", bytes(data))], bounds)
    assert len(found) == 1
    assert found[0].data == b""
    assert found[0].problem.startswith("a.txt is damaged"), found  # no more than it declared


def test_a_file_over_the_size_limit_is_reported_and_the_others_go_on() -> None:
    bounds = uploads.Bounds(file_bytes=100, total_bytes=10_000, files=10)
    found = uploads.expand([("big.txt", b"x" * 101), ("small.txt", b"Small\n\nText.")], bounds)
    assert found[0].problem == (
        "the file has 101 bytes; the limit is 100 (CLAIMDESK_MAX_UPLOAD_FILE_BYTES)"
    )
    assert found[1].problem == ""


def test_an_upload_over_its_bounds_is_refused_as_a_whole() -> None:
    few = uploads.Bounds(file_bytes=1_000, total_bytes=10_000, files=2)
    with pytest.raises(ValidationError, match="more than 2 files"):
        uploads.expand([(f"{i}.txt", b"A\n\nB.") for i in range(3)], few)
    small = uploads.Bounds(file_bytes=1_000, total_bytes=1_500, files=10)
    with pytest.raises(ValidationError, match="more than 1,500 bytes all together"):
        uploads.expand([(f"{i}.txt", b"x" * 600) for i in range(3)], small)


def test_an_unsafe_or_unprintable_file_name_is_made_safe() -> None:
    assert uploads.safe_name("a\x00b\u202e.txt") == "ab.txt"
    assert uploads.safe_name("") == "upload"


# --- The page: preview, import, per-file results ---------------------------------------------


@pytest.mark.django_db
def test_preview_shows_titles_bylines_and_what_the_cleanup_cuts_and_writes_nothing(
    manager_client: Client, project: Any, media: Any
) -> None:
    response = post_files(
        manager_client,
        project,
        upload("talks.txt", TXT),
        upload("feed.jsonl", jsonl({"text": "Second\n\nBody two.", "byline": "Ayşe Yılmaz"})),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: nothing is written yet" in html
    assert "Talks in Istanbul end without a deal" in html
    assert "Anna Ivanova" in html and "Ayşe Yılmaz" in html
    assert "Share on Facebook" in html and "Read also: Another story about talks" in html
    assert "Import 2 new articles" in html
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_importing_a_preview_imports_what_was_previewed(
    manager_client: Client, project: Any
) -> None:
    response = post_files(manager_client, project, upload("talks.txt", TXT))
    staged = response.context["staged"]
    response = manager_client.post(
        reverse("corpus:article-upload", args=[project.slug]),
        {"staged": staged, "action": "import"},
    )
    assert response.status_code == 302
    article = Article.objects.get(project=project)
    assert article.title == "Talks in Istanbul end without a deal"
    assert article.byline == "Anna Ivanova"
    assert "Share on Facebook" not in article.text
    page = manager_client.get(response["Location"]).content.decode()
    assert "Done: 1 article added" in page
    # The staged upload is used up: importing it again is refused, and writes nothing.
    again = manager_client.post(
        reverse("corpus:article-upload", args=[project.slug]),
        {"staged": staged, "action": "import"},
    )
    assert again.status_code == 302
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_one_broken_file_among_good_ones_is_reported_and_the_good_ones_import(
    manager_client: Client, project: Any
) -> None:
    bad_jsonl = jsonl({"text": "Fine line\n\nA text."}) + b"\n{not json}\n"
    response = post_files(
        manager_client,
        project,
        upload("talks.txt", TXT),
        upload("broken.jsonl", bad_jsonl),
        upload("latin1.txt", "Caf\xe9 news\n\nText.".encode("latin-1")),
        upload("page.html", HTML),
        action="import",
    )
    assert response.status_code == 302
    job = manager_client.get(response["Location"])
    status = job.context["status"]
    assert (status["created"], status["failed"]) == (2, 2)
    errors = {r["name"]: r["error"] for r in status["results"]}
    assert errors["broken.jsonl"].startswith("line 2: not valid JSON")
    assert errors["latin1.txt"].startswith("the file is not UTF-8 text")
    assert errors["talks.txt"] == errors["page.html"] == ""
    # Nothing half-written: the good first line of the broken JSONL file is not stored.
    assert sorted(Article.objects.values_list("title", flat=True)) == [
        "Grain deal extended",
        "Talks in Istanbul end without a deal",
    ]
    html = job.content.decode()
    assert "Not imported: line 2: not valid JSON" in html


@pytest.mark.django_db
def test_an_oversize_file_is_reported_and_writes_nothing(
    manager_client: Client, project: Any, settings: Any
) -> None:
    settings.CLAIMDESK_MAX_UPLOAD_FILE_BYTES = 200
    response = post_files(
        manager_client,
        project,
        upload("long.txt", "Long\n\n" + "word " * 100),
        upload("short.txt", "Short\n\nA short text."),
        action="import",
    )
    status = manager_client.get(response["Location"]).context["status"]
    assert status["results"][0]["error"] == (
        "the file has 506 bytes; the limit is 200 (CLAIMDESK_MAX_UPLOAD_FILE_BYTES)"
    )
    assert list(Article.objects.values_list("title", flat=True)) == ["Short"]


@pytest.mark.django_db
def test_a_zip_bomb_upload_is_refused_and_writes_nothing(
    manager_client: Client, project: Any
) -> None:
    bomb = make_zip({"bomb.txt": b"0" * (20 * 1024**2)})
    response = post_files(manager_client, project, upload("bomb.zip", bomb))
    assert response.status_code == 200
    assert "refused as a zip bomb" in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_emoji_cyrillic_and_turkish_survive_unchanged(manager_client: Client, project: Any) -> None:
    data = make_zip({"news/ru-tr.txt": UNICODE_TEXT.encode()})
    response = post_files(manager_client, project, upload("batch.zip", data), action="import")
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.text == UNICODE_TEXT
    assert article.title == "Путин и Эрдоган: «мы договорились» 🙂"
    assert article.source_file == "batch.zip/news/ru-tr.txt"


@pytest.mark.django_db
def test_an_upload_without_files_is_a_400(manager_client: Client, project: Any) -> None:
    response = manager_client.post(
        reverse("corpus:article-upload", args=[project.slug]), {"action": "preview"}
    )
    assert response.status_code == 400
    assert "Choose at least one file." in response.content.decode()


@pytest.mark.django_db
def test_a_discarded_preview_deletes_its_files(
    manager_client: Client, project: Any, media: Any
) -> None:
    response = post_files(manager_client, project, upload("talks.txt", TXT))
    staged = response.context["staged"]
    assert list((media / "imports" / staged).iterdir())
    manager_client.post(
        reverse("corpus:article-upload", args=[project.slug]),
        {"staged": staged, "action": "discard"},
    )
    assert not list((media / "imports" / staged).iterdir())
    assert import_jobs.job_status(staged) is None


@pytest.mark.django_db
def test_another_projects_staged_upload_cannot_be_imported(
    client: Client, project: Any, manager: Any
) -> None:
    from tests.factories import MembershipFactory, ProjectFactory

    other = ProjectFactory()
    MembershipFactory(project=other, user=manager, role="manager")
    login(client, manager)
    staged = post_files(client, other, upload("talks.txt", TXT)).context["staged"]
    response = client.post(
        reverse("corpus:article-upload", args=[project.slug]),
        {"staged": staged, "action": "import"},
    )
    assert response.status_code == 400
    assert not Article.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["curator", "annotator"])
def test_only_managers_add_articles(client: Client, project: Any, request: Any, who: str) -> None:
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("corpus:article-add", args=[project.slug])).status_code == 403
    response = post_files(client, project, upload("talks.txt", TXT), action="import")
    assert response.status_code == 403
    assert not Article.objects.exists()


# --- Paste -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pasted_text_becomes_one_article_unchanged(manager_client: Client, project: Any) -> None:
    url = reverse("corpus:article-paste", args=[project.slug])
    response = manager_client.post(
        url, {"title": "Görüşme 🙂", "byline": "Анна Иванова", "text": UNICODE_TEXT}
    )
    assert response.status_code == 201
    article = Article.objects.get()
    assert (article.title, article.byline, article.text) == (
        "Görüşme 🙂",
        "Анна Иванова",
        UNICODE_TEXT,
    )
    again = manager_client.post(url, {"text": UNICODE_TEXT})
    assert again.status_code == 200
    assert "The project already has this text" in again.content.decode()
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_a_bad_paste_is_a_400_and_writes_nothing(manager_client: Client, project: Any) -> None:
    url = reverse("corpus:article-paste", args=[project.slug])
    assert manager_client.post(url, {"text": "   "}).status_code == 400
    response = manager_client.post(url, {"text": "Bad \x00 text"})
    assert response.status_code == 400
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_staged_files_nobody_imported_are_swept_after_a_day(
    manager_client: Client, project: Any, media: Any
) -> None:
    import os
    import time

    from django.core.cache import cache

    staged = post_files(manager_client, project, upload("talks.txt", TXT)).context["staged"]
    (kept,) = list((media / "imports" / staged).iterdir())
    cache.clear()  # the job is forgotten (after a day)
    old = time.time() - import_jobs.JOB_TTL - 60
    os.utime(kept, (old, old))
    post_files(manager_client, project, upload("other.txt", "Other\n\nText."))
    assert not kept.exists()
