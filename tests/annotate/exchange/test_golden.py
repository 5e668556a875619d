"""Every export of the crafted corpus is exactly what it was: the golden files were
written by the exports as they stood before the fast row source, so a change in a byte
of any format shows here. Ids, times and the export time are pinned (sequences reset,
timestamps set, ``timezone.now`` frozen) so that the outputs are the same on SQLite and
PostgreSQL.

Regenerate (only when a format is meant to change) with
``CLAIMDESK_WRITE_GOLDEN=1 pytest tests/annotate/exchange/test_golden.py``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.utils import timezone

from annotate.models import Claim
from tests.annotate.exchange.conftest import Corpus
from tests.annotate.exchange.helpers import export_bytes

GOLDEN = Path(__file__).parent / "golden"
WRITE = os.environ.get("CLAIMDESK_WRITE_GOLDEN") == "1"
NOW = dt.datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=dt.UTC)
VARIANTS: dict[str, dict[str, Any]] = {
    "gold": {},
    "all-split": {"layer": "all", "split": True, "split_seed": 3},
    "annotators-bom": {"layer": "annotators", "bom": True},
}
FORMATS = ("jsonl", "csv", "w3c", "parquet", "brat")


def _pin_times(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    base = dt.datetime(2024, 6, 1, 8, 0, 0, tzinfo=dt.UTC)
    for n, pk in enumerate(Claim.objects.order_by("id").values_list("id", flat=True)):
        # Whole seconds on some claims: isoformat leaves the microseconds out then.
        micro = 0 if n % 3 == 0 else 1000 * n + 7
        created = base + dt.timedelta(hours=n, microseconds=micro)
        Claim.objects.filter(pk=pk).update(
            created=created, updated=created + dt.timedelta(minutes=5)
        )
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def _comparable(fmt: str, data: bytes) -> bytes:
    """The bytes to compare: the file itself for text formats; for Parquet the schema,
    metadata and rows (the file embeds the writer's version); for brat the members."""
    if fmt == "parquet":
        table = pq.read_table(io.BytesIO(data))
        doc = {
            "schema": str(table.schema.remove_metadata()),
            "metadata": {k.decode(): v.decode() for k, v in table.schema.metadata.items()},
            "rows": table.to_pylist(),
            "row_groups": pq.ParquetFile(io.BytesIO(data)).metadata.num_row_groups,
        }
        return (
            json.dumps(doc, ensure_ascii=False, indent=1, default=str, sort_keys=True) + "\n"
        ).encode()
    if fmt == "brat":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = [
                f"=== {info.filename} {info.date_time}\n".encode() + archive.read(info)
                for info in archive.infolist()
            ]
        return b"\n".join(parts)
    return data


@pytest.mark.django_db(transaction=True, reset_sequences=True)
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("fmt", FORMATS)
def test_exports_are_byte_for_byte_unchanged(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, fmt: str, variant: str
) -> None:
    _pin_times(corpus, monkeypatch)
    got = _comparable(fmt, export_bytes(fmt, corpus.project, **VARIANTS[variant]))
    path = GOLDEN / f"{variant}.{fmt}.golden"
    if WRITE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(got)
    assert got == path.read_bytes()
