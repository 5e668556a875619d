"""The annotation workspace in a real browser: select, attribute, save, reload, edit,
delete, undo, mark done; offsets checked against the Python string."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Dialog, Page, expect

from annotate.assignments.services import assignment_create
from annotate.claims.offsets import snap_to_words
from annotate.models import Assignment, AssignmentStatus, Claim, Target
from annotate.sources.services import project_targets_ensure
from corpus.models import Article, Role
from corpus.services import article_create
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEEDS = Path(settings.BASE_DIR) / "seeds"
SEED_FILE = "001_b7c0510a1e69fc93.txt"
# The seed registry (it moved from JSONL to CSV once; take whichever the checkout has).
SEED_REGISTRY = next(
    (SEEDS / name for name in ("sources.csv", "sources.jsonl") if (SEEDS / name).exists()),
    SEEDS / "sources.csv",
)
ISACHENKO_QUOTE = "“The main lesson Ankara learned from the 1990s"
EMOJI_TEXT = (
    "🇹🇷 Akıncı said: “Şentop and Яна Орехова agree.” 😀 End.\n\n"
    "A second paragraph 👩‍👩‍👧 about Türkiye."
)

SELECT = """([start, end]) => import("/static/claimdesk/offsets.js").then((js) => {
  const container = document.getElementById("article-text");
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(js.offsetsToRange(container, start, end));
  return selection.toString();
})"""


@pytest.fixture
def annotator(transactional_db: Any) -> Any:
    project = ProjectFactory(slug="central-asia")
    user = UserFactory(username="ada")
    MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    project_targets_ensure(project=project)
    call_command("import_sources", str(SEED_REGISTRY), project=project.slug, verbosity=0)
    return user


def seed_article(annotator: Any) -> Article:
    project = annotator.memberships.get().project
    call_command(
        "import_articles",
        str(SEEDS / SEED_FILE),
        project=project.slug,
        no_progress=True,
        verbosity=0,
    )
    article = Article.objects.get(project=project, source_file__endswith=SEED_FILE)
    assignment_create(article=article, annotator=annotator)
    return article


def select(page: Page, start: int, end: int) -> str:
    """Select code points [start, end) of the article text as a DOM range."""
    selected: str = page.evaluate(SELECT, [start, end])
    return selected


def open_workspace(page: Page, base: str, article: Article) -> None:
    page.goto(f"{base}/articles/{article.pk}/annotate/")
    expect(page.locator("#workspace[data-ready]")).to_be_attached()


def text_in_page(page: Page) -> str:
    text: str = page.eval_on_selector("#article-text", "el => el.textContent")
    return text


def choose_source(page: Page, typed: str, name: str) -> None:
    page.locator("#source-q").fill(typed)
    expect(page.locator("#source-options [role=option]").first).to_contain_text(name)
    page.keyboard.press("Enter")
    expect(page.locator("#source-name")).to_have_text(name)


def pick(page: Page, field: str, value: str) -> None:
    page.locator(f"#claim-form input[name='{field}'][value='{value}']").check()


def test_annotate_the_isachenko_quote_from_selection_to_done(
    live_server: Any, page: Page, annotator: Any
) -> None:
    article = seed_article(annotator)
    text = article.text
    base = live_server.url
    log_in(page, base, annotator)
    open_workspace(page, base, article)
    assert text_in_page(page) == text

    # Select a little more than the quote (the space before it, part of "comments"):
    # the selection snaps to whole words.
    quote_at = text.index(ISACHENKO_QUOTE)
    quote_end = text.index("comments Daria Isachenko") + len("comm")
    select(page, quote_at - 1, quote_end)
    expected = snap_to_words(text, quote_at - 1, quote_end)
    page.keyboard.press("n")
    form = page.locator("#claim-form")
    expect(form).to_be_visible()
    expect(form.locator(".form-quote")).to_have_text(text[expected[0] : expected[1]])

    choose_source(page, "isachenko", "Daria Isachenko")
    pick(page, "attribution", "direct")

    # The source mention: switch to mention mode, select the name, take it.
    form.locator("[data-action=pick-mention]").click()
    mention_at = text.index("Daria Isachenko", quote_at)
    select(page, mention_at, mention_at + len("Daria Isachenko"))
    page.keyboard.press("n")
    expect(page.locator("#mention-quote")).to_have_text("“Daria Isachenko”")

    turkey = Target.objects.get(project=article.project, name__startswith="Turkey")
    page.locator(f"#stance-table tr[data-target-id='{turkey.pk}'] input[value='']").focus()
    page.keyboard.press("a")  # against, for the current target (the one focused)
    pick(page, "source_reliability", "B")
    pick(page, "information_credibility", "2")
    pick(page, "claim_type", "evaluative")
    page.keyboard.press("Control+Enter")

    row = page.locator("#claim-rows > li")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Daria Isachenko")
    claim = Claim.objects.get()
    assert (claim.start, claim.end) == expected
    assert claim.quote == text[claim.start : claim.end]
    assert claim.quote.startswith("“The main lesson") and claim.quote.endswith("comments")
    assert text[claim.mention_start : claim.mention_end] == "Daria Isachenko"
    assert claim.source is not None and claim.source.name == "Daria Isachenko"
    assert [(s.target_id, s.stance) for s in claim.stances.all()] == [(turkey.pk, "against")]
    assert (claim.attribution, claim.source_reliability, claim.information_credibility) == (
        "direct",
        "B",
        "2",
    )

    # Reload: the claim is highlighted and the text is still the article text.
    page.reload()
    expect(page.locator("#workspace[data-ready]")).to_be_attached()
    marks = page.locator(f"#article-text mark[data-claim-ids~='{claim.pk}']")
    expect(marks.first).to_be_visible()
    assert text_in_page(page) == text
    assert "".join(marks.all_text_contents()) == claim.quote

    # Edit: click the highlight, change the credibility, save.
    marks.first.click()
    expect(form.locator("h2")).to_have_text("Edit claim")
    pick(page, "information_credibility", "3")
    page.keyboard.press("Control+Enter")
    expect(row).to_contain_text("B3")
    claim.refresh_from_db()
    assert (claim.information_credibility, claim.version) == ("3", 2)

    # Delete with the keyboard, then undo from the toast.
    page.locator("#claim-rows > li .claim-open").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Delete")
    expect(row).to_have_count(0)
    claim.refresh_from_db()
    assert claim.deleted_at is not None
    page.locator(".toast [data-action=undo]").click()
    expect(row).to_have_count(1)
    claim.refresh_from_db()
    assert claim.deleted_at is None
    expect(page.locator(f"#article-text mark[data-claim-ids~='{claim.pk}']").first).to_be_visible()

    # Done, and the queue says so.
    page.locator("#article-text").click()
    page.keyboard.press("d")
    expect(page.locator("#progress .status")).to_have_text("Done")
    assert Assignment.objects.get(article=article).status == AssignmentStatus.DONE
    page.goto(f"{base}/queue/")
    queue_row = page.locator(f"tr[data-article='{article.pk}']")
    expect(queue_row).to_contain_text("Done")
    expect(queue_row.locator("td.num").last).to_have_text("1")


def test_offsets_after_emoji_are_code_points(live_server: Any, page: Page, annotator: Any) -> None:
    project = annotator.memberships.get().project
    article = article_create(project=project, text=EMOJI_TEXT, title="Emoji").article
    assignment_create(article=article, annotator=annotator)
    text = article.text
    base = live_server.url
    log_in(page, base, annotator)
    open_workspace(page, base, article)
    assert text_in_page(page) == text

    # A selection of spaces and punctuation only is refused with a message.
    colon = text.index(":")
    select(page, colon, colon + 2)
    page.keyboard.press("n")
    expect(page.locator("#ws-message")).to_contain_text("no words")
    expect(page.locator("#claim-form")).to_have_count(0)

    start = text.index("Şentop")
    end = text.index(" agree") + len(" agree")
    # In the browser the flag is four UTF-16 units, in Python two code points.
    assert select(page, start, end) == "Şentop and Яна Орехова agree"
    page.keyboard.press("n")
    expect(page.locator("#claim-form .form-quote")).to_have_text("Şentop and Яна Орехова agree")
    choose_source(page, "орехова", "Яна Орехова")
    pick(page, "attribution", "reported")
    page.keyboard.press("0")  # the stance "none" toward the current (first) target
    pick(page, "source_reliability", "F")
    pick(page, "information_credibility", "6")
    pick(page, "claim_type", "factual")
    page.locator("#claim-form button[type=submit]").click()
    expect(page.locator("#claim-rows > li")).to_have_count(1)

    claim = Claim.objects.get(article=article)
    assert (claim.start, claim.end) == (start, end)
    assert claim.quote == text[start:end] == "Şentop and Яна Орехова agree"
    assert claim.prefix == text[:start]
    assert [s.stance for s in claim.stances.all()] == ["none"]
    mark = page.locator("#article-text mark").first
    expect(mark).to_have_text(claim.quote)
    assert text_in_page(page) == text


TYPE_AS_THE_FORM_ARRIVES = """(typed) => {
  // Type into the source search right after the new-claim form is swapped in, before
  // any timer could run (a fast typist, or a test runner filling the box).
  const panel = document.getElementById("claim-panel");
  document.body.addEventListener("htmx:afterSwap", function typeOnce(event) {
    if (event.detail.target !== panel) return;
    document.body.removeEventListener("htmx:afterSwap", typeOnce);
    queueMicrotask(() => {
      const box = document.getElementById("source-q");
      box.value = typed;
      box.dispatchEvent(new Event("input", { bubbles: true }));
      window.typedAsTheFormArrived = true;
    });
  });
}"""


def test_typing_into_the_source_search_at_once_is_not_lost(
    live_server: Any, page: Page, annotator: Any
) -> None:
    """Regression: htmx bound swapped-in content after its 20 ms settle delay, so a search
    typed in the meantime fired nothing (seen as a flaky CI run); settle is now 0."""
    project = annotator.memberships.get().project
    article = article_create(project=project, text=EMOJI_TEXT, title="Emoji").article
    assignment_create(article=article, annotator=annotator)
    log_in(page, live_server.url, annotator)
    open_workspace(page, live_server.url, article)
    page.evaluate(TYPE_AS_THE_FORM_ARRIVES, "orekhova")
    start = article.text.index("Akıncı")
    select(page, start, start + 6)
    page.keyboard.press("n")
    page.wait_for_function("() => window.typedAsTheFormArrived === true")  # no eval (CSP)
    expect(page.locator("#source-options [role=option]").first).to_contain_text("Яна Орехова")


def test_an_unsaved_claim_survives_a_reload(live_server: Any, page: Page, annotator: Any) -> None:
    project = annotator.memberships.get().project
    article = article_create(project=project, text=EMOJI_TEXT, title="Emoji").article
    assignment_create(article=article, annotator=annotator)
    base = live_server.url
    log_in(page, base, annotator)
    open_workspace(page, base, article)
    start = article.text.index("Akıncı")
    select(page, start, start + 3)  # part of the word: snaps to all of it
    page.keyboard.press("n")
    expect(page.locator("#claim-form .form-quote")).to_have_text("Akıncı")
    choose_source(page, "orekhova", "Яна Орехова")
    pick(page, "claim_type", "predictive")
    page.locator("#claim-note").fill("half done")

    # Leaving asks first (beforeunload); accepting reloads, and the draft comes back.
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", accept)
    page.reload()
    expect(page.locator("#workspace[data-ready]")).to_be_attached()
    assert dialogs == ["beforeunload"]
    form = page.locator("#claim-form")
    expect(form.locator(".form-quote")).to_have_text("Akıncı")
    expect(page.locator("#claim-note")).to_have_value("half done")
    expect(page.locator("#source-name")).to_have_text("Яна Орехова")
    expect(form.locator("input[name=claim_type][value=predictive]")).to_be_checked()
    assert not Claim.objects.exists()
