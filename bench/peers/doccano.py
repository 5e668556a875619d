"""doccano 1.8.4, as its documentation runs it (``doccano webserver`` and ``doccano task``,
SQLite, the Celery queue on the same database), through its REST API: a token from
``/v1/auth/login/``; documents uploaded with FilePond and imported by a background job;
spans one per request (its API has no batch); an export job; a document and its spans in
two requests."""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

from bench.peers import workload as wl
from bench.peers.common import (
    Client,
    Figures,
    Sampler,
    free_port,
    install_venv,
    serving,
    timed,
    wait_http,
)

VERSION = "1.8.4"
PACKAGES = [f"doccano=={VERSION}", "marshmallow<4", "numpy<2"]
USER, PASSWORD = "admin", "peers-password-1"


def install(cache: Path) -> Path:
    return install_venv(cache / f"doccano-{VERSION}", PACKAGES, f"doccano {VERSION}")


def _wait_job(api: Client, task_id: str, seconds: float = 1800) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = api.get(f"/v1/tasks/status/{task_id}").json()
        if state.get("ready"):
            if state.get("error"):
                raise RuntimeError(f"doccano job {task_id}: {state['error']}")
            return dict(state)
        time.sleep(0.05)
    raise RuntimeError(f"doccano job {task_id} did not end")


def run(work: wl.Workload, cache: Path, fetches: int) -> Figures:
    figures = Figures("doccano", VERSION)
    venv = install(cache)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="peers-doccano-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "ADMIN_USERNAME": USER,
            "ADMIN_PASSWORD": PASSWORD,
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        doccano = str(venv / "bin/doccano")
        subprocess.run([doccano, "init"], env=env, cwd=tmp, check=True, capture_output=True)
        subprocess.run(
            [doccano, "createuser", "--username", USER, "--password", PASSWORD],
            env=env,
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        commands = [[doccano, "webserver", "--port", str(port)], [doccano, "task"]]
        with serving(figures, commands, env=env, cwd=tmp, log=Path(tmp) / "server.log") as sampler:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/v1/health/", 180, sampler.processes[0])
            login = Client(base).post_json(
                "/v1/auth/login/", {"username": USER, "password": PASSWORD}
            )
            api = Client(base, {"Authorization": f"Token {login.json()['key']}"})
            _workload(work, api, figures, fetches, sampler)
    return figures


def _workload(
    work: wl.Workload, api: Client, figures: Figures, fetches: int, sampler: Sampler
) -> None:
    project = api.post_json(
        "/v1/projects",
        {
            "name": "peers",
            "description": "bench-peers",
            "guideline": "",
            "project_type": "SequenceLabeling",
            "resourcetype": "SequenceLabelingProject",
            "random_order": False,
            "collaborative_annotation": False,
            "allow_overlapping": False,
            "grapheme_mode": False,
            "use_relation": False,
            "tags": [],
        },
        expect=(201,),
    ).json()
    pid = project["id"]
    label = api.post_json(
        f"/v1/projects/{pid}/span-types",
        {"text": "Claim", "background_color": "#2196F3", "text_color": "#ffffff"},
        expect=(201,),
    ).json()["id"]

    # 1. The documents: the file through FilePond, then the import job (until it ends).
    def upload() -> None:
        upload_id = api.post_multipart(
            "/v1/fp/process/",
            {"filepond": ("documents.jsonl", work.jsonl(), "application/octet-stream")},
        ).body.decode()
        job = api.post_json(
            f"/v1/projects/{pid}/upload",
            {
                "uploadIds": [upload_id],
                "format": "JSONL",
                "task": "SequenceLabeling",
                "column_data": "text",
                "column_label": "label",
                "delimiter": "",
                "encoding": "utf_8",
            },
        ).json()
        _wait_job(api, job["task_id"])

    figures.import_s, _ = timed(upload)
    figures.import_note = "upload + background job"
    sampler.sample()
    listed = api.get(f"/v1/projects/{pid}/examples?limit={len(work.documents) + 10}").json()
    examples = {e["text"]: e["id"] for e in listed["results"]}
    ids = [examples[d.text] for d in work.documents]

    # 2. The spans, one request each (offsets as its browser counts them: UTF-16).
    def spans() -> None:
        for pk, doc in zip(ids, work.documents, strict=True):
            for s in doc.spans:
                api.post_json(
                    f"/v1/projects/{pid}/examples/{pk}/spans",
                    {
                        "label": label,
                        "start_offset": wl.utf16(doc.text, s.start),
                        "end_offset": wl.utf16(doc.text, s.end),
                    },
                    expect=(201,),
                )

    figures.spans_s, _ = timed(spans)
    figures.spans_note = "one request per span"
    sampler.sample()

    # 3. The export: a job, then the file.
    def export() -> bytes:
        job = api.post_json(
            f"/v1/projects/{pid}/download", {"format": "JSONL", "exportApproved": False}
        ).json()
        _wait_job(api, job["task_id"])
        return api.get(f"/v1/projects/{pid}/download?taskId={job['task_id']}").body

    figures.export_s, data = timed(export)
    figures.exported = _count_exported(data)
    sampler.sample()

    # 4. One document and its spans: two requests.
    rng = random.Random(work.seed)
    for _ in range(fetches):
        pk = rng.choice(ids)
        began = time.perf_counter()
        api.get(f"/v1/projects/{pid}/examples/{pk}")
        got = api.get(f"/v1/projects/{pid}/examples/{pk}/spans").json()
        figures.fetch_ms.append((time.perf_counter() - began) * 1000)
        if len(got) != len(work.documents[0].spans):
            raise AssertionError(f"example {pk}: {len(got)} spans")
    figures.fetch_note = "2 requests (example, spans)"

    # 5. A span past the end of the text.
    figures.past_end_status = api.post_json(
        f"/v1/projects/{pid}/examples/{ids[0]}/spans",
        {
            "label": label,
            "start_offset": len(work.documents[0].text) - 5,
            "end_offset": len(work.documents[0].text) + 50,
        },
        expect=(201, 400),
    ).status


def _count_exported(data: bytes) -> int:
    """Spans in the export: a zip of JSONL files (one per user) or JSONL."""
    import io
    import zipfile

    blobs = [data]
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            blobs = [z.read(n) for n in z.namelist()]
    total = 0
    for blob in blobs:
        for line in blob.splitlines():
            if line.strip():
                record = json.loads(line)
                total += len(record.get("label") or record.get("entities") or [])
    return total
