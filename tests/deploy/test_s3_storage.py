"""Export files in S3-compatible object storage (``STORAGE_BACKEND=s3``), for real: moto's
standalone server (its ``server`` extra, a dev dependency) started by the tests on
127.0.0.1, spoken to over HTTP by django-storages and boto3 exactly as a bucket elsewhere
would be.

In process: a background export (Django's ImmediateBackend) writes a private object under
``S3_PREFIX``; the page and the API (token) stream it back through the app after the
access check; outsiders get 404; moto refuses an anonymous GET of the key (it enforces
ACLs), and the app never asks the storage for a URL. Then the production shape
(``scripts/serve-prod``: PostgreSQL, gunicorn, a ``db_worker``) with ``STORAGE_BACKEND=s3``
in its environment: the task worker writes the object, a gunicorn worker serves it.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from storages.backends.s3 import S3Storage

from annotate.exchange import tasks
from config.settings import default_storage_settings
from tests.annotate.exchange.conftest import Corpus, corpus  # noqa: F401
from tests.conftest import login
from tests.deploy.test_production_shape import (
    MANAGER,
    ROOT,
    SLUG,
    Browser,
    free_port,
    own_database,  # noqa: F401
    production_env,
    stop,
    wait_until,
)
from tests.factories import PASSWORD, UserFactory
from tests.test_settings import run_manage

KEYS = {"S3_ACCESS_KEY_ID": "claimdesk-test", "S3_SECRET_ACCESS_KEY": "claimdesk-test-secret"}
REGION = "us-east-1"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server on a free port of 127.0.0.1, for this module's tests."""
    from moto.server import ThreadedMotoServer  # imports Flask and every service: only here

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class Bucket:
    endpoint: str
    name: str
    prefix: str
    env: dict[str, str]
    client: Any

    def keys(self, under: str = "") -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name, Prefix=f"{self.prefix}/{under}")
        return [item["Key"] for item in listed.get("Contents", ())]

    def body(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return data

    def anonymous_get(self, key: str) -> int:
        """The status of a plain, unsigned GET of the object: what anyone who learnt the
        bucket and key would get."""
        try:
            with urllib.request.urlopen(f"{self.endpoint}/{self.name}/{key}", timeout=10) as r:
                return int(r.status)
        except urllib.error.HTTPError as error:
            return int(error.code)


@pytest.fixture
def bucket(moto_endpoint: str) -> Bucket:
    name = f"claimdesk-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=name)
    env = {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": name,
        "S3_ENDPOINT_URL": moto_endpoint,
        "S3_REGION": REGION,
        "S3_PREFIX": "claimdesk",
        **KEYS,
    }
    return Bucket(moto_endpoint, name, "claimdesk", env, client)


@pytest.fixture
def s3(settings: Any, bucket: Bucket, monkeypatch: Any) -> Bucket:
    """Default storage is the bucket, configured by config/settings.py from the same
    variables a deployment sets. Asking the storage for a URL fails the test: downloads
    go through the app, never to a (signed or public) storage URL."""
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_settings(bucket.env)}

    def no_url(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("the app handed out a storage URL")

    monkeypatch.setattr(S3Storage, "url", no_url)
    return bucket


def test_a_deployment_s_variables_select_the_bucket() -> None:
    """config/settings.py in a fresh process, as a deployment sets it (no server needed:
    nothing is stored)."""
    code = (
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__name__, s.bucket_name, s.location, s.default_acl, s.max_memory_size)"
    )
    variables = {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": "exports",
        "S3_PREFIX": "claimdesk",
        "S3_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    result = run_manage("shell", "-v", "0", "-c", code, **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "S3Storage",
        "exports",
        "claimdesk",
        "private",
        str(django_settings.EXPORT_SPOOL_BYTES),
    ]
    refused = run_manage("check", STORAGE_BACKEND="s3")
    assert refused.returncode != 0
    assert "STORAGE_BACKEND=s3 needs S3_BUCKET" in refused.stderr


def _assert_private(bucket: Bucket, key: str) -> None:
    acl = bucket.client.get_object_acl(Bucket=bucket.name, Key=key)
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]
    assert acl["Grants"][0]["Grantee"]["Type"] == "CanonicalUser"  # the owner, nobody else
    assert bucket.anonymous_get(key) == 403


def test_the_settings_make_a_private_bucket_storage(s3: Bucket) -> None:
    options = default_storage_settings(s3.env)["OPTIONS"]
    assert isinstance(options, dict)
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True  # were a URL ever made, it would be signed
    assert options["file_overwrite"] is False
    path = default_storage.save("exports/probe.txt", ContentFile(b"probe"))
    assert s3.keys() == [f"claimdesk/{path}"]
    _assert_private(s3, f"claimdesk/{path}")
    # The anonymous GET is refused because the object is private, not because moto
    # refuses everything: a public-read object next to it is served.
    s3.client.put_object(Bucket=s3.name, Key="public", Body=b"x", ACL="public-read")
    assert s3.anonymous_get("public") == 200


def test_background_export_writes_a_private_object_served_through_the_app(
    client: Client,
    corpus: Corpus,  # noqa: F811
    s3: Bucket,
    monkeypatch: Any,
) -> None:
    slug = corpus.project.slug
    download = reverse("annotate:export-download", args=[slug])
    params = {"format": "jsonl", "layer": "all"}
    login(client, corpus.curator)
    direct = client.get(download, params).getvalue()
    monkeypatch.setattr(tasks, "DIRECT_LIMIT", 2)

    # The page: queued (and, with the ImmediateBackend, run) in the request.
    response = client.get(download, params)
    assert response.status_code == 302
    job = response["Location"].rstrip("/").split("/")[-1]
    assert "Done:" in client.get(response["Location"]).content.decode()
    [key] = s3.keys(f"exports/{slug}/{job}/")
    assert key.startswith(f"claimdesk/exports/{slug}/{job}/") and key.endswith(".jsonl")
    _assert_private(s3, key)
    stored = s3.body(key)
    # The same bytes as the export streamed directly, but for the time of export.
    assert _untimed(stored) == _untimed(direct)
    file_url = reverse("annotate:export-job-file", args=[slug, job])
    page_download = client.get(file_url)
    assert page_download.status_code == 200
    assert "attachment" in page_download["Content-Disposition"]
    assert int(page_download["Content-Length"]) == len(stored)
    assert page_download.getvalue() == stored

    # The API with a token: the job's download link streams the same object.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=corpus.curator).key}")
    started = api.get(f"/api/projects/{slug}/export/", {**params, "background": "1"})
    assert started.status_code == 202
    api_job = started.json()["job"]
    followed = api.get(f"/api/projects/{slug}/export/jobs/{api_job}/").json()
    assert followed["state"] == "done"
    [api_key] = s3.keys(f"exports/{slug}/{api_job}/")
    _assert_private(s3, api_key)
    got = api.get(followed["download"])
    assert got.status_code == 200
    assert got.getvalue() == s3.body(api_key)
    assert _untimed(s3.body(api_key)) == _untimed(stored)
    lines = [json.loads(line) for line in stored.splitlines()]
    assert sum(len(line.get("claims", ())) for line in lines) == followed["total"] > 0

    # Outsiders: 404 on the page and the API, anonymous: login or 401; nothing leaks.
    outsider = UserFactory(password=PASSWORD)
    login(client, outsider)
    assert client.get(file_url).status_code == 404
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=outsider).key}")
    assert stranger.get(followed["download"]).status_code == 404
    assert APIClient().get(followed["download"]).status_code == 401
    client.logout()
    assert client.get(file_url).status_code == 302


def _untimed(export: bytes) -> bytes:
    return re.sub(rb'"exported_at": "[^"]+"', b'"exported_at": ""', export)


@pytest.mark.parametrize("backend", ["s3", "filesystem"])
def test_a_file_gone_from_storage_is_404_not_a_server_error(
    client: Client,
    corpus: Corpus,  # noqa: F811
    bucket: Bucket,
    settings: Any,
    tmp_path: Path,
    backend: str,
) -> None:
    """A bucket's expiry rule (or someone cleaning the volume) removed the job's file."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    env = bucket.env if backend == "s3" else {"STORAGE_BACKEND": "filesystem"}
    settings.STORAGES = {**settings.STORAGES, "default": default_storage_settings(env)}
    slug = corpus.project.slug
    login(client, corpus.curator)
    response = client.get(
        reverse("annotate:export-download", args=[slug]), {"format": "csv", "background": "1"}
    )
    job = response["Location"].rstrip("/").split("/")[-1]
    status = tasks.job_status(job)
    assert status is not None and status["state"] == "done"
    default_storage.delete(status["path"])
    if backend == "s3":
        assert bucket.keys(f"exports/{slug}/{job}/") == []
    gone = client.get(reverse("annotate:export-job-file", args=[slug, job]))
    assert gone.status_code == 404
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=corpus.curator).key}")
    answer = api.get(f"/api/projects/{slug}/export/jobs/{job}/file/")
    assert answer.status_code == 404
    assert "no longer in storage" in answer.json()["detail"]


def test_a_big_file_is_read_back_through_a_disk_spool_not_memory(s3: Bucket) -> None:
    """Reading a stored file downloads it into a spool; django-storages' default keeps
    the spool in memory whatever its size, so a big export's download sat whole in a
    web worker. Past EXPORT_SPOOL_BYTES it now rolls over to a temporary file."""
    size = django_settings.EXPORT_SPOOL_BYTES + 1
    path = default_storage.save("exports/big.bin", ContentFile(b"x" * size))
    with default_storage.open(path, "rb") as handle:
        assert handle.read(1) == b"x"
        spool = handle.file
        assert isinstance(spool, tempfile.SpooledTemporaryFile)
        assert spool._rolled  # type: ignore[attr-defined]  # on disk, not in memory
        handle.seek(0, 2)
        assert handle.tell() == size


def _results(page: Any) -> list[Any]:
    """A list answer's items, paginated or not."""
    return list(page["results"] if isinstance(page, dict) else page)


def test_production_shape_exports_to_the_bucket(
    own_database: str | None,  # noqa: F811
    bucket: Bucket,
    tmp_path: Path,
) -> None:
    """serve-prod with STORAGE_BACKEND=s3: the task worker writes the export to the
    bucket (no MEDIA_ROOT is written), gunicorn serves it to a token client and to the
    session of the page, outsiders get 404."""
    port = free_port()
    log = tmp_path / "serve-prod.log"
    media = tmp_path / "media"
    env = production_env(
        MEDIA_ROOT=str(media), STATIC_ROOT=str(tmp_path / "static"), SEED_DEMO="1", **bucket.env
    )
    if own_database:
        env["DATABASE_URL"] = own_database
    server = subprocess.Popen(
        ["scripts/serve-prod"],
        cwd=ROOT,
        env={**env, "PORT": str(port), "WEB_CONCURRENCY": "1", "TASK_WORKERS": "1"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # Migrations, collectstatic and the demo data: slow on a busy 2-core machine.
        wait_until("serve-prod", lambda: "serve-prod: ready" in log.read_text(), 240, log)
        api = Browser(port)
        status, body = api.json(
            "POST", "/api/auth/token/", {"username": MANAGER[0], "password": MANAGER[1]}
        )
        assert status == 200, body
        api.token = body["token"]
        # One claim, so that the export has something to carry.
        status, articles = api.json("GET", f"/api/projects/{SLUG}/articles/")
        assert status == 200, articles
        first = _results(articles)[0]
        status, article = api.json("GET", f"/api/articles/{first['id']}/")
        quote = article["text"][:24]
        sources = api.json("GET", f"/api/projects/{SLUG}/sources/")[1]
        targets = api.json("GET", f"/api/projects/{SLUG}/targets/")[1]
        labels = {
            "source": _results(sources)[0]["id"],
            "stances": [{"target": _results(targets)[0]["id"], "stance": "favor"}],
            "attribution": "reported",
            "source_reliability": "B",
            "information_credibility": "2",
            "claim_type": "factual",
        }
        status, claim = api.json(
            "POST",
            f"/api/articles/{first['id']}/claims/",
            {"start": 0, "end": 24, "quote": quote, **labels},
        )
        assert status == 201, claim
        status, job = api.json(
            "GET", f"/api/projects/{SLUG}/export/?format=jsonl&layer=all&background=1"
        )
        assert status == 202, job
        done = wait_until(
            "the export job",
            lambda: (
                (found := api.json("GET", f"/api/projects/{SLUG}/export/jobs/{job['job']}/")[1])
                and found["state"] in {"done", "failed"}
                and found
            ),
            30,
            log,
        )
        assert done["state"] == "done", done
        [key] = bucket.keys(f"exports/{SLUG}/{job['job']}/")
        _assert_private(bucket, key)
        stored = bucket.body(key)
        [line] = [json.loads(line) for line in stored.splitlines()]
        assert [c["quote"] for c in line["claims"]] == [quote]
        assert not media.exists()  # nothing went to the filesystem

        # The token client downloads it through gunicorn, which reads it from the bucket.
        download = urlsplit(done["download"]).path
        status, headers, data = api.request("GET", download)
        assert status == 200, headers
        assert "attachment" in headers["content-disposition"]
        assert data == stored

        # The page's download link, with a session.
        page = Browser(port)
        status, _, form_page = page.request("GET", "/accounts/login/")
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form_page)
        assert csrf is not None
        form = {"username": MANAGER[0], "password": MANAGER[1]}
        status, _, _ = page.request(
            "POST",
            "/accounts/login/",
            urlencode({**form, "csrfmiddlewaretoken": csrf.group(1).decode()}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302
        file_path = f"/projects/{SLUG}/export/jobs/{job['job']}/file/"
        status, _, data = page.request("GET", file_path)
        assert (status, data) == (200, stored)

        # No session, no token: no file.
        assert Browser(port).request("GET", download)[0] == 401
        assert Browser(port).request("GET", file_path)[0] == 302
    finally:
        stop(server)
