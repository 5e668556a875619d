"""Adding articles in a real browser: a manager drops a .zip on the drop zone, chooses an
.html and a .jsonl file with the file input, previews them (titles, bylines, what the
cleanup cuts), imports, and sees each file's result."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from corpus.models import Article, Role
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTML = (
    '<!doctype html><html lang="tr"><head><meta charset="utf-8"><title>Tahıl anlaşması '
    'uzatıldı</title><meta name="author" content="Ayşe Yılmaz"></head><body><nav><a href="/">'
    "Ana sayfa</a></nav><article><h1>Tahıl anlaşması uzatıldı</h1><p>Dışişleri Bakanlığı, "
    "tahıl koridoru anlaşmasının 120 gün daha uzatıldığını açıkladı.</p><p>Ukrayna kararı "
    "memnuniyetle karşıladı; Rusya ise ihracatının hâlâ engellerle karşılaştığını söyledi."
    "</p></article></body></html>"
)
JSONL = json.dumps(
    {
        "title": "Захарова ответила Анкаре",
        "byline": "Анна Иванова",
        "text": "Захарова ответила Анкаре\n\nОфициальный представитель МИД заявила, что "
        "переговоры продолжатся. 🙂\n\nShare on Facebook\n\nСледующая встреча пройдёт в Сочи.",
    },
    ensure_ascii=False,
)
TXT = (
    "Central Asia looks to Ankara\n\nBy Vladimir Danilov\n\nTurkey is expanding its "
    "influence in Central Asia, analysts say.\n\nRead also: Another story\n\nThe next summit "
    "is in Samarkand."
)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("analysis/danilov.txt", TXT)
    return buffer.getvalue()


@pytest.fixture
def manager(transactional_db: Any, settings: Any, tmp_path: Path) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    project = ProjectFactory(slug="grain", name="Grain deal")
    user = UserFactory(username="mira")
    MembershipFactory(project=project, user=user, role=Role.MANAGER)
    return user


def _drop(page: Page, selector: str, name: str, data: bytes) -> None:
    """Drop a file on the element as a mouse would (a DataTransfer with the file), once
    the page's script has set the drop zone up (before that, a drop is the browser's)."""
    page.locator(f"{selector}[data-ready]").wait_for(state="attached")
    transfer = page.evaluate_handle(
        """([name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "application/zip" }));
            return transfer;
        }""",
        [name, base64.b64encode(data).decode()],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_upload_three_files_with_the_preview(
    page: Page, live_server: Any, manager: Any, tmp_path: Path
) -> None:
    (tmp_path / "grain.html").write_text(HTML, encoding="utf-8")
    (tmp_path / "feed.jsonl").write_text(JSONL + "\n", encoding="utf-8")
    log_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/projects/grain/")
    page.get_by_role("link", name="Add articles").click()
    expect(page.get_by_role("heading", name="Add articles", level=1)).to_be_visible()

    page.set_input_files(
        "#upload-files", [str(tmp_path / "grain.html"), str(tmp_path / "feed.jsonl")]
    )
    _drop(page, "[data-dropzone]", "batch.zip", _zip())
    files = page.locator(".dropzone-files li")
    expect(files).to_have_count(3)
    expect(files.nth(2)).to_contain_text("batch.zip")

    page.click("#upload-preview-button")
    preview = page.locator("#upload-preview")
    expect(preview).to_contain_text("3 files: 3 articles, 3 new")
    expect(preview).to_contain_text("Tahıl anlaşması uzatıldı")
    expect(preview).to_contain_text("Ayşe Yılmaz")
    expect(preview).to_contain_text("Захарова ответила Анкаре")
    expect(preview).to_contain_text("batch.zip/analysis/danilov.txt")
    expect(preview).to_contain_text("Vladimir Danilov")
    # What the cleanup cuts, behind a disclosure.
    cut = preview.locator("details", has_text="2 lines")
    cut.locator("summary").click()
    expect(cut.locator(".cut-lines")).to_contain_text("Read also: Another story")
    assert Article.objects.count() == 0  # the preview wrote nothing

    page.click("#upload-confirm")
    expect(page.locator("#import-summary")).to_have_text(
        "Done: 3 articles added, 0 already in the project."
    )
    results = page.locator("#import-results")
    expect(results).to_contain_text("grain.html")
    expect(results).to_contain_text("feed.jsonl")
    expect(results).to_contain_text("batch.zip/analysis/danilov.txt")
    assert sorted(Article.objects.values_list("title", flat=True)) == [
        "Central Asia looks to Ankara",
        "Tahıl anlaşması uzatıldı",
        "Захарова ответила Анкаре",
    ]
    russian = Article.objects.get(title="Захарова ответила Анкаре")
    assert "🙂" in russian.text and "Share on Facebook" not in russian.text
