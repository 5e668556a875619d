"""Every label by key, "same as my last claim", one-key accept of suggestions (issue 18).

The tests count the key presses of a complete claim (``Keys``): the figures go into the
report of issue 18 and bench/RESULTS.md."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from annotate.assignments.services import assignment_create
from annotate.models import Claim, Suggestion
from annotate.sources.services import project_targets_ensure
from corpus.models import Article, Role
from corpus.services import article_create
from tests.browser.conftest import log_in
from tests.browser.test_workspace_flow import SEED_FILE, SEED_REGISTRY, SEEDS
from tests.browser.test_workspace_traps import page_422  # noqa: F401 (a fixture)
from tests.factories import (
    MembershipFactory,
    ProjectFactory,
    SourceFactory,
    UserFactory,
    make_claim,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Akıncı said that Turkey’s influence grows. Orekhova said it does not. " * 3

SELECT = """([start, end]) => import("/static/claimdesk/offsets.js").then((js) => {
  const container = document.getElementById("article-text");
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(js.offsetsToRange(container, start, end));
})"""


class Keys:
    """The page's keyboard, counting presses (a chord such as Shift+B is one press)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)
            self.count += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += len(text)


@pytest.fixture
def annotator(transactional_db: Any) -> Any:
    project = ProjectFactory(slug="keys")
    user = UserFactory(username="ada")
    MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    project_targets_ensure(project=project)
    SourceFactory(project=project, name="Akıncı")
    return user


def open_workspace(page: Page, base: str, article: Article) -> None:
    page.goto(f"{base}/articles/{article.pk}/annotate/")
    expect(page.locator("#workspace[data-ready]")).to_be_attached()


def test_every_label_by_key_then_the_same_labels_in_one_key(
    live_server: Any, page: Page, annotator: Any
) -> None:
    project = annotator.memberships.get().project
    project.scheme["fields"]["checkworthy"]["hidden"] = False  # every field of the scheme
    project.save()
    article = article_create(project=project, text=TEXT, title="Keys").article
    assignment_create(article=article, annotator=annotator)
    target = project.targets.order_by("pk").first()
    assert target is not None
    log_in(page, live_server.url, annotator)
    open_workspace(page, live_server.url, article)
    keys = Keys(page)

    start = TEXT.index("Turkey’s influence grows")
    page.evaluate(SELECT, [start, start + len("Turkey’s influence grows")])
    # With words selected, typing the source's name opens the form: no `n` needed (issue 18).
    keys.type("aki")
    form = page.locator("#claim-form")
    expect(form).to_be_visible()
    expect(page.locator("#selection-bar")).to_be_hidden()  # the form has these words already
    expect(page.locator("#source-q")).to_have_value("aki")
    # Every option shows its key: digits, and Shift+letter for the reliability.
    expect(form.locator("fieldset[data-field=source_reliability] label").nth(1)).to_contain_text(
        "⇧B"
    )
    expect(form.locator("fieldset[data-field=claim_type] label").first).to_contain_text("1")
    expect(page.locator("#source-options [role=option]").first).to_contain_text("Akıncı")
    keys.press("Enter")  # the source; the focus moves to the attribution
    expect(page.locator("#source-name")).to_have_text("Akıncı")
    labels_from = keys.count
    keys.press("2")  # attribution: the second value (direct quote); on to the stances
    keys.press("a")  # against the current target; on to the reliability
    keys.press("Shift+B")  # reliability B, from anywhere in the form
    keys.press("2")  # credibility 2 (the focused field)
    keys.press("2")  # claim type: the second value (evaluative)
    keys.press("1")  # check-worthy: yes; the last field, so the focus is on Save
    expect(form.locator("button[type=submit]")).to_be_focused()
    keys.press("Control+Enter")
    expect(page.locator("#claim-rows > li")).to_have_count(1)
    first = Claim.objects.get()
    assert (
        first.attribution,
        first.source_reliability,
        first.information_credibility,
        first.claim_type,
        first.checkworthy,
    ) == ("direct", "B", "2", "evaluative", "yes")
    assert [(s.target_id, s.stance) for s in first.stances.all()] == [(target.pk, "against")]
    assert keys.count - labels_from == 7  # six fields and Save
    # The six fields of issue 18 (source, attribution, stance, reliability, credibility,
    # type) take 10 presses; check-worthiness, shown here, is the 11th (target: <= 10).
    assert keys.count - 1 == 10
    print(
        f"complete claim by keys: {keys.count} presses "
        f"({keys.count - labels_from} after the source)"
    )

    # The next claim: its source, then r (the labels of my last claim) and Save.
    keys = Keys(page)
    start = TEXT.index("Orekhova said it does not")
    page.evaluate(SELECT, [start, start + len("Orekhova said it does not")])
    keys.type("aki")
    expect(form.locator("h2")).to_have_text("New claim")
    expect(form.locator("[data-action=same-as-last]")).to_be_visible()
    expect(page.locator("#source-options [role=option]").first).to_contain_text("Akıncı")
    keys.press("Enter", "r", "Control+Enter")
    expect(page.locator("#claim-rows > li")).to_have_count(2)
    second = Claim.objects.exclude(pk=first.pk).get()
    assert (
        second.attribution,
        second.source_reliability,
        second.information_credibility,
        second.claim_type,
        second.checkworthy,
    ) == ("direct", "B", "2", "evaluative", "yes")
    assert [(s.target_id, s.stance) for s in second.stances.all()] == [(target.pk, "against")]
    assert keys.count == 6  # target: <= 6
    print(f"claim repeating the last labels: {keys.count} presses (3 letters, Enter, r, save)")


@pytest.fixture
def suggested(transactional_db: Any) -> Article:
    """The seed article with rule suggestions (source and attribution, no other labels),
    the default scheme (every label required) and an annotator."""
    project = ProjectFactory(slug="central-asia", suggestions_enabled=True)
    project_targets_ensure(project=project)
    call_command("import_sources", str(SEED_REGISTRY), project=project.slug, verbosity=0)
    call_command(
        "import_articles",
        str(SEEDS / SEED_FILE),
        project=project.slug,
        no_progress=True,
        verbosity=0,
    )
    article = Article.objects.get(project=project)
    user = UserFactory(username="ada")
    MembershipFactory(project=project, user=user, role=Role.ANNOTATOR)
    assignment_create(article=article, annotator=user)
    return article


def test_a_suggestion_is_accepted_with_one_key_taking_my_last_labels(
    live_server: Any, page: Page, suggested: Article
) -> None:
    article = suggested
    user = article.assignments.get().annotator
    project = article.project
    # My last claim, on another article of the project: its labels fill what rules leave empty.
    other = article_create(project=project, text=TEXT, title="Earlier").article
    assignment_create(article=other, annotator=user)
    target = project.targets.order_by("pk").first()
    assert target is not None
    make_claim(
        other,
        user,
        "Turkey’s influence grows",
        target=target,
        stance="against",
        source_reliability="C",
        information_credibility="3",
        claim_type="predictive",
    )
    first = Suggestion.objects.filter(article=article).order_by("start", "-end").first()
    assert first is not None and not first.labels
    log_in(page, live_server.url, user)
    open_workspace(page, live_server.url, article)
    expect(page.locator("#last-labels")).to_contain_text("C3")

    keys = Keys(page)
    keys.press("Shift+J")
    accept_from = keys.count
    keys.press("y")
    expect(page.locator("#claim-rows > li")).to_have_count(1)
    assert keys.count - accept_from == 1
    claim = Claim.objects.get(article=article)
    assert (claim.start, claim.end) == (first.start, first.end)
    assert (claim.source_reliability, claim.information_credibility, claim.claim_type) == (
        "C",
        "3",
        "predictive",
    )
    assert claim.attribution == first.attribution
    assert [(s.target_id, s.stance) for s in claim.stances.all()] == [(target.pk, "against")]


def test_an_incomplete_suggestion_opens_the_form_on_what_is_missing(
    live_server: Any,
    page_422: Page,  # noqa: F811 (the fixture imported above)
    suggested: Article,
) -> None:
    page = page_422
    article = suggested
    user = article.assignments.get().annotator
    log_in(page, live_server.url, user)
    open_workspace(page, live_server.url, article)
    page.keyboard.press("Shift+J")
    page.keyboard.press("y")  # no claim of mine yet: the labels are missing
    form = page.locator("#claim-form")
    expect(form.locator(".form-errors")).to_be_visible()
    missing = form.locator(".has-error")
    # The source and attribution came with the suggestion: only the labels are asked for.
    assert "source" not in (form.locator("#source-picker").get_attribute("class") or "").split()
    expect(form.locator("fieldset[data-field=attribution]")).not_to_have_class("has-error")
    assert missing.count() >= 1
    assert missing.first.evaluate("(el) => el.contains(document.activeElement)")
    assert not Claim.objects.exists()


def test_shift_j_after_a_dismiss_does_not_skip_a_suggestion(
    live_server: Any, page: Page, suggested: Article
) -> None:
    article = suggested
    user = article.assignments.get().annotator
    first, second, third, *_ = Suggestion.objects.filter(article=article).order_by("start", "-end")
    log_in(page, live_server.url, user)
    open_workspace(page, live_server.url, article)
    page.keyboard.press("Shift+J")
    expect(page.locator(f"#suggestion-row-{first.pk}")).to_have_class("suggestion-row current")
    page.keyboard.press("x")
    expect(page.locator(f"#suggestion-row-{first.pk}")).to_have_count(0)
    # The one that followed is current, and Shift+J stays on it (it skipped to the third).
    expect(page.locator(f"#suggestion-row-{second.pk}")).to_have_class("suggestion-row current")
    page.keyboard.press("Shift+J")
    page.wait_for_timeout(100)
    expect(page.locator(f"#suggestion-row-{second.pk}")).to_have_class("suggestion-row current")
    page.keyboard.press("Shift+J")
    expect(page.locator(f"#suggestion-row-{third.pk}")).to_have_class("suggestion-row current")
