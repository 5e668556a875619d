"""A server process starts light: importing the URLconf (what every gunicorn worker and the
task worker do) loads none of the heavy scientific libraries; a web worker warms up with
numpy only (``common/warm.py``). numpy, scikit-learn, SciPy, pandas
and pyarrow are imported by the code that needs them (training or using the learned
recommender, a Parquet export or import, the notebook helpers), when it runs: they took
~4 s of CPU and ~145 MB of resident memory in every process before (issue 21)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.helpers import python_json

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "sklearn", "scipy", "pandas", "pyarrow", "joblib", "networkx")

_PROBE = """
import json, os, sys
os.environ["CLAIMDESK_WARM_START"] = WARM
from config.wsgi import application  # django.setup(), as gunicorn does
import config.urls
from django.urls import resolve
resolve("/")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)))
"""


def _probe(tmp_path: Path, code: str, **names: object) -> Any:
    """Run ``code`` in a fresh Python process with Django's settings on a new SQLite file
    (never the PostgreSQL of the test run), ``names`` defined first; its last line of
    output, as JSON."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONSTARTUP")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SQLITE_PATH=str(tmp_path / "probe.sqlite3"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    prelude = "".join(f"{name} = {value!r}\n" for name, value in names.items())
    return python_json(prelude + code, env)


def test_importing_the_urlconf_loads_no_heavy_library(tmp_path: Path) -> None:
    loaded = _probe(tmp_path, _PROBE, HEAVY=HEAVY, WARM="0")
    assert loaded == [], f"the URLconf imports {sorted({m.split('.')[0] for m in loaded})}"


def test_a_web_worker_warms_up_with_numpy_only(tmp_path: Path) -> None:
    """gunicorn's workers import ``config.wsgi``: the URL configuration is loaded there, and
    numpy (the review screen's first request paid ~210 ms for it), nothing heavier."""
    loaded = _probe(tmp_path, _PROBE, HEAVY=HEAVY, WARM="1")
    assert {m.split(".")[0] for m in loaded} == {"numpy"}


_FROZEN_PROBE = """
import gc, json, os
os.environ["CLAIMDESK_WARM_START"] = WARM
from config.wsgi import application
print(json.dumps(gc.get_freeze_count()))
"""


def test_a_web_worker_freezes_its_start_up_objects(tmp_path: Path) -> None:
    """The collection after a big request walked a worker's start-up objects (modules,
    URLconf, numpy) each time: 60-100 ms of CPU after a 1,000-document upload (issue 21).
    A worker freezes them once warmed up; with the warm start off it does neither
    (``common/warm.py``)."""
    assert _probe(tmp_path, _FROZEN_PROBE, WARM="1") > 50_000
    assert _probe(tmp_path, _FROZEN_PROBE, WARM="0") < 5_000  # (a library freezes a few)


_ARROW_PROBE = """
import json, sys
import django
django.setup()
if WITH_PANDAS:
    import pandas
import pyarrow as pa
from annotate.exchange.parquet import without_pandas
without_pandas()
taken = pa.array(["a", "b"], pa.string()).take(pa.array([1, 0, 1], pa.int32()))
table = pa.table({"x": taken})
converted = len(table.to_pandas()) if WITH_PANDAS else None
print(json.dumps({"pandas": "pandas" in sys.modules, "converted": converted}))
"""


def _arrow_probe(tmp_path: Path, with_pandas: bool) -> dict[str, object]:
    found: dict[str, object] = _probe(tmp_path, _ARROW_PROBE, WITH_PANDAS=with_pandas)
    return found


def test_a_parquet_export_does_not_make_pyarrow_import_pandas(tmp_path: Path) -> None:
    """pyarrow's first ``pa.array`` of a list imports pandas to check whether the list is
    a pandas object (0.8 s and ~60 MB in every process that wrote Parquet): not any more."""
    assert _arrow_probe(tmp_path, with_pandas=False) == {"pandas": False, "converted": None}


def test_where_pandas_is_imported_arrow_still_converts_to_it(tmp_path: Path) -> None:
    assert _arrow_probe(tmp_path, with_pandas=True) == {"pandas": True, "converted": 3}


_WRITERS_PROBE = """
import json, sys
import django
django.setup()
from annotate.exchange import brat, jsonl, tabular, w3c
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))))
"""


def test_the_text_export_writers_import_no_heavy_library(tmp_path: Path) -> None:
    """CSV, JSON Lines, W3C and brat never load pyarrow (Parquet's own module does): the CSV
    export from ``manage.py export`` paid pyarrow's import, ~60 MB of RSS and a few hundred
    milliseconds, while it was in the same module as Parquet."""
    assert _probe(tmp_path, _WRITERS_PROBE, HEAVY=HEAVY) == []


_EXPORT_PROBE = """
import json, sys
import django
django.setup()
from annotate.management.commands import export  # what manage.py export loads
from annotate.exchange import brat, jsonl, tabular, w3c  # formats.stream's text writers
print(json.dumps(sorted(sys.modules)))
"""
# ``manage.py export`` loads ~850 modules (psycopg's ~75 among them, below); DRF and its
# serializers were ~230 more (issue 21: the command is timed from the process's start).
EXPORT_MODULES = 900


def _export_modules(tmp_path: Path) -> set[str]:
    return set(_probe(tmp_path, _EXPORT_PROBE))


def test_the_export_command_loads_a_small_set_of_modules(tmp_path: Path) -> None:
    """A fresh ``manage.py export`` (CSV, JSON Lines, W3C, brat) loads neither DRF's
    serializers (the API's conflict answers register theirs by path: ``common.conflicts``)
    nor pyarrow nor any heavy library, and few modules in all."""
    loaded = _export_modules(tmp_path)
    # Its installed apps' own modules load (``rest_framework.apps``, the token admin), not
    # the serializers and what they pull in (requests, markdown, yaml).
    assert not loaded & {"rest_framework.serializers", "rest_framework.compat", "requests"}
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)
    assert len(loaded) <= EXPORT_MODULES, len(loaded)


def test_the_export_command_on_sqlite_does_not_load_psycopg(tmp_path: Path) -> None:
    """The GIN indexes' search vectors are ``Deferred`` in the models' Meta.indexes and
    the migrations' operation lives apart (``common.fulltext_operations``): on SQLite
    nothing imports ``django.contrib.postgres.search`` nor psycopg (~80 modules)."""
    loaded = _export_modules(tmp_path)
    assert not {m for m in loaded if m.split(".")[0] == "psycopg"}
    assert "django.contrib.postgres.search" not in loaded


def test_the_gin_indexes_are_the_migrations_own() -> None:
    """A ``Deferred`` expression makes the same index: it deconstructs as the one the
    migrations hold (makemigrations --check compares these), and a clone stays deferred
    until read."""
    from django.contrib.postgres.search import SearchVector

    from annotate import db_indexes
    from annotate.models import Claim
    from common.fulltext import Deferred, PostgresGinIndex
    from corpus.models import Article

    claim = next(i for i in Claim._meta.indexes if i.name == "claim_search")
    vector = SearchVector("quote", "note", config="simple")
    made_here = db_indexes.PostgresGinIndex(vector, name="claim_search")
    assert claim.deconstruct() == made_here.deconstruct()
    article = next(i for i in Article._meta.indexes if i.name == "article_search")
    assert isinstance(article.expressions[0], SearchVector)
    made: list[int] = []

    def make() -> SearchVector:
        made.append(1)
        return SearchVector("quote", config="simple")

    index = PostgresGinIndex(Deferred(make), name="probe")
    copy = index.clone()
    assert made == [] and copy.deconstruct() == index.deconstruct() and len(made) == 2
    assert copy.expressions == (SearchVector("quote", config="simple"),) and len(made) == 2
