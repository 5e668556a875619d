"""No stored text renders as HTML.

Script and event-handler payloads go in through every text field a user can write (the
API, the import, the services the review pages call; project description and guidelines
through the model, as the admin writes them), then every page and fragment that shows
them is fetched and parsed: no element may carry an ``on*`` handler with the payload, no
script element may hold it, and the payload must be there, escaped (so the page did show it).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotate.models import Claim
from annotate.review import gold as gold_services
from corpus.models import Article
from tests.security.conftest import LABELS, World, api_client, page_client

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
BOTH = f"x {SCRIPT} {IMG} y"


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "onerror" or (name.startswith("on") and "alert(1)" in (value or "")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        # json_script data is not run (and its < > & are escaped: checked above).
        self._in_script = tag == "script" and dict(attrs).get("type") != "application/json"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(1)" in data:
            self.problems.append(f"<script>{data[:60]}</script>")


def assert_escaped(html: str, where: str, *, shown: bool = True) -> None:
    """The payload is shown (escaped) and nowhere live in the HTML."""
    assert not shown or "alert(1)" in html, f"{where}: the payload isn't on the page at all"
    assert "<script>alert(1)" not in html, f"{where}: a live <script> payload"
    assert IMG not in html, f"{where}: a live <img onerror> payload"
    # Attribute values may hold the escaped payload; a tag may not hold the handler.
    tags = re.sub(r'"[^"]*"', '""', html)
    assert not re.search(r"<[a-zA-Z][^<>]*\sonerror\s*=", tags), f"{where}: onerror in a tag"
    scanner = _Scanner()
    scanner.feed(html)
    assert not scanner.problems, f"{where}: {scanner.problems}"


@pytest.fixture
def hostile(world: World) -> World:
    """The world with the payloads in every text field."""
    manager, curator, a = world.users["manager"], world.users["curator"], world.a
    project = world.project
    project.description = BOTH
    project.guidelines = f"# Rules\n\n{BOTH}\n\n[link](javascript:alert(1))"
    project.save()
    api = api_client(manager)
    response = api.post(
        reverse("api:article-list", args=[project.slug]),
        {"text": f"Said {BOTH} today.", "title": f"T {BOTH}", "byline": BOTH, "outlet": BOTH},
        format="json",
    )
    assert response.status_code == 201, response.content
    article = Article.objects.get(pk=response.json()["id"])
    line = json.dumps({"text": f"Imported {BOTH}.", "title": f"I {BOTH}", "byline": BOTH})
    upload = SimpleUploadedFile("hostile.jsonl", line.encode(), "application/x-ndjson")
    response = api.post(
        reverse("api:article-upload", args=[project.slug]), {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    for pk in (article.pk, Article.objects.get(title__startswith="I ").pk):
        response = api.post(
            reverse("api:assignment-list", args=[project.slug]),
            {"article": pk, "annotator": a.pk},
            format="json",
        )
        assert response.status_code == 201, response.content

    response = api_client(a).post(
        reverse("api:source-list", args=[project.slug]),
        {"name": f"Evil {SCRIPT}", "description": IMG, "aliases": [f"Alias {IMG}"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    source_id = response.json()["id"]
    response = api_client(a).post(
        reverse("api:target-list", args=[project.slug]), {"name": f"Target {IMG}"}, format="json"
    )
    assert response.status_code == 201, response.content
    target_id = response.json()["id"]
    start = article.text.index("Said")
    body = {
        "start": start,
        "end": start + 4,
        "quote": "Said",
        "source": source_id,
        "stances": [{"target": target_id, "stance": "favor"}],
        "note": BOTH,
        **LABELS,
    }
    response = api_client(a).post(reverse("api:claim-list", args=[article.pk]), body, format="json")
    assert response.status_code == 201, response.content
    world.article = article
    world.claim = Claim.objects.get(pk=response.json()["id"])
    world.gold = gold_services.gold_accept(curator=curator, claim=world.claim, rationale=BOTH)
    world.source = world.claim.source
    return world


def _pages(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    """(who, url, GET parameters) of every page and fragment that shows the payloads."""
    slug, article, source = w.project.slug, w.article.pk, w.source.pk
    return [
        ("manager", reverse("corpus:project-list"), {}),
        ("manager", reverse("corpus:project-detail", args=[slug]), {}),
        ("manager", reverse("corpus:article-list", args=[slug]), {}),
        ("manager", reverse("corpus:article-list", args=[slug]), {"q": "Said"}),
        ("manager", reverse("corpus:article-detail", args=[article]), {}),
        ("manager", reverse("annotate:source-list", args=[slug]), {}),
        ("manager", reverse("annotate:source-list", args=[slug]), {"q": "evil"}),
        ("manager", reverse("annotate:source-detail", args=[source]), {}),
        ("manager", reverse("annotate:source-profile", args=[source]), {}),
        ("manager", reverse("annotate:analysis-overview", args=[slug]), {}),
        ("manager", reverse("annotate:stance-map", args=[slug]), {}),
        ("manager", reverse("annotate:claim-search", args=[slug]), {}),
        ("manager", reverse("annotate:assignments", args=[slug]), {}),
        ("manager", reverse("annotate:export", args=[slug]), {}),
        ("curator", reverse("annotate:agreement", args=[slug]), {}),
        ("curator", reverse("annotate:review-queue", args=[slug]), {}),
        ("curator", reverse("annotate:review", args=[article]), {}),
        ("curator", reverse("annotate:gold-edit", args=[w.gold.pk]), {}),
        ("annotator_own", reverse("annotate:queue"), {}),
        ("annotator_own", reverse("annotate:workspace", args=[article]), {}),
        ("annotator_own", reverse("annotate:claim-edit", args=[w.claim.pk]), {}),
        ("annotator_own", reverse("annotate:workspace-source-search", args=[article]), {"q": "ev"}),
    ]


@pytest.mark.django_db
def test_no_stored_text_renders_as_html(hostile: World) -> None:
    clients = {who: page_client(hostile.users[who]) for who in ("manager", "curator")}
    clients["annotator_own"] = page_client(hostile.a)
    checked = 0
    for who, url, params in _pages(hostile):
        for htmx in (False, True):
            headers: dict[str, Any] = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            response = clients[who].get(url, params, **headers)
            assert response.status_code == 200, f"{who} {url} {params}: {response.status_code}"
            where = f"{who} {url} {params} htmx={htmx}"
            # The review queue lists articles with more than one annotator: not this one.
            shown = url != reverse("annotate:review-queue", args=[hostile.project.slug])
            assert_escaped(response.content.decode(), where, shown=shown)
            checked += 1
    assert checked == 2 * len(_pages(hostile))


@pytest.mark.django_db
def test_guidelines_markdown_is_sanitised(hostile: World) -> None:
    html = page_client(hostile.users["manager"]).get(
        reverse("corpus:project-detail", args=[hostile.project.slug])
    )
    content = html.content.decode()
    prose = content[content.index('class="prose"') :]
    prose = prose[: prose.index("</div>")]
    assert "<h1>Rules</h1>" in prose  # Markdown is rendered ...
    assert "<script" not in prose  # ... raw HTML is not
    assert "onerror" not in prose.replace("onerror=alert(1)&gt;", "")
    assert "javascript:" not in prose


@pytest.mark.django_db
def test_the_api_returns_the_text_as_written(hostile: World) -> None:
    """Escaping is the pages' job: the API keeps the text intact, as JSON."""
    response = api_client(hostile.a).get(reverse("api:claim-detail", args=[hostile.claim.pk]))
    assert response.json()["note"] == BOTH
    assert response["Content-Type"].startswith("application/json")
