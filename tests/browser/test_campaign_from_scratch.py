"""Issue 17's “done when”: a whole campaign in a real browser, from an empty database.

One ordinary (non-staff) user — the only row of the user table — creates a project,
applies a scheme preset and adds a value, uploads three articles (.html, .jsonl, .zip)
with the preview, adds one by URL from a local server, invites two annotators (each opens
the link in a browser of their own, sets a password and lands in their queue), assigns in
bulk; both annotate one claim; the manager exports. Never /admin/, never a shell: the
test only reads the database to check what the pages say.

With CLAIMDESK_SCREENSHOTS=1 it also writes the screenshots of docs/guide/campaign.md
(docs/screenshots/campaign-*.png).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, BrowserContext, Page, expect

from annotate.models import Assignment, Claim
from corpus.models import Article, Membership, Project
from tests.browser.conftest import log_in
from tests.browser.test_workspace_flow import select
from tests.campaign_data import (
    CLAIMS,
    HTML,
    JSONL,
    PASSWORDS,
    WEB_BODY,
    WEB_TITLE,
    ZIPPED,
)
from tests.factories import UserFactory
from tests.pages_server import Page as WebPage
from tests.pages_server import article_html, serve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
SCREENSHOTS = bool(os.environ.get("CLAIMDESK_SCREENSHOTS"))


@pytest.fixture(autouse=True)
def patient(page: Page) -> Any:
    """A long flow on a shared machine: more time for each step than the suite's default."""
    page.context.set_default_timeout(30_000)
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def _shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.mouse.move(0, 0)
        page.wait_for_timeout(200)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"campaign-{name}.png"))


def _files(folder: Path) -> list[str]:
    (folder / "auction.html").write_text(HTML, encoding="utf-8")
    (folder / "feed.jsonl").write_text(JSONL + "\n", encoding="utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("grid/novak.txt", ZIPPED)
    (folder / "batch.zip").write_bytes(buffer.getvalue())
    return [str(folder / name) for name in ("auction.html", "feed.jsonl", "batch.zip")]


def _invite(page: Page, email: str) -> str:
    page.fill("#invite-email", email)
    page.select_option("#invite-role", "annotator")
    page.click("#invite-form button[type=submit]")
    expect(page.locator("#new-invitation")).to_contain_text(email)
    return str(page.input_value("#invitation-link"))


def _join(browser: Browser, link: str, username: str) -> BrowserContext:
    """The invited person opens the link in a browser of their own and joins."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(link)
    expect(page.locator("h1")).to_contain_text("Join “Wind farms 2026”")
    page.fill("#id_username", username)
    page.fill("#id_password1", PASSWORDS[username])
    page.fill("#id_password2", PASSWORDS[username])
    page.click("#join-form button[type=submit]")
    page.wait_for_url("**/queue/")
    expect(page.locator(".messages")).to_contain_text("Welcome to “Wind farms 2026”")
    expect(page.locator(".topbar .user")).to_have_text(username)
    expect(page.locator("main")).to_contain_text("Wind farms 2026")
    return context


def _annotate(context: BrowserContext, username: str) -> None:
    """From the queue to one saved claim in the workspace."""
    page = context.pages[0]
    page.goto(page.url)  # the queue again, now with the assigned articles
    title = "Offshore wind auction draws record bids"
    row = page.locator("tr[data-article]", has_text=title)
    expect(page.locator("tr[data-article]")).to_have_count(4)
    row.get_by_role("link", name=title).click()
    expect(page.locator("#workspace[data-ready]")).to_be_attached()
    phrase, value = CLAIMS[username]
    text = Article.objects.get(title=title).text
    start = text.index(phrase)
    assert select(page, start, start + len(phrase)) == phrase
    page.keyboard.press("n")
    form = page.locator("#claim-form")
    expect(form).to_be_visible()
    expect(form.locator(".form-quote")).to_have_text(phrase)
    form.locator(f"input[name='checkworthy'][value='{value}']").check()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#claim-rows > li")).to_have_count(1)
    expect(page.locator("#claim-rows > li")).to_contain_text(phrase[:20])


def test_a_campaign_from_an_empty_database(
    page: Page, browser: Browser, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CLAIMDESK_URL_FETCH_ALLOW_PRIVATE = True  # the pages come from 127.0.0.1
    settings.CLAIMDESK_URL_FETCH_TIMEOUT = 5
    base = live_server.url
    manager = UserFactory(username="maria", is_staff=False, is_superuser=False)
    assert get_user_model().objects.count() == 1 and not Project.objects.exists()
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url))
    log_in(page, base, manager)

    # 1. A project, the check-worthiness preset, one value more.
    page.goto(f"{base}/projects/")
    page.get_by_role("link", name="New project").click()
    page.fill("#project-name", "Wind farms 2026")
    page.get_by_role("button", name="Create the project").click()
    expect(page.get_by_role("heading", name="Wind farms 2026")).to_be_visible()
    expect(page.locator(".page-header .role")).to_have_text("Manager")
    page.get_by_role("link", name="Scheme").first.click()
    page.check("input[name=preset][value=checkworthy]")
    page.get_by_role("button", name="Apply the preset").click()
    expect(page.locator(".message-success")).to_contain_text("Check-worthiness only")
    add = page.locator("#add-checkworthy")
    add.locator("input[name=value]").fill("maybe")
    add.locator("input[name=label]").fill("Maybe")
    add.get_by_role("button", name="Add the value").click()
    field = page.locator("#field-checkworthy")
    expect(field.get_by_text("maybe", exact=True)).to_be_visible()
    field.evaluate("el => window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 16)")
    _shot(page, "scheme")
    project = Project.objects.get()
    assert project.scheme["fields"]["checkworthy"]["values"][-1]["value"] == "maybe"

    # 2. Three files through the upload page, with the preview.
    page.goto(f"{base}/projects/{project.slug}/")
    page.locator("a.card", has_text="Add articles").click()
    page.set_input_files("#upload-files", _files(tmp_path))
    expect(page.locator(".dropzone-files li")).to_have_count(3)
    page.click("#upload-preview-button")
    preview = page.locator("#upload-preview")
    expect(preview).to_contain_text("3 files: 3 articles, 3 new")
    expect(preview).to_contain_text("Offshore wind auction draws record bids")
    expect(preview).to_contain_text("Jonas Berg")
    expect(preview).to_contain_text("Rüzgâr santrali için yeni ihale")
    expect(preview).to_contain_text("batch.zip/grid/novak.txt")
    expect(preview).to_contain_text("Lena Novak")
    _shot(page, "upload")
    assert not Article.objects.exists()  # the preview writes nothing
    page.click("#upload-confirm")
    expect(page.locator("#import-summary")).to_have_text(
        "Done: 3 articles added, 0 already in the project."
    )

    # 3. One by URL, from a local server.
    page.get_by_role("link", name="Add more").click()
    with serve({"/news/jobs.html": WebPage(article_html(WEB_TITLE, WEB_BODY))}) as server:
        page.fill("#add-urls", server.url("/news/jobs.html"))
        page.click("#add-urls-button")
        expect(page.locator("#import-summary")).to_have_text(
            "Done: 1 article added, 0 already in the project."
        )
    expect(page.locator("#import-results")).to_contain_text(WEB_TITLE)
    assert Article.objects.filter(project=project).count() == 4

    # 4. Two annotators invited; each joins from their own browser.
    page.goto(f"{base}/projects/{project.slug}/")
    page.locator("a.card", has_text="Team").click()
    links = {name: _invite(page, f"{name}@example.org") for name in PASSWORDS}
    _shot(page, "team")
    annotators = {name: _join(browser, link, name) for name, link in links.items()}
    try:
        page.reload()
        expect(page.locator("#member-table")).to_contain_text("ana")
        expect(page.locator("#member-table")).to_contain_text("ben")
        expect(page.locator("#invitation-table")).to_contain_text("None.")

        # 5. Bulk assignment: every article to both annotators.
        page.goto(f"{base}/projects/{project.slug}/")
        page.locator("a.card", has_text="Assignments").click()
        expect(page.locator("#assignment-figures")).to_contain_text("4 articles, 4 not assigned")
        page.fill("#bulk-k", "2")
        page.click("#bulk-form button[type=submit]")
        expect(page.locator(".message-success")).to_have_text("8 assignments made.")
        expect(page.locator("#assignment-figures")).to_contain_text("4 articles, 0 not assigned")
        for title in (WEB_TITLE, "Rüzgâr santrali için yeni ihale"):
            row = page.locator("#assignment-table tr", has_text=title)
            expect(row).to_contain_text("ana")
            expect(row).to_contain_text("ben")
        _shot(page, "assignments")
        assert Assignment.objects.count() == 8

        # 6. Each annotator marks one claim.
        for name, context in annotators.items():
            _annotate(context, name)
    finally:
        for context in annotators.values():
            context.close()
    claims = {
        c.annotator.get_username(): (c.quote, c.checkworthy)
        for c in Claim.objects.select_related("annotator")
        if c.annotator is not None
    }
    assert claims == CLAIMS and Claim.objects.count() == 2

    # 7. The manager exports the annotators' claims.
    page.goto(f"{base}/projects/{project.slug}/")
    page.locator("a.card", has_text="Export").click()
    page.check("input[name=format][value=jsonl]")
    page.check("input[name=layer][value=annotators]")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".jsonl")
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    exported = [json.loads(line) for line in lines if line.strip()]
    by_annotator = {c["annotator"]: c["quote"] for r in exported for c in r["claims"]}
    assert by_annotator == {name: quote for name, (quote, _) in CLAIMS.items()}

    assert not any("/admin/" in url for url in visited)
    assert set(Membership.objects.values_list("user__username", "role")) == {
        ("maria", "manager"),
        ("ana", "annotator"),
        ("ben", "annotator"),
    }
    assert not get_user_model().objects.filter(is_staff=True).exists()
