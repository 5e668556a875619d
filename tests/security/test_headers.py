"""The headers every answer carries: a strict Content-Security-Policy, Permissions-Policy,
``Cache-Control: private, no-store`` for logged-in users; ``/healthz`` over plain HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.conftest import login
from tests.test_settings import run_manage


def _csp(response: Any) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client: Client, annotator: Any) -> None:
    login(client, annotator)
    csp = _csp(client.get("/projects/"))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no nonce: our pages use none
    assert csp["style-src"] == "'self'"
    assert csp["style-src-attr"] == "'unsafe-inline'"
    assert csp["img-src"] == "'self' data:"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in client.get("/projects/")["Content-Security-Policy"]


@pytest.mark.django_db
def test_the_api_docs_page_has_no_inline_script_and_a_nonce_for_its_style(
    client: Client, annotator: Any
) -> None:
    login(client, annotator)
    response = client.get("/api/docs/")
    html = response.content.decode()
    nonce = _csp(response)["style-src"].split("'nonce-")[1].rstrip("'")
    assert f'<style nonce="{nonce}">' in html
    assert "<script>" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


@pytest.mark.django_db
def test_permissions_policy_switches_off_unused_features(client: Client) -> None:
    policy = client.get("/accounts/login/")["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


@pytest.mark.django_db
def test_logged_in_answers_are_private_and_not_stored(client: Client, annotator: Any) -> None:
    login(client, annotator)
    for url in ("/projects/", "/queue/", "/api/projects/"):
        cache_control = client.get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, url


@pytest.mark.django_db
def test_api_answers_to_a_token_are_private_and_not_stored(annotator: Any) -> None:
    token = Token.objects.create(user=annotator)
    response = Client().get("/api/projects/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_anonymous_answers_and_healthz_are_left_alone(client: Client) -> None:
    public = client.get("/api/schema/")
    assert public.status_code == 200
    assert "no-store" not in public.get("Cache-Control", "")
    health = client.get("/healthz")
    # never_cache's own header, and no session read (no "Vary: Cookie").
    assert health["Cache-Control"].startswith("max-age=0")
    assert "Cookie" not in health.get("Vary", "")


def test_production_redirects_to_https_except_healthz() -> None:
    """With DEBUG off (SECURE_SSL_REDIRECT on), a page over plain HTTP is redirected but the
    load balancer's probe of /healthz is answered."""
    code = (
        "import json; from django.test import Client; c = Client(); "
        "h = c.get('/healthz'); p = c.get('/accounts/login/'); "
        "print(json.dumps([h.status_code, p.status_code, p.get('Location'), "
        "h.get('Content-Security-Policy'), h.get('Permissions-Policy')]))"
    )
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        code,
        DEBUG="0",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="testserver",
        CACHE_BACKEND="locmem",
    )
    assert result.returncode == 0, result.stderr
    health, page, location, csp, permissions = json.loads(result.stdout.strip().splitlines()[-1])
    assert (health, page) == (200, 301)
    assert location == "https://testserver/accounts/login/"
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in permissions
