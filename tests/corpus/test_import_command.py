"""``manage.py import_articles``: options, output, exit status, per-file isolation."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from corpus.management.commands.import_articles import Command
from corpus.models import Article, Project

SEEDS = Path(settings.BASE_DIR) / "seeds"


@pytest.fixture
def seed_folder(tmp_path: Path) -> Path:
    """The five seed articles (only them) in a folder of their own."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    return folder


def run(*args: str, **options: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_articles", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_seeds_are_imported_with_their_titles_bylines_outlets_and_dates(
    project: Any, seed_folder: Path
) -> None:
    out, err = run(str(seed_folder), "--project", project.slug)
    assert out.endswith("5 created, 0 skipped (already imported), 0 failed.\n")
    assert err == ""
    found = {
        a.source_file: (a.title, a.byline, a.outlet, a.published)
        for a in Article.objects.filter(project=project)
    }
    names = {name.split("_")[0]: name for name in found}
    assert found[names["seeds/000"]] == (
        "The Nagorno-Karabakh War, which resulted in Azerbaijans liberation of its occupied lands…",
        "",
        "",
        None,
    )
    assert found[names["seeds/001"]] == (
        "Turkey expands its influence in Central Asia and challenges Moscow",
        "Яна Орехова",
        "inosmi.ru",
        None,
    )
    assert found[names["seeds/002"]] == (
        "An alternative to Russia and China: Turkey’s role in the South Caucasus and Central Asia",
        "",
        "emerging-europe.com",
        None,
    )
    assert found[names["seeds/003"]] == (
        "The Turkic military alliance or why has Ankara accused Russia of occupying Kazakhstan?",
        "Vladimir Danilov",
        "New Eastern Outlook",
        dt.date(2022, 1, 22),
    )
    assert found[names["seeds/004"]][0] == (
        "Could the intervention of the CSTO states lead to change in Kazakhstan’s foreign policy"
        " towards Turkey?"
    )
    for article in Article.objects.all():
        assert 'Press "Enter"' not in article.text
        assert "VK X OK WhatsApp Telegram" not in article.text


@pytest.mark.django_db
def test_reimport_is_a_no_op_reported_as_skipped(project: Any, seed_folder: Path) -> None:
    run(str(seed_folder), "--project", project.slug)
    before = list(Article.objects.order_by("pk").values_list("pk", "sha256"))
    out, _ = run(str(seed_folder), "--project", project.slug)
    assert out.count("(already imported)") == 6  # five files, and the summary
    assert "skipped  seeds/003_a23101a9602a3786.txt: The Turkic military alliance" in out
    assert out.endswith("0 created, 5 skipped (already imported), 0 failed.\n")
    assert list(Article.objects.order_by("pk").values_list("pk", "sha256")) == before


@pytest.mark.django_db
def test_a_bad_file_among_good_ones_is_reported_and_the_rest_imported(
    project: Any, tmp_path: Path
) -> None:
    (tmp_path / "a_good.txt").write_text("Good one\n\nBody.", encoding="utf-8")
    (tmp_path / "b_latin1.txt").write_bytes("Café crème".encode("latin-1"))
    (tmp_path / "c_empty.md").write_bytes(b"")
    (tmp_path / "d_feed.jsonl").write_text(
        '{"text": "Would be written."}\n{"title": "no text"}\n', encoding="utf-8"
    )
    (tmp_path / "e_good.jsonl").write_text('{"text": "Good two."}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="3 of 5 files failed"):
        run(str(tmp_path), "--project", project.slug)
    assert sorted(Article.objects.values_list("text", flat=True)) == [
        "Good one\n\nBody.",
        "Good two.",
    ]
    assert not Article.objects.filter(source_file__contains="d_feed").exists()


@pytest.mark.django_db
def test_failures_name_the_file_line_and_reason_on_stderr(project: Any, tmp_path: Path) -> None:
    (tmp_path / "feed.jsonl").write_text('{"text": "Fine."}\n{"text": "x"', encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_articles", str(tmp_path), project=project.slug, stdout=out, stderr=err)
    folder = tmp_path.name
    assert f"failed   {folder}/feed.jsonl: line 2: not valid JSON" in err.getvalue()
    assert f"failed   {folder}/latin1.txt: the file is not UTF-8 text" in err.getvalue()
    assert out.getvalue().endswith("0 created, 0 skipped (already imported), 2 failed.\n")


@pytest.mark.django_db(transaction=True)
def test_exit_status_is_1_when_a_file_failed(tmp_path: Path) -> None:
    project = Project.objects.create(name="Exit", slug="exit")
    (tmp_path / "good.txt").write_text("Good\n\nBody.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff")
    argv = ["manage.py", "import_articles", str(tmp_path), "--project", "exit", "-v", "0"]
    with pytest.raises(SystemExit) as raised:
        Command().run_from_argv(argv)
    assert raised.value.code == 1
    assert Article.objects.filter(project=project).count() == 1


@pytest.mark.django_db
def test_missing_paths_are_failures_too(project: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="1 of 1 files failed"):
        run(str(tmp_path / "nope.txt"), "--project", project.slug)


@pytest.mark.django_db
def test_unknown_project_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no project with the slug “nowhere”.*--create-project"):
        run(str(tmp_path), "--project", "nowhere")
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_create_project_creates_it(seed_folder: Path) -> None:
    run(str(seed_folder / "003_a23101a9602a3786.txt"), "--project", "new-one", "--create-project")
    project = Project.objects.get(slug="new-one")
    assert project.articles.count() == 1


@pytest.mark.django_db
def test_keep_boilerplate_keeps_the_text_as_it_is(project: Any, seed_folder: Path) -> None:
    path = seed_folder / "002_afcc02174eca291c.txt"
    run(str(path), "--project", project.slug, "--keep-boilerplate")
    article = Article.objects.get()
    assert article.text.startswith('Press "Enter" to skip to content')
    assert article.title.startswith("An alternative to Russia and China")
    assert article.outlet == "emerging-europe.com"
    assert article.metadata["import"]["boilerplate_stripped"] is False


@pytest.mark.django_db
def test_no_unwrap_keeps_the_pdf_lines_and_unwrap_forces_it(project: Any, tmp_path: Path) -> None:
    (pdf,) = SEEDS.glob("000_*.txt")
    run(str(pdf), "--project", project.slug, "--no-unwrap")
    assert Article.objects.get().text.count("\n") > 50
    short = tmp_path / "short.txt"
    short.write_text("Title\n\nA line that goes\non here.", encoding="utf-8")
    run(str(short), "--project", project.slug, "--unwrap")
    assert Article.objects.get(source_file="short.txt").text == "Title\n\nA line that goes on here."


@pytest.mark.django_db
def test_dry_run_reports_but_writes_nothing(project: Any, seed_folder: Path) -> None:
    out, _ = run(str(seed_folder), "--project", project.slug, "--dry-run")
    assert "5 created, 0 skipped (already imported), 0 failed (dry run: nothing written)." in out
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_verbosity_0_is_quiet_but_still_reports_failures(project: Any, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Good\n\nBody.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_articles",
            str(tmp_path),
            project=project.slug,
            verbosity=0,
            stdout=out,
            stderr=err,
        )
    assert out.getvalue() == ""
    assert "bad.txt: the file is empty" in err.getvalue()


@pytest.mark.django_db
def test_verbosity_2_shows_what_was_read(project: Any, seed_folder: Path) -> None:
    out, _ = run(str(seed_folder / "003_a23101a9602a3786.txt"), "--project", project.slug, "-v2")
    assert "byline: Vladimir Danilov · outlet: New Eastern Outlook · published: 2022-01-22" in out


@pytest.mark.django_db
def test_jsonl_file_is_reported_as_one_line_with_its_count(project: Any) -> None:
    data = Path(__file__).parent / "data" / "articles.jsonl"
    out, _ = run(str(data), "--project", project.slug)
    assert "created  articles.jsonl: 3 articles\n" in out
    assert {a.language for a in Article.objects.all()} == {"ru", "en"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_progress_bar_only_on_a_terminal_and_not_with_no_progress(
    project: Any, seed_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("import_articles", str(seed_folder), project=project.slug, stdout=io.StringIO())
    assert "file" not in capsys.readouterr().err  # stderr is no terminal under pytest
    call_command(
        "import_articles",
        str(seed_folder),
        project=project.slug,
        stdout=io.StringIO(),
        stderr=_Terminal(),
    )
    assert "5/5" in capsys.readouterr().err
    call_command(
        "import_articles",
        str(seed_folder),
        project=project.slug,
        no_progress=True,
        stdout=io.StringIO(),
        stderr=_Terminal(),
    )
    assert "5/5" not in capsys.readouterr().err


def test_help_documents_formats_jsonl_fields_and_defaults() -> None:
    help_text = Command().create_parser("manage.py", "import_articles").format_help()
    for expected in (
        "--project SLUG",
        "--create-project",
        "--unwrap",
        "--no-unwrap",
        "--keep-boilerplate",
        "--no-progress",
        "--dry-run",
        "published   ISO date",
        "other keys are stored in the metadata",
        ".html .htm",
    ):
        assert expected in help_text
