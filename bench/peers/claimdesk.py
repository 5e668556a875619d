"""Claimdesk in its production shape — gunicorn (2 workers) and one task worker, DEBUG off,
the database cache and tasks — on PostgreSQL (a cluster of its own, fsync on) or SQLite,
driven through its documented REST API like the peers."""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.peers import workload as wl
from bench.peers.common import (
    Client,
    Figures,
    Sampler,
    free_port,
    multipart,
    serving,
    timed,
    wait_http,
)

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv/bin/python")
SLUG = "peers"

# The project, its manager (with a token) and the annotator whose claims the import writes;
# the scheme requires only the span, as the peers' label configs do.
SETUP = """
import json, sys
from rest_framework.authtoken.models import Token
from corpus.models import Role
from corpus.scheme import default_scheme
from corpus.services import membership_set, project_create, user_ensure
scheme = default_scheme()
for spec in scheme["fields"].values():
    spec["required"] = False
project = project_create(name="Peers", slug="peers", scheme=scheme)
manager = user_ensure(username="peers-manager")
annotator = user_ensure(username="peers-annotator")
membership_set(project=project, user=manager, role=Role.MANAGER)
membership_set(project=project, user=annotator, role=Role.ANNOTATOR)
print(json.dumps({"manager": Token.objects.create(user=manager).key,
                  "annotator": Token.objects.create(user=annotator).key}))
"""


# Waits (up to TIMEOUT s) until the task worker has no task waiting or running: the
# upload's search entries (corpus.indexing) are built by a task after the upload answers,
# and an export timed while it ran shared the 2 cores and the database with it (PostgreSQL:
# 0.62 s against 0.31 s). Prints how long it waited and the tasks that were still to do.
DRAIN = """
import json, time
from django_tasks_db.models import DBTaskResult
began = time.monotonic()
busy = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
first = sorted(busy.values_list("task_path", flat=True))
while busy.exists() and time.monotonic() - began < TIMEOUT:
    time.sleep(0.05)
print(json.dumps({"waited_s": time.monotonic() - began, "busy": first, "left": busy.count()}))
"""
# The tasks that ran during [START, END] (epoch seconds): what the export shared the machine
# with; and how long before START the last task finished (the margin there was).
OVERLAP = """
import datetime as dt, json
from django.db.models import Max, Q
from django_tasks_db.models import DBTaskResult
start, end = (dt.datetime.fromtimestamp(t, dt.UTC) for t in (START, END))
ran = DBTaskResult.objects.filter(started_at__lt=end).filter(
    Q(finished_at__isnull=True) | Q(finished_at__gt=start))
last = DBTaskResult.objects.filter(finished_at__lte=start).aggregate(at=Max("finished_at"))["at"]
print(json.dumps({"overlap": sorted(set(ran.values_list("task_path", flat=True))),
                  "margin_s": None if last is None else (start - last).total_seconds()}))
"""


def _shell(env: dict[str, str], code: str) -> object:
    """``code`` run by ``manage.py shell`` with the server's settings; its last line, as JSON."""
    done = subprocess.run(
        [PY, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _env(database: str, port: int, workdir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE", "PYTHONDONTWRITEBYTECODE"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="peers-" + os.urandom(16).hex(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        TASKS_BACKEND="database",
        CACHE_BACKEND="database",
        STATIC_MANIFEST="1",
        LOG_FORMAT="json",
        WEB_CONCURRENCY="2",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        # Bytecode compiled once, as an install has it (outside the repository): without
        # it each process compiled ~800 modules at start, ~1 s of CPU (issue 21).
        PYTHONPYCACHEPREFIX=os.environ.get("PYTHONPYCACHEPREFIX")
        or str(Path.home() / ".cache/claimdesk/pycache"),
        MEDIA_ROOT=str(workdir / "media"),
        # Its own static files: collectstatic into the repository's staticfiles/ rewrote the
        # files another process's WhiteNoise was listing (the test suite's other leg: a
        # FileNotFoundError, a 500, in CI).
        STATIC_ROOT=str(workdir / "static"),
    )
    if database.startswith("postgres"):
        env["DATABASE_URL"] = database
    else:
        env["SQLITE_PATH"] = str(workdir / "claimdesk.sqlite3")
    return env


def run(work: wl.Workload, database: str, fetches: int) -> Figures:
    """One run on a fresh database: ``database`` is a PostgreSQL URL (an empty database)
    or ``sqlite``."""
    variant = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    figures = Figures("Claimdesk", variant)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="peers-claimdesk-") as tmp:
        workdir = Path(tmp)
        env = _env(database, port, workdir)
        for step in (
            ["migrate", "--no-input", "-v", "0"],
            ["collectstatic", "--no-input", "-v", "0"],
        ):
            subprocess.run([PY, "manage.py", *step], cwd=ROOT, env=env, check=True)
        tokens: Any = _shell(env, SETUP)
        gunicorn = [str(ROOT / ".venv/bin/gunicorn"), "-c", "config/gunicorn.conf.py"]
        worker = [PY, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
        gunicorn.append("config.wsgi")
        worker += ["--interval", "0.5"]
        with serving(
            figures, [gunicorn, worker], env=env, cwd=ROOT, log=workdir / "server.log"
        ) as sampler:
            base = f"http://127.0.0.1:{port}"
            wait_http(f"{base}/healthz", 120, sampler.processes[0])
            manager = Client(base, {"Authorization": f"Token {tokens['manager']}"})
            annotator = Client(base, {"Authorization": f"Token {tokens['annotator']}"})
            _workload(work, manager, annotator, figures, fetches, sampler, env)
    return figures


def _workload(
    work: wl.Workload,
    api: Client,
    annotator: Client,
    figures: Figures,
    fetches: int,
    sampler: Sampler,
    env: dict[str, str],
) -> None:
    # 1. The documents, in one upload, cleanup off (the peers store the text as sent). The
    # body is built before the clock starts, as Label Studio's is: building the JSONL (~50
    # ms of the client's CPU) was timed here and not there.
    body, content_type = multipart(
        {"file": ("documents.jsonl", work.jsonl(), "application/x-ndjson")},
        {"unwrap": "no", "strip_boilerplate": "false"},
    )
    seconds, answer = timed(
        lambda: api.request(
            "POST",
            f"/api/projects/{SLUG}/articles/upload/",
            body,
            headers={"Content-Type": content_type},
            expect=(201,),
        )
    )
    figures.import_s = seconds
    figures.import_note = "one upload request"
    created = answer.json()["created"]  # the new articles, as the list shows them
    if len(created) != len(work.documents):
        raise AssertionError(f"upload: {len(created)} of {len(work.documents)} created")
    sampler.sample()
    by_url = {a["url"]: a["id"] for a in created}
    ids = [by_url[d.record(i, work.seed)["url"]] for i, d in enumerate(work.documents)]

    # 2. The spans, as one annotator's claims, in one import request.
    lines = []
    for pk, doc in zip(ids, work.documents, strict=True):
        claims = [{"start": s.start, "end": s.end, "quote": s.quote} for s in doc.spans]
        lines.append(json.dumps({"id": pk, "claims": claims}, ensure_ascii=False))
    data = ("\n".join(lines) + "\n").encode()
    seconds, answer = timed(
        lambda: api.post_multipart(
            f"/api/projects/{SLUG}/import/",
            {"file": ("claims.jsonl", data, "application/x-ndjson")},
            {"annotator": "peers-annotator", "format": "jsonl"},
            expect=(201,),
        )
    )
    created = answer.json().get("created")
    figures.spans_s = seconds
    figures.spans_note = (
        f"one import request ({created:,} claims)" if created else "one import request"
    )
    sampler.sample()

    # 3. The export (JSONL, every annotator claim), once the task worker is idle (the
    # upload's search entries built: PEERS_NO_DRAIN=1 times it at once, as before).
    notes = []
    if not os.environ.get("PEERS_NO_DRAIN"):
        drained: Any = _shell(env, f"TIMEOUT = 120\n{DRAIN}")
        busy = f" for {', '.join(drained['busy'])}" if drained["busy"] else ""
        notes.append(f"after the task queue drained (waited {drained['waited_s']:.1f} s{busy})")
        if drained["left"]:
            notes.append(f"{drained['left']} task(s) still busy")
    began = time.time()
    seconds, answer = timed(
        lambda: api.get(f"/api/projects/{SLUG}/export/?format=jsonl&layer=annotators")
    )
    tasks: Any = _shell(env, f"START, END = {began!r}, {time.time()!r}\n{OVERLAP}")
    if tasks["overlap"]:
        notes.append(f"tasks running meanwhile: {', '.join(tasks['overlap'])}")
    elif tasks["margin_s"] is not None:
        notes.append(f"the last task ended {tasks['margin_s']:.1f} s before")
    figures.export_s = seconds
    figures.export_note = "; ".join(notes)
    figures.exported = sum(
        len(json.loads(line)["claims"]) for line in answer.body.splitlines() if line
    )
    sampler.sample()

    # 4. One document with its spans, in one request, as often as asked, random documents.
    rng = random.Random(work.seed)
    for _ in range(fetches):
        pk = rng.choice(ids)
        began = time.perf_counter()
        got = annotator.get(f"/api/articles/{pk}/?include=claims")
        figures.fetch_ms.append((time.perf_counter() - began) * 1000)
        if len(got.json()["claims"]) != len(work.documents[0].spans):
            raise AssertionError(f"article {pk}: {len(got.json()['claims'])} claims")
    figures.fetch_note = "1 request (?include=claims)"

    # 5. A span past the end of the text.
    doc_id, text_len = ids[0], len(work.documents[0].text)
    answer = annotator.post_json(
        f"/api/articles/{doc_id}/claims/",
        {"start": text_len - 5, "end": text_len + 50, "quote": "x"},
        expect=(400, 401, 403, 422, 201),
    )
    figures.past_end_status = answer.status
