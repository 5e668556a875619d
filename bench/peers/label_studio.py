"""Label Studio 1.23.2, as its documentation runs it (``label-studio start``, SQLite in its
data folder, one process), through its REST API with a legacy token (``--user-token``,
``--enable-legacy-api-token``): the documents imported as a JSON list of tasks in one
request; the spans as one annotation of 20 regions per document (its batch); the project
exported as JSON; a task with its annotations in one request."""

from __future__ import annotations

import json
import os
import random
import secrets
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

VERSION = "1.23.2"
# sentry-sdk 3 (December 2026) refuses the ``send_default_pii`` option Label Studio 1.23.2
# passes at start-up: its requirement (>= 2.16) lets pip take 3.0, and the server exits.
PACKAGES = [f"label-studio=={VERSION}", "sentry-sdk>=2.16,<3"]
CONFIG = (
    '<View><Labels name="label" toName="text"><Label value="Claim"/></Labels>'
    '<Text name="text" value="$text"/></View>'
)


def install(cache: Path) -> Path:
    return install_venv(cache / f"label-studio-{VERSION}", PACKAGES, f"Label Studio {VERSION}")


def run(work: wl.Workload, cache: Path, fetches: int) -> Figures:
    figures = Figures("Label Studio", VERSION)
    venv = install(cache)
    port = free_port()
    token = secrets.token_hex(20)
    with tempfile.TemporaryDirectory(prefix="peers-label-studio-") as tmp:
        env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": tmp}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DATABASE_URL", None)
        command = [
            str(venv / "bin/label-studio"), "start", "--no-browser", "--data-dir", tmp,
            "--port", str(port), "--internal-host", "127.0.0.1",
            "--username", "peers@example.org", "--password", "peers-password-1",
            "--user-token", token, "--enable-legacy-api-token",
        ]  # fmt: skip
        with serving(figures, [command], env=env, cwd=tmp, log=Path(tmp) / "server.log") as sampler:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/health", 300, sampler.processes[0])
            api = Client(base, {"Authorization": f"Token {token}"})
            _workload(work, api, figures, fetches, sampler)
    return figures


def _workload(
    work: wl.Workload, api: Client, figures: Figures, fetches: int, sampler: Sampler
) -> None:
    project = api.post_json(
        "/api/projects/", {"title": "peers", "label_config": CONFIG}, expect=(201,)
    ).json()
    pid = project["id"]

    # 1. The documents: a JSON list of tasks, one request.
    tasks = json.dumps([{"data": {"text": d.text}} for d in work.documents]).encode()
    figures.import_s, answer = timed(
        lambda: api.request(
            "POST",
            f"/api/projects/{pid}/import",
            tasks,
            headers={"Content-Type": "application/json"},
            expect=(201,),
        )
    )
    figures.import_note = "one import request"
    if answer.json().get("task_count") != len(work.documents):
        raise AssertionError(f"import: {answer.json()}")
    sampler.sample()
    listed = api.get(f"/api/projects/{pid}/tasks/?page_size={len(work.documents) + 10}").json()
    rows = listed if isinstance(listed, list) else listed.get("tasks") or listed.get("results")
    by_text = {t["data"]["text"]: t["id"] for t in rows}
    ids = [by_text[d.text] for d in work.documents]

    # 2. The spans: one annotation of all its regions per document (UTF-16 offsets, as
    # its browser counts them).
    def spans() -> None:
        for pk, doc in zip(ids, work.documents, strict=True):
            result = [
                {
                    "id": f"r{i}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {
                        "start": wl.utf16(doc.text, s.start),
                        "end": wl.utf16(doc.text, s.end),
                        "text": s.quote,
                        "labels": ["Claim"],
                    },
                }
                for i, s in enumerate(doc.spans)
            ]
            api.post_json(f"/api/tasks/{pk}/annotations/", {"result": result}, expect=(201,))

    figures.spans_s, _ = timed(spans)
    figures.spans_note = f"{len(work.documents[0].spans)} regions per request"
    sampler.sample()

    # 3. The export (JSON).
    figures.export_s, answer = timed(lambda: api.get(f"/api/projects/{pid}/export?exportType=JSON"))
    figures.exported = sum(
        len(a["result"]) for t in answer.json() for a in t.get("annotations", [])
    )
    sampler.sample()

    # 4. One task with its annotations: one request.
    rng = random.Random(work.seed)
    for _ in range(fetches):
        pk = rng.choice(ids)
        began = time.perf_counter()
        got = api.get(f"/api/tasks/{pk}/").json()
        figures.fetch_ms.append((time.perf_counter() - began) * 1000)
        if sum(len(a["result"]) for a in got.get("annotations", [])) != len(
            work.documents[0].spans
        ):
            raise AssertionError(f"task {pk}: annotations missing from the answer")
    figures.fetch_note = "1 request (task)"

    # 5. A span past the end of the text.
    text = work.documents[0].text
    region = {
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": len(text) - 5, "end": len(text) + 50, "text": "x", "labels": ["Claim"]},
    }
    figures.past_end_status = api.post_json(
        f"/api/tasks/{ids[0]}/annotations/", {"result": [region]}, expect=(201, 400)
    ).status
