"""Importing source registries (CSV, JSONL): the seed registry, idempotent upserts, and
errors reported by line with nothing written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.management.commands.import_sources import Command
from annotate.models import Source, SourceAlias, SourceKind
from annotate.sources import registry
from annotate.sources.services import source_create
from corpus.text import search_key

SEEDS = Path(settings.BASE_DIR) / "seeds"
SEED_REGISTRY = SEEDS / "sources.csv"
HEADER = "name,kind,description,aliases,external_id\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def run(path: Path, project: Any, *args: str, verbosity: int = 1) -> str:
    out = io.StringIO()
    call_command(
        "import_sources", str(path), "--project", project.slug, *args,
        verbosity=verbosity, stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return out.getvalue()


def snapshot(project: Any) -> list[tuple[Any, ...]]:
    """Everything an import could change, updated timestamps and alias rows included."""
    return [
        (
            s.pk,
            s.name,
            s.name_key,
            s.kind,
            s.description,
            s.external_id,
            s.updated,
            sorted(s.aliases.values_list("pk", "alias", "alias_key")),
        )  # fmt: skip
        for s in Source.objects.filter(project=project).order_by("pk")
    ]


def aliases_of(source: Source) -> list[str]:
    return sorted(source.aliases.values_list("alias", flat=True))


def seed_records() -> list[dict[str, Any]]:
    with SEED_REGISTRY.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{**r, "aliases": [a for a in r["aliases"].split("|") if a]} for r in rows]


# --- The seed registry ----------------------------------------------------------------


def test_seed_registry_imports_cleanly_into_a_project(project: Any) -> None:
    output = run(SEED_REGISTRY, project)

    count = len(seed_records())
    assert f"{count} created, 0 updated, 0 unchanged" in output
    assert Source.objects.filter(project=project).count() == count
    isachenko = Source.objects.get(project=project, name="Daria Isachenko")
    assert isachenko.kind == SourceKind.PERSON
    assert "SWP" in isachenko.description
    assert aliases_of(isachenko) == ["Isachenko"]
    orekhova = Source.objects.get(project=project, name="Яна Орехова")
    assert aliases_of(orekhova) == ["Yana Orekhova", "Орехова"]


def test_importing_the_seed_registry_again_changes_nothing(project: Any) -> None:
    run(SEED_REGISTRY, project)
    before = snapshot(project)

    output = run(SEED_REGISTRY, project)

    assert f"0 created, 0 updated, {len(before)} unchanged" in output
    assert snapshot(project) == before


def test_seed_registry_has_the_sources_the_seed_texts_quote_cite_or_are_written_by() -> None:
    kinds = {r["name"]: r["kind"] for r in seed_records()}

    expected = {
        # bylines and outlets
        "Vladimir Danilov": "person",
        "Яна Орехова": "person",
        "New Eastern Outlook": "outlet",
        "Berliner Zeitung": "outlet",
        "inosmi.ru": "outlet",
        "Emerging Europe": "outlet",
        "Türkiye (newspaper)": "outlet",
        "Cumhuriyet": "outlet",
        "The Economic Times": "outlet",
        # experts and officials quoted or reported
        "Daria Isachenko": "person",
        "Temur Umarov": "person",
        "Hakan Aksay": "person",
        "Hulusi Akar": "person",
        "Recep Tayyip Erdoğan": "person",
        "Kassym-Jomart Tokayev": "person",
        "Mevlüt Çavuşoğlu": "person",
        "Ahmet Davutoğlu": "person",
        "İhsan Şener": "person",
        "Yücel Karauz": "person",
        "Mustafa Şentop": "person",
        # organisations and documents
        "Organization of Turkic States": "organisation",
        "Collective Security Treaty Organization": "organisation",
        "Shanghai Cooperation Organisation": "organisation",
        "Turkic World Vision 2040": "document",
    }
    assert {name: kinds.get(name) for name in expected} == expected


def test_seed_registry_names_only_sources_that_occur_in_the_seed_texts() -> None:
    texts = search_key(" ".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))))
    # A descriptive name for a document the text only describes: the evidence is this phrase.
    described = {"Joint statement of the first EU-Central Asia summit": "joint statement at the"}

    missing = [
        r["name"]
        for r in seed_records()
        if r["name"] not in described
        and not any(search_key(n) in texts for n in [r["name"], *r["aliases"]])
        or (r["name"] in described and described[r["name"]] not in texts)
    ]

    assert missing == []


def test_seed_registry_rows_are_well_formed_and_their_names_never_collide() -> None:
    rows = registry.read_rows(SEED_REGISTRY)
    keys: dict[str, str] = {}

    for row in rows:
        own = [search_key(row.name), *(search_key(a) for a in row.aliases)]
        # Every alias adds a key of its own: the file says exactly what gets stored.
        assert len(set(own)) == len(own), row.name
        for key in own:
            assert key not in keys, f"{row.name!r} and {keys.get(key)!r} share {key!r}"
            keys[key] = row.name
        assert row.description, row.name
        assert row.external_id == "" or row.external_id.startswith("Q"), row.name


# --- Formats --------------------------------------------------------------------------


def test_csv_import_with_aliases_separated_by_bars_or_semicolons(
    project: Any, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "sources.csv",
        "\ufeff" + HEADER
        + 'Ahmet Davutoğlu,person,"Prime Minister of Turkey, 2014–2016",Davutoğlu | Davutoglu,\n'
        + "Organization of Turkic States,Organization,,OTS;Turkic Council; ,\n"
        + "\n"
        + "European Union,organisation,,EU,Q458\n",
    )  # fmt: skip

    output = run(path, project)

    assert "3 created" in output
    davutoglu = Source.objects.get(project=project, name_key="ahmet davutoglu")
    assert davutoglu.description == "Prime Minister of Turkey, 2014–2016"
    assert aliases_of(davutoglu) == ["Davutoğlu"]
    ots = Source.objects.get(project=project, name="Organization of Turkic States")
    assert ots.kind == SourceKind.ORGANISATION
    assert aliases_of(ots) == ["OTS", "Turkic Council"]
    assert Source.objects.get(project=project, name="European Union").external_id == "Q458"


def test_jsonl_import_with_aliases_as_a_list_or_a_string(project: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources.jsonl",
        jsonl(
            {"name": "Hulusi Akar", "kind": "person", "aliases": ["Akar"]},
            {"name": "Cumhuriyet", "kind": "outlet", "aliases": "Cumhuriyet gazetesi|CUMHURIYET"},
        )
        + "\n",
    )

    run(path, project)

    assert aliases_of(Source.objects.get(project=project, name="Hulusi Akar")) == ["Akar"]
    cumhuriyet = Source.objects.get(project=project, name="Cumhuriyet")
    assert aliases_of(cumhuriyet) == ["Cumhuriyet gazetesi"]


def test_jsonl_lines_end_at_newlines_only(project: Any, tmp_path: Path) -> None:
    """U+2028, U+0085 and U+001E are left raw inside strings by JSON writers: not line ends."""
    description = "Turkish newspaper\u2028founded 1924\x85 in Istanbul\x1e."
    path = write(
        tmp_path,
        "sources.jsonl",
        jsonl({"name": "Cumhuriyet", "kind": "outlet", "description": description}),
    )

    run(path, project)

    # (Descriptions are single-line: the separators become spaces.)
    saved = Source.objects.get(project=project, name="Cumhuriyet").description
    assert saved.split() == ["Turkish", "newspaper", "founded", "1924", "in", "Istanbul", "."]


def test_format_option_overrides_the_file_name(project: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "registry.txt", HEADER + "Hulusi Akar,person,,,\n")

    with pytest.raises(CommandError, match="Can't tell the format of “registry.txt”"):
        run(path, project)
    run(path, project, "--format", "csv")

    assert Source.objects.filter(project=project, name="Hulusi Akar").exists()


# --- Upserts --------------------------------------------------------------------------


def test_a_row_with_an_existing_normalised_name_updates_that_source(
    project: Any, tmp_path: Path
) -> None:
    existing = source_create(project=project, name="Ahmet Davutoglu", aliases=["Davutoglu"])
    path = write(
        tmp_path,
        "s.jsonl",
        jsonl(
            {
                "name": "ahmet  DAVUTOĞLU",
                "kind": "person",
                "description": "Prime Minister of Turkey (2014–2016)",
                "aliases": ["Davutoğlu", "Hoca"],
                "external_id": "Q1234",
            }
        ),
    )

    output = run(path, project)

    assert "0 created, 1 updated" in output
    assert Source.objects.filter(project=project).count() == 1
    existing.refresh_from_db()
    assert existing.name == "Ahmet Davutoglu"  # the registry's spelling stays
    assert existing.description == "Prime Minister of Turkey (2014–2016)"
    assert existing.external_id == "Q1234"
    assert aliases_of(existing) == ["Davutoglu", "Hoca"]


def test_an_import_fills_an_empty_description_but_never_overwrites_one(
    project: Any, tmp_path: Path
) -> None:
    existing = source_create(project=project, name="Temur Umarov", description="expert")
    path = write(tmp_path, "s.csv", HEADER + "Temur Umarov,person,Uzbek political scientist,,\n")

    output = run(path, project)

    assert "0 updated, 1 unchanged" in output
    existing.refresh_from_db()
    assert existing.description == "expert"


def test_a_row_named_by_one_of_its_aliases_updates_the_source_and_adds_its_name(
    project: Any, tmp_path: Path
) -> None:
    ots = source_create(
        project=project, name="Organization of Turkic States", kind="organisation", aliases=["OTS"]
    )
    path = write(
        tmp_path,
        "s.jsonl",
        jsonl(
            {"name": "Organisation of Turkic States", "kind": "organisation", "aliases": ["OTS"]}
        ),
    )

    output = run(path, project)

    assert "line 1: updated “Organization of Turkic States” (matched by “OTS”)" in output
    assert Source.objects.filter(project=project).count() == 1
    assert aliases_of(ots) == ["OTS", "Organisation of Turkic States"]


def test_a_row_whose_name_is_an_alias_updates_that_source(project: Any, tmp_path: Path) -> None:
    cavusoglu = source_create(
        project=project, name="Mevlüt Çavuşoğlu", aliases=["Mevlit Cavusoglu"]
    )
    path = write(tmp_path, "s.csv", HEADER + "Mevlit Cavusoglu,person,,Çavuşoğlu,\n")

    run(path, project)

    assert list(Source.objects.filter(project=project)) == [cavusoglu]
    assert aliases_of(cavusoglu) == ["Mevlit Cavusoglu", "Çavuşoğlu"]


def test_rows_of_one_file_that_name_the_same_source_make_one_source(
    project: Any, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "s.jsonl",
        jsonl(
            {"name": "Ahmet Davutoğlu", "kind": "person"},
            {"name": "AHMET DAVUTOGLU", "kind": "person", "aliases": ["Davutoglu"]},
            {"name": "A. Davutoğlu", "kind": "person", "aliases": ["Davutoğlu"]},
        ),
    )

    output = run(path, project)

    assert "1 created, 2 updated" in output
    source = Source.objects.get(project=project)
    assert source.name == "Ahmet Davutoğlu"
    assert aliases_of(source) == ["A. Davutoğlu", "Davutoglu"]


# --- Errors: a line number, nothing written, a non-zero exit ---------------------------


@pytest.mark.parametrize(
    ("filename", "text", "message"),
    [
        (
            "bad-kind.jsonl",
            jsonl(
                {"name": "Hulusi Akar", "kind": "person"},
                {"name": "Cumhuriyet", "kind": "outlet"},
                {"name": "Hakan Fidan", "kind": "minister"},
            ),
            "line 3: unknown kind “minister”; use one of person, organisation, outlet, "
            "government, document.",
        ),
        (
            "empty-name.jsonl",
            jsonl({"name": "Hulusi Akar", "kind": "person"}, {"name": "  ", "kind": "person"}),
            "line 2: “name” is missing or empty.",
        ),
        (
            "no-kind.jsonl",
            jsonl({"name": "Hulusi Akar"}),
            "line 1: “kind” is missing or empty.",
        ),
        (
            "malformed.jsonl",
            jsonl({"name": "Hulusi Akar", "kind": "person"}) + '{"name": "Fidan", "kind": }\n',
            "line 2: not valid JSON (Expecting value at column 27).",
        ),
        (
            "not-an-object.jsonl",
            '\n["Hulusi Akar", "person"]\n',
            "line 2: expected a JSON object {…}, found a list.",
        ),
        (
            "unknown-field.jsonl",
            jsonl({"name": "Hulusi Akar", "kind": "person", "alias": "Akar"}),
            "line 1: unknown field(s) 'alias'; the fields are name, kind, description, "
            "aliases, external_id.",
        ),
        (
            "bad-aliases.jsonl",
            jsonl({"name": "Hulusi Akar", "kind": "person", "aliases": ["Akar", 7]}),
            "line 1: “aliases” must be a list of strings.",
        ),
        (
            "missing-column.csv",
            "name,description,aliases,external_id\nHulusi Akar,,,\n",
            "line 1: the header has missing column(s) kind.",
        ),
        (
            "short-row.csv",
            HEADER + "Hulusi Akar,person,,,\nHakan Fidan,person\n",
            "line 3: 2 fields where the header has 5",
        ),
        (
            "multi-line-field.csv",
            HEADER + 'Hulusi Akar,person,"Minister of\nNational Defence",,\nCumhuriyet,paper,,,\n',
            "line 4: unknown kind “paper”",
        ),
        ("empty.csv", "", "line 1: the file is empty"),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_written(
    project: Any, tmp_path: Path, filename: str, text: str, message: str
) -> None:
    source_create(project=project, name="Hulusi Akar", description="")
    before = snapshot(project)
    path = write(tmp_path, filename, text)

    with pytest.raises(CommandError) as exc:
        run(path, project)

    assert f"{filename}: nothing imported." in str(exc.value)
    assert message in str(exc.value)
    assert exc.value.returncode == 1
    assert snapshot(project) == before


def test_every_bad_row_is_reported_at_once(project: Any, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.csv",
        HEADER + ",person,,,\nHulusi Akar,person,,,\nHakan Fidan,minister,,,\nX,person,,!!,\n",
    )

    with pytest.raises(CommandError) as exc:
        run(path, project)

    lines = [m.strip().split(":")[0] for m in str(exc.value).splitlines()[1:]]
    assert lines == ["line 2", "line 4", "line 5"]
    assert not Source.objects.filter(project=project).exists()


def test_a_row_that_conflicts_with_the_registry_rolls_back_the_whole_file(
    project: Any, tmp_path: Path
) -> None:
    source_create(project=project, name="Hakan Fidan", aliases=["Hakan"])
    source_create(project=project, name="Hakan Aksay", aliases=["Hakan"])
    before = snapshot(project)
    path = write(
        tmp_path,
        "s.jsonl",
        jsonl(
            {"name": "Hulusi Akar", "kind": "person"},
            {"name": "Cumhuriyet", "kind": "outlet"},
            {"name": "H. Hakan", "kind": "person", "aliases": ["Hakan"]},
        ),
    )

    with pytest.raises(CommandError) as exc:
        run(path, project)

    assert "line 3: “H. Hakan”: it names 2 different sources:" in str(exc.value)
    assert snapshot(project) == before


def test_a_row_of_another_kind_than_the_source_it_names_is_an_error(
    project: Any, tmp_path: Path
) -> None:
    source_create(project=project, name="Cumhuriyet", kind="outlet")
    path = write(tmp_path, "s.csv", HEADER + "Cumhuriyet,organisation,,,\n")

    with pytest.raises(CommandError, match=r"line 2: “Cumhuriyet”: the registry has .* as media"):
        run(path, project)


def test_a_row_with_a_different_external_id_is_an_error(project: Any, tmp_path: Path) -> None:
    source_create(project=project, name="European Union", kind="organisation", external_id="Q458")
    path = write(tmp_path, "s.csv", HEADER + "European Union,organisation,,EU,Q1\n")

    with pytest.raises(CommandError, match="external id Q1 differs from Q458"):
        run(path, project)

    assert not SourceAlias.objects.exists()


def test_an_alias_naming_a_source_of_another_kind_is_an_error(project: Any, tmp_path: Path) -> None:
    source_create(project=project, name="Cumhuriyet", kind="outlet")
    path = write(tmp_path, "s.csv", HEADER + "Government of Turkey,government,,Cumhuriyet,\n")

    with pytest.raises(CommandError, match="the registry has “Cumhuriyet” .* as media outlet"):
        run(path, project)

    assert Source.objects.filter(project=project).count() == 1


def test_an_alias_that_is_the_name_of_another_source_is_an_error(
    project: Any, tmp_path: Path
) -> None:
    source_create(project=project, name="Cumhuriyet", kind="outlet")
    source_create(project=project, name="Government of Turkey", kind="government")
    path = write(
        tmp_path, "s.csv", HEADER + "Government of Turkey,government,,Ankara|Cumhuriyet,\n"
    )

    with pytest.raises(CommandError) as exc:
        run(path, project)

    assert (
        "line 2: “Government of Turkey”: “Cumhuriyet” is the name of another source, "
        "“Cumhuriyet”: merge the two sources instead." in str(exc.value)
    )
    assert not SourceAlias.objects.exists()


def test_a_file_that_is_not_utf8_is_refused(project: Any, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes((HEADER + "Hulusi Akar,person,Savunma Bakanı,,\n").encode("cp1254"))

    with pytest.raises(CommandError, match="is not UTF-8"):
        run(path, project)


# --- The command ----------------------------------------------------------------------


def test_unknown_project_is_an_error(db: Any) -> None:
    with pytest.raises(CommandError, match="No project with the slug “nope”"):
        call_command("import_sources", str(SEED_REGISTRY), project="nope")


def test_missing_file_is_an_error(project: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Can't read"):
        run(tmp_path / "missing.jsonl", project)


def test_dry_run_reports_but_writes_nothing(project: Any) -> None:
    output = run(SEED_REGISTRY, project, "--dry-run")

    assert f"Dry run, nothing written. sources.csv → “{project.name}”: " in output
    assert f"{len(seed_records())} created" in output
    assert not Source.objects.filter(project=project).exists()


def test_verbosity_zero_prints_nothing(project: Any) -> None:
    assert run(SEED_REGISTRY, project, verbosity=0) == ""
    assert Source.objects.filter(project=project).exists()


def test_verbosity_two_lists_every_row(project: Any) -> None:
    output = run(SEED_REGISTRY, project, verbosity=2)

    assert "line 2: created “Vladimir Danilov”" in output  # line 1 is the CSV header
    assert len([line for line in output.splitlines() if " created “" in line]) == len(
        seed_records()
    )


def test_help_explains_both_formats_and_the_options() -> None:
    text = Command().create_parser("manage.py", "import_sources").format_help()

    for words in ["CSV", "JSONL", "name,kind,description,aliases,external_id", "--project",
                  "--dry-run", "--format", "line number"]:  # fmt: skip
        assert words in " ".join(text.split()), words


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    rows = "".join(f"Source {n},organisation,,,\n" for n in range(250))
    return write(tmp_path, "big.csv", HEADER + rows)


def test_a_large_file_shows_a_progress_bar_on_a_terminal(
    project: Any, big_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    run(big_file, project)

    assert "Sources: 100%" in terminal.getvalue()
    assert Source.objects.filter(project=project).count() == 250


@pytest.mark.parametrize("args", [(), ("--no-progress",)])
def test_no_progress_bar_when_not_a_terminal_or_asked(
    project: Any, big_file: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    stderr = _Terminal() if args else io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)

    run(big_file, project, *args)

    assert stderr.getvalue() == ""


def test_quiet_import_shows_no_progress_bar_even_on_a_terminal(
    project: Any, big_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    run(big_file, project, verbosity=0)

    assert terminal.getvalue() == ""


# --- The functions the API reuses ------------------------------------------------------


def test_parse_rows_and_import_rows_work_without_the_command(project: Any) -> None:
    rows = registry.parse_rows(HEADER + "Hulusi Akar,person,,Akar,\n", "csv")

    first = registry.import_rows(project=project, rows=rows)
    second = registry.import_rows(project=project, rows=rows)

    assert (first.created, first.updated, first.unchanged) == (1, 0, 0)
    assert (second.created, second.changed) == (0, False)


def test_parse_rows_raises_one_validation_error_with_every_message() -> None:
    with pytest.raises(ValidationError) as exc:
        registry.parse_rows(jsonl({"name": "", "kind": "x"}, {"kind": "person"}), "jsonl")

    assert exc.value.messages == [
        "line 1: “name” is missing or empty; unknown kind “x”; use one of person, "
        "organisation, outlet, government, document.",
        "line 2: “name” is missing or empty.",
    ]
