"""Benchmark scenario of export files in storage: a background export of the whole project
(JSONL, both layers; ``tasks.start_export``, run at once by the ImmediateBackend: stream,
spool, ``default_storage.save``) and its download through the app (the Export page's file
link, which reads it back from storage), on the filesystem and on S3.

S3 is moto's standalone server (``moto_server``, a dev dependency) in a process of its
own on 127.0.0.1, reached over HTTP by django-storages and boto3 as a real bucket would
be. moto is Python keeping objects in memory, not S3: the figure shows what the S3 path
costs the app (uploads in 8 MB parts, the download spooled), not S3's speed. Importing
this module adds the scenario to ``bench.scenarios.SCENARIOS``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from annotate.exchange import tasks
from annotate.exchange.options import ExportOptions
from bench.scenarios import SCENARIOS, Context, Result, summary
from config.settings import default_storage_settings
from corpus.models import Project

BUCKET = "claimdesk-bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def moto_bucket() -> Iterator[dict[str, str]]:
    """``moto_server`` on a free port with an empty bucket; yields the S3_* variables."""
    import boto3

    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        env = {
            "STORAGE_BACKEND": "s3",
            "S3_BUCKET": BUCKET,
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "bench",
            "S3_SECRET_ACCESS_KEY": "bench-secret",
            "S3_PREFIX": "claimdesk",
        }
        client = boto3.client(
            "s3",
            endpoint_url=env["S3_ENDPOINT_URL"],
            region_name=env["S3_REGION"],
            aws_access_key_id=env["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)


def _export_and_download(ctx: Context, project: Project, backend: str) -> list[Result]:
    user_id = ctx.project.manager_id
    manager = get_user_model().objects.get(pk=user_id)
    options = ExportOptions(layer="all")
    client = ctx.client(user_id)
    write_ms: list[float] = []
    read_ms: list[float] = []
    claims = size = 0
    for _ in range(min(ctx.heavy_reps, 2)):
        began = time.perf_counter()
        job = tasks.start_export(project=project, fmt="jsonl", options=options, user=manager)
        write_ms.append((time.perf_counter() - began) * 1000)
        status = tasks.job_status(job)
        assert status is not None and status["state"] == "done", status
        claims, size = status["done"], status["size"]
        url = reverse("annotate:export-job-file", args=[project.slug, job])
        began = time.perf_counter()
        response = client.get(url)
        got = len(response.getvalue())
        read_ms.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200 and got == size, (response.status_code, got, size)
    write = summary(
        "storage", f"background export to {backend} (JSONL, {claims:,} claims)", write_ms
    )
    write.extra = {
        "claims": claims,
        "claims_per_s": round(claims / (write.median_ms / 1000)) if write.median_ms else 0,
        "mb": round(size / 1e6, 1),
    }
    read = summary("storage", f"its download through the app, from {backend}", read_ms)
    read.extra = {"mb": round(size / 1e6, 1)}
    for row in (write, read):
        print(
            f"bench [{connection.vendor}] {row.name}: {row.median_ms:,.0f} ms"
            + (f" = {row.extra['claims_per_s']:,} claims/s" if "claims_per_s" in row.extra else ""),
            file=sys.stderr,
            flush=True,
        )
    return [write, read]


def storage(ctx: Context) -> list[Result]:
    project = Project.objects.get(pk=ctx.project.project_id)
    rows: list[Result] = []
    media = ctx.tmp / "storage-media"
    filesystem = {**settings.STORAGES, "default": default_storage_settings({})}
    with override_settings(MEDIA_ROOT=str(media), STORAGES=filesystem):
        rows += _export_and_download(ctx, project, "the filesystem")
    shutil.rmtree(media, ignore_errors=True)
    try:
        import boto3  # noqa: F401
        import storages  # noqa: F401
    except ImportError as exc:
        return [*rows, Result("storage", "export to S3", note=f"not available yet ({exc})")]
    with moto_bucket() as env:
        s3 = {**settings.STORAGES, "default": default_storage_settings(env)}
        with override_settings(STORAGES=s3):
            rows += _export_and_download(ctx, project, "S3 (moto)")
    rows[-2].note = "moto_server on 127.0.0.1: Python, in memory — not S3's speed"
    return rows


SCENARIOS["storage"] = storage
