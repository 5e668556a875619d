"""``manage.py import_annotations``: as an annotator's claims or as suggestions, the
options that go together and those that don't, and what it prints."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.models import Claim, Suggestion
from tests.annotate.exchange.importing_world import ImportWorld, build_world


@pytest.fixture
def world(db: Any) -> ImportWorld:
    return build_world()


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_annotations", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_as_suggestions_with_the_default_suggester_name(world: ImportWorld, tmp_path: Path) -> None:
    path = tmp_path / "model output.jsonl"
    path.write_bytes(world.jsonl((0, [world.full_claim()])))
    out, _ = run(str(path), "--project", "turk", "--as-suggestions")
    assert "Imported 1 suggestions by “import:model output.jsonl” (0 already there" in out
    assert Suggestion.objects.get().suggester == "import:model output.jsonl"
    out, _ = run(str(path), "--project", "turk", "--as-suggestions")
    assert "Imported 0 suggestions" in out and "(1 already there, 0 rejected)" in out


def test_as_suggestions_with_a_suggester_name_and_a_dry_run(
    world: ImportWorld, tmp_path: Path
) -> None:
    path = tmp_path / "pre.jsonl"
    path.write_bytes(world.jsonl((0, [world.full_claim()])))
    out, _ = run(
        str(path), "--project", "turk", "--as-suggestions", "--suggester", "xlm-r/3", "--dry-run"
    )
    assert "Nothing written; would import 1 suggestions by “xlm-r/3”" in out
    assert not Suggestion.objects.exists()


def test_rejected_items_are_listed_and_fail_the_command(world: ImportWorld, tmp_path: Path) -> None:
    path = tmp_path / "pre.jsonl"
    bad = world.claim(0, "Akıncı disagreed", end=10_000)
    path.write_bytes(world.jsonl((0, [world.full_claim(), bad])))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 items were rejected, so nothing was written"):
        call_command(
            "import_annotations",
            str(path),
            "--project",
            "turk",
            "--as-suggestions",
            stdout=io.StringIO(),
            stderr=err,
        )
    assert "rejected: line 1, claim 2: end: end 10000 is past the end" in err.getvalue()
    assert not Suggestion.objects.exists()
    out, _ = run(str(path), "--project", "turk", "--as-suggestions", "--partial")
    assert "Imported 1 suggestions" in out and "1 rejected" in out


def test_as_an_annotator_still_works(world: ImportWorld, tmp_path: Path) -> None:
    path = tmp_path / "pre.jsonl"
    path.write_bytes(world.jsonl((0, [world.full_claim()])))
    out, _ = run(str(path), "--project", "turk", "--annotator", "anna")
    assert (
        "Imported 1 claims as anna (0 already there, 0 rejected, 0 articles newly assigned)" in out
    )
    assert Claim.objects.filter(annotator=world.annotator).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--annotator", "anna", "--as-suggestions"), "not allowed with argument"),
        ((), "one of the arguments --annotator --as-gold --as-suggestions is required"),
    ],
)
def test_annotator_and_suggestions_exclude_each_other(
    world: ImportWorld, tmp_path: Path, args: tuple[str, ...], message: str, capsys: Any
) -> None:
    path = tmp_path / "pre.jsonl"
    path.write_bytes(b"")
    with pytest.raises((CommandError, SystemExit)) as raised:
        call_command("import_annotations", str(path), "--project", "turk", *args)
    assert message in str(raised.value) + capsys.readouterr().err


def test_a_suggester_name_needs_as_suggestions(world: ImportWorld, tmp_path: Path) -> None:
    path = tmp_path / "pre.jsonl"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="--suggester goes with --as-suggestions"):
        run(str(path), "--project", "turk", "--annotator", "anna", "--suggester", "m")


def test_a_bad_suggester_name_is_a_clear_error(world: ImportWorld, tmp_path: Path) -> None:
    path = tmp_path / "pre.jsonl"
    path.write_bytes(world.jsonl((0, [world.full_claim()])))
    with pytest.raises(CommandError, match="built-in"):
        run(str(path), "--project", "turk", "--as-suggestions", "--suggester", "rules/2")


def test_the_format_is_guessed_from_the_content(world: ImportWorld, tmp_path: Path) -> None:
    path = tmp_path / "predictions.txt"  # an extension that says nothing
    path.write_bytes(world.jsonl((0, [world.full_claim()])))
    out, _ = run(str(path), "--project", "turk", "--as-suggestions")
    assert "Imported 1 suggestions" in out


def test_a_file_that_is_not_utf8_is_a_clear_error(world: ImportWorld, tmp_path: Path) -> None:
    path = tmp_path / "pre.jsonl"
    path.write_bytes("Akıncı".encode("cp1254"))
    with pytest.raises(CommandError, match="not UTF-8"):
        run(str(path), "--project", "turk", "--as-suggestions")


def test_help_explains_both_targets(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        call_command("import_annotations", "--help")
    help_text = " ".join(capsys.readouterr().out.split())
    for words in (
        "--as-suggestions",
        "--suggester NAME",
        "default: import:<file name>",
        "--annotator USERNAME",
        "Keep the good items when some are rejected",
    ):
        assert words in help_text, words
