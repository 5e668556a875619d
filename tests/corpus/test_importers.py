"""Reading article files (every format, bad files) and importing them file by file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from corpus.formats import ImportFileError, markdown_to_text, parse_bytes, parse_file
from corpus.importers import collect_files, import_file, import_paths
from corpus.models import Article

DATA = Path(__file__).parent / "data"
SEEDS = Path(settings.BASE_DIR) / "seeds"


def jsonl(*records: Any) -> bytes:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    return "\n".join(lines).encode()


# --- Formats ---------------------------------------------------------------------------------


def test_txt_file_gives_one_article_with_what_the_text_states() -> None:
    (path,) = SEEDS.glob("003_*.txt")
    (article,) = parse_file(path)
    assert article.title.startswith("The Turkic military alliance")
    assert article.byline == "Vladimir Danilov"
    assert article.published == dt.date(2022, 1, 22)
    assert article.outlet == "New Eastern Outlook"
    assert article.metadata["import"] == {
        "format": "txt",
        "boilerplate_stripped": True,
        "unwrapped": False,
    }


def test_txt_rubric_goes_into_the_metadata() -> None:
    (path,) = SEEDS.glob("001_*.txt")
    (article,) = parse_file(path)
    assert article.metadata["rubric"] == "Politics"


def test_markdown_markup_is_stripped_and_front_matter_gives_the_fields() -> None:
    (article,) = parse_file(DATA / "article.md")
    assert article.title == "Cyprus and the Turkic states"
    assert article.byline == "Hakan Aksay"
    assert article.outlet == "Berliner Zeitung"
    assert article.url == "https://example.org/cyprus"
    assert article.published == dt.date(2025, 4, 3)
    assert article.metadata["rubric"] == "Politics"
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0] == "Cyprus and the Turkic states"
    # Soft line breaks are spaces in Markdown; links keep their text, images go.
    assert paragraphs[1] == (
        "Samarkand, April 2025. All the countries of the region signed a joint statement at the"
        " first EU–Central Asia summit, supporting the independence of Cyprus."
    )
    assert paragraphs[3] == "What comes next"
    assert paragraphs[4] == (
        "- Turkey recalls its ambassadors for consultations\n"
        "- Ankara reviews the Middle Corridor plans"
    )
    assert (
        paragraphs[5]
        == "Prices rose by 5*2 per cent, says Akıncı — a claim the ministry denies. 🇹🇷"
    )
    for markup in ("#", "**", "](", "`", "---", "map.png"):
        assert markup not in article.text


def test_markdown_without_heading_takes_the_first_line_as_title() -> None:
    (article,) = parse_bytes("note.md", b"Plain *first* line\n\nBody text.")
    assert article.title == "Plain first line"
    assert markdown_to_text("Title\n=====\n\nBody")[1] == "Title"


def test_html_main_text_and_metadata_are_extracted() -> None:
    (article,) = parse_file(DATA / "article.html")
    assert article.title == "Türkiye’nin Orta Asya açılımı 🇹🇷"
    assert article.byline == "Ayşe Yılmaz"
    assert article.outlet == "Örnek Haber"
    assert article.url == "https://ornek-haber.example/orta-asya"
    assert article.published == dt.date(2024, 3, 5)
    assert article.language == "tr"
    assert article.text.startswith(article.title + "\n\nDışişleri Bakanı Hakan Fidan")
    assert "Яна Орехова пишет" in article.text
    for chrome in ("Ana sayfa", "Facebook", "Another story", "Tüm hakları"):
        assert chrome not in article.text


def test_html_without_article_text_fails() -> None:
    with pytest.raises(ImportFileError, match="no article text"):
        parse_bytes("empty.html", b"<html><head><title>A title</title></head><body></body></html>")


def test_jsonl_fields_unknown_keys_and_line_numbers() -> None:
    first, second, third = parse_file(DATA / "articles.jsonl")
    assert first.title == "Турция и Центральная Азия"
    assert first.byline == "Яна Орехова"
    assert (first.outlet, first.url, first.language) == (
        "inosmi.ru",
        "https://inosmi.ru/example",
        "ru",
    )
    assert first.published == dt.date(2025, 11, 2)
    assert first.metadata["feed"] == "inosmi-rss"  # an unknown key
    assert first.metadata["rubric"] == "Politics"  # from the metadata object
    assert first.line == 1
    assert second.line == 3  # the blank line 2 is skipped, not renumbered
    assert second.byline == "Emerging Europe staff"  # "author"
    assert second.published == dt.date(2023, 6, 5)  # a datetime's date
    assert third.metadata["tags"] == ["drones", "Kyrgyzstan"]
    assert third.metadata["import"]["line"] == 4


def test_jsonl_byline_wins_over_author_which_is_kept_in_metadata() -> None:
    (article,) = parse_bytes("a.jsonl", jsonl({"text": "T.", "byline": "A", "author": "B"}))
    assert article.byline == "A"
    assert article.metadata["author"] == "B"


def test_jsonl_metadata_object_wins_a_clash_with_an_unknown_key() -> None:
    record = {"text": "T.", "feed": "top", "metadata": {"feed": "inner"}}
    (article,) = parse_bytes("a.jsonl", jsonl(record))
    assert article.metadata["feed"] == "inner"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"text": "Good.", ', "not valid JSON"),
        ('["text"]', "expected a JSON object"),
        ('{"title": "No text"}', "“text” key is missing"),
        ('{"text": "   "}', "non-empty string"),
        ('{"text": 42}', "non-empty string"),
        ('{"text": "T.", "title": 7}', "“title” must be a string"),
        ('{"text": "T.", "metadata": [1]}', "“metadata” must be an object"),
        ('{"text": "T.", "published": "22/01/2022"}', "not an ISO date"),
    ],
)
def test_a_bad_jsonl_line_fails_the_file_with_its_line_number(line: str, reason: str) -> None:
    data = jsonl({"text": "A good article."}, "", line, {"text": "Another good one."})
    with pytest.raises(ImportFileError, match=reason) as raised:
        parse_bytes("feed.jsonl", data)
    assert raised.value.line == 3
    assert str(raised.value).startswith("line 3: ")


def test_several_bad_jsonl_lines_are_counted() -> None:
    with pytest.raises(ImportFileError, match=r"^line 1: .*\(and 2 more bad lines\)"):
        parse_bytes("feed.jsonl", jsonl("{", "{", {"text": "Good."}, "{"))


def test_jsonl_of_blank_lines_has_no_articles() -> None:
    with pytest.raises(ImportFileError, match="no articles"):
        parse_bytes("feed.jsonl", "\n\u00a0\n\u2003\n".encode())


# --- Bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.txt", "Café".encode("latin-1"), r"not UTF-8 text \(byte 0xe9 at offset 3\)"),
        ("a.txt", "Türkiye".encode("utf-16"), "UTF-16"),
        ("a.txt", b"", "empty"),
        ("a.txt", b" \n\t\r\n", "empty"),
        ("a.txt", "\ufeff\n".encode(), "empty"),
        ("a.txt", b"PK\x03\x04\x00\x00binary", "NUL bytes"),
        ("a.pdf", b"%PDF-1.7", "cannot import “.pdf” files"),
        ("README", b"text", "files without an ending"),
        ("a.txt", b"Back to Top\nVK X OK WhatsApp Telegram\n", "only boilerplate"),
    ],
)
def test_bad_files_fail_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(ImportFileError, match=reason):
        parse_bytes(name, data)


def test_boilerplate_only_file_can_be_kept() -> None:
    (article,) = parse_bytes("a.txt", b"Back to Top", strip_boilerplate=False)
    assert article.text == "Back to Top"


def test_an_unreadable_file_fails_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="cannot read the file"):
        parse_file(tmp_path / "missing.txt")


def test_a_bom_is_dropped_and_crlf_normalised() -> None:
    (article,) = parse_bytes("a.txt", "\ufeffTitle\r\n\r\nBody.\r\n".encode())
    assert (article.title, article.text) == ("Title", "Title\n\nBody.")


# --- Finding files ---------------------------------------------------------------------------


def test_collect_files_recurses_skips_hidden_and_unsupported_and_names_files(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "batch"
    (folder / "sub").mkdir(parents=True)
    (folder / ".git").mkdir()
    for name in ("a.txt", "sub/b.MD", "sub/c.htm", "d.jsonl", "e.pdf", ".hidden.txt", ".git/f.txt"):
        (folder / name).write_text("x", encoding="utf-8")
    single = tmp_path / "single.html"
    single.write_text("x", encoding="utf-8")
    found = collect_files([folder, single, folder / "a.txt", tmp_path / "nope.txt"])
    assert [(f.name, f.problem) for f in found] == [
        ("batch/a.txt", ""),
        ("batch/d.jsonl", ""),
        ("batch/sub/b.MD", ""),
        ("batch/sub/c.htm", ""),
        ("single.html", ""),
        (str(tmp_path / "nope.txt"), "no such file or folder"),
    ]


def test_an_unsupported_file_named_explicitly_is_reported(tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(b"%PDF")
    (found,) = collect_files([tmp_path / "scan.pdf"])
    assert "cannot import “.pdf” files" in found.problem


# --- Importing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_file_creates_then_skips_the_same_text(project: Any) -> None:
    data = (DATA / "article.html").read_bytes()
    first = import_file(project=project, name="batch/article.html", data=data)
    assert not first.failed
    (article,) = first.created
    article.refresh_from_db()
    assert article.source_file == "batch/article.html"
    assert article.project == project
    again = import_file(project=project, name="copy.html", data=data)
    assert again.created == ()
    assert [a.pk for a in again.skipped] == [article.pk]
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_unicode_survives_the_round_trip_to_the_database(project: Any) -> None:
    text = "Akıncı ve İstanbul 🇹🇷\n\nЯна Орехова: «Турция» 🤝\n\nDavutoğlu said “yes”."
    result = import_file(project=project, name="u.txt", data=text.encode())
    (article,) = result.created
    article.refresh_from_db()
    assert article.text == text
    assert article.title == "Akıncı ve İstanbul 🇹🇷"
    assert article.char_count == len(text)


@pytest.mark.django_db
def test_language_comes_from_the_file_or_the_default(project: Any) -> None:
    html = import_file(project=project, name="a.html", data=(DATA / "article.html").read_bytes())
    txt = import_file(project=project, name="b.txt", data=b"Title\n\nBody.", language="ru")
    assert html.created[0].language == "tr"
    assert txt.created[0].language == "ru"


@pytest.mark.django_db
def test_jsonl_file_is_written_whole_or_not_at_all(project: Any, settings: Any) -> None:
    settings.CLAIMDESK_MAX_ARTICLE_CHARS = 100
    # Lines 1 and 2 parse and would be created; line 3 fails only at article_create.
    data = jsonl({"text": "One."}, {"text": "Two."}, {"text": "x" * 101})
    result = import_file(project=project, name="feed.jsonl", data=data)
    assert result.failed
    assert result.error.startswith("line 3: The text has 101 characters")
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_duplicate_lines_in_one_jsonl_file_are_skipped(project: Any) -> None:
    data = jsonl({"text": "Same."}, {"text": "Same.\n"}, {"text": "Other."})
    result = import_file(project=project, name="feed.jsonl", data=data)
    assert (len(result.created), len(result.skipped)) == (2, 1)


@pytest.mark.django_db
def test_dry_run_writes_nothing(project: Any) -> None:
    result = import_file(project=project, name="a.txt", data=b"Title\n\nBody.", dry_run=True)
    assert len(result.created) == 1
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_import_paths_goes_on_after_a_bad_file(project: Any, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Good one\n\nBody.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\xfa bad")
    (tmp_path / "c.jsonl").write_text('{"text": "Good."}\n{"text": ', encoding="utf-8")
    (tmp_path / "d.md").write_text("# Good two\n\nBody.", encoding="utf-8")
    results = list(import_paths(project=project, paths=[tmp_path]))
    assert [(r.name.split("/")[-1], r.failed) for r in results] == [
        ("a.txt", False),
        ("b.txt", True),
        ("c.jsonl", True),
        ("d.md", False),
    ]
    assert results[2].error.startswith("line 2: not valid JSON")
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Good one", "Good two"]


@pytest.mark.parametrize(
    "record",
    [
        {"text": "Title line\n\nby John Smith on 3 May 2024\n\nA paragraph."},
        {
            "text": "Title\n\nA paragraph.",
            "title": "T",
            "byline": "B",
            "outlet": "O",
            "url": "https://example.org/a",
            "published": "2024-05-03",
            "language": "tr",
            "extra": 1,
            "metadata": {"k": "v"},
        },
        {"text": "Title\n\nЯна Орехова 12.05.2025 Politics\n\nA paragraph.", "published": ""},
    ],
)
def test_a_jsonl_article_is_the_described_text_with_the_record_s_values(record: Any) -> None:
    """The article is built field by field (not with ``dataclasses.replace``): the same
    as replacing the described text's fields with the record's, and an unknown field is
    refused as ``replace`` refused it."""
    from dataclasses import replace

    from corpus.formats import _article, _source
    from corpus.textmeta import describe_text

    (article,) = parse_bytes("a.jsonl", jsonl(record), unwrap=False, strip_boilerplate=False)
    described = describe_text(record["text"], unwrap=False, strip_boilerplate=False)
    published = dt.date.fromisoformat(record["published"]) if record.get("published") else None
    given = {k: record.get(k, "") for k in ("title", "byline", "outlet", "url")}
    assert article.published == (published or described.published)
    expected = replace(
        described,
        **{k: v or getattr(described, k) for k, v in given.items()},
        published=published or described.published,
        language=record.get("language", ""),
        line=1,
        metadata=article.metadata,
    )
    assert article == expected
    with pytest.raises(TypeError):
        _article(described, _source("jsonl", False), colour="red")
