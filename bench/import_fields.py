"""Every stored field of an upload's articles, as one digest: for comparing two trees.

    python -m bench.import_fields [--documents 1000]

Uploads the peers' documents (``bench.peers.workload``, title, URL and language given)
and the ``import_api`` scenario's (``bench.generate``: no title, bylines, dates and
rubrics in the text) through ``POST /api/projects/{slug}/articles/upload/`` — Django's
WSGI handler, a multipart body as a client sends it — each with the cleanup off and on,
into fresh projects of the configured database (SQLite: ``SQLITE_PATH``; PostgreSQL:
``DATABASE_URL``), and prints one line per upload: the number of articles and the
SHA-256 of every stored field of each (all but the id, the project and the two times,
which differ from run to run; the ids' order is kept), then removes the projects. Run
it with two trees on the same kind of database: equal digests say the stored articles
are the same (issue 21: the upload made cheaper without changing a stored value).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_fields")
    parser.add_argument("--documents", type=int, default=1000)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command

    from bench.generate import article_records
    from bench.peers import workload as wl
    from bench.peers.common import multipart
    from corpus.models import Article, Role
    from corpus.services import (
        membership_set,
        project_create,
        project_delete,
        token_issue,
        user_ensure,
    )

    call_command("migrate", verbosity=0)
    app = WSGIHandler()
    user = user_ensure(username="import-fields")
    token = token_issue(user=user).key
    files = {
        "peers": wl.make(args.documents, 1).jsonl(),
        "import_api": "".join(
            json.dumps(r, ensure_ascii=False) + "\n"
            for r in article_records(args.documents, seed=11)
        ).encode(),
    }
    modes = {
        "cleanup off": {"unwrap": "no", "strip_boilerplate": "false"},
        "cleanup on": {"unwrap": "auto", "strip_boilerplate": "true"},
    }
    fields = [
        f.attname
        for f in Article._meta.concrete_fields
        if f.attname not in {"id", "project_id", "created", "updated"}
    ]
    for name, data in files.items():
        for mode, options in modes.items():
            slug = f"import-fields-{os.getpid()}"
            project = project_create(name=slug, slug=slug)
            membership_set(project=project, user=user, role=Role.MANAGER)
            body, content_type = multipart(
                {"file": (f"{name}.jsonl", data, "application/x-ndjson")}, options
            )
            status = _post(app, f"/api/projects/{slug}/articles/upload/", body, content_type, token)
            if not status.startswith("201"):
                raise SystemExit(f"{name}, {mode}: {status}")
            rows = Article.objects.filter(project=project).order_by("id").values_list(*fields)
            digest = hashlib.sha256()
            count = 0
            for row in rows:
                digest.update(json.dumps(row, default=str, ensure_ascii=False).encode())
                count += 1
            print(f"{name:10s} {mode:11s} {count:5d} articles  {digest.hexdigest()}")
            project_delete(project=project)
    return 0


def _post(app: Any, path: str, body: bytes, content_type: str, token: str) -> str:
    from bench.probe_import import wsgi_post

    status, _ = wsgi_post(app, path, io.BytesIO(body), len(body), content_type, token)
    return status


if __name__ == "__main__":
    sys.exit(main())
