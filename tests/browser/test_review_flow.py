"""The review screen in a real browser: two annotators annotated seed 001 differently; the
curator resolves a field-level disagreement (merge: the stance from one annotator, the rest
from the other) and a claim only one annotator made (accepted with the keyboard), and the
gold layer holds the result."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Page, expect

from annotate.assignments.services import assignment_create
from annotate.models import AssignmentStatus, Claim, Decision, DecisionAction, Source, Target
from annotate.sources.services import project_targets_ensure
from corpus.models import Article, Role
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, ProjectFactory, UserFactory, make_claim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEEDS = Path(settings.BASE_DIR) / "seeds"
SEED_FILE = "001_b7c0510a1e69fc93.txt"
EXPANDS = "Turkey is actively expanding its influence in Central Asia"
COMPETITOR = "Russia remains a serious competitor in this part of the world"


@pytest.fixture
def scene(transactional_db: Any) -> dict[str, Any]:
    project = ProjectFactory(slug="central-asia")
    users = {}
    for name, role in (("ada", Role.ANNOTATOR), ("bo", Role.ANNOTATOR), ("cy", Role.CURATOR)):
        users[name] = UserFactory(username=name)
        MembershipFactory(project=project, user=users[name], role=role)
    project_targets_ensure(project=project)
    call_command("import_sources", str(SEEDS / "sources.csv"), project=project.slug, verbosity=0)
    call_command(
        "import_articles",
        str(SEEDS / SEED_FILE),
        project=project.slug,
        no_progress=True,
        verbosity=0,
    )
    article = Article.objects.get(project=project, source_file__endswith=SEED_FILE)
    turkey = Target.objects.get(project=project, name__startswith="Turkey")
    berliner = Source.objects.get(project=project, name="Berliner Zeitung")
    for name in ("ada", "bo"):
        assignment = assignment_create(article=article, annotator=users[name])
        assignment.status = AssignmentStatus.DONE
        assignment.save()
    # Same span, different stance toward Turkey's influence.
    ada_expands = make_claim(
        article, users["ada"], EXPANDS, source=berliner, target=turkey, stance="favor"
    )
    bo_expands = make_claim(
        article, users["bo"], EXPANDS, source=berliner, target=turkey, stance="none"
    )
    # Only bo marked the second claim.
    bo_competitor = make_claim(
        article, users["bo"], COMPETITOR, source=berliner, target=turkey, stance="against"
    )
    return {
        "article": article,
        "curator": users["cy"],
        "turkey": turkey,
        "ada_expands": ada_expands,
        "bo_expands": bo_expands,
        "bo_competitor": bo_competitor,
    }


def test_curator_resolves_a_field_disagreement_and_a_missing_claim(
    page: Page, live_server: Any, scene: dict[str, Any]
) -> None:
    base = live_server.url
    article = scene["article"]
    log_in(page, base, scene["curator"])
    page.goto(f"{base}/projects/central-asia/review/")
    page.get_by_role("link", name=article.title).click()
    expect(page.locator("#review[data-ready]")).to_be_attached()

    groups = page.locator("#review-body section.unit")
    expect(groups).to_have_count(2)
    first, second = page.locator("#unit-0"), page.locator("#unit-1")
    stance_row = f'tr.differs[data-field="stance-{scene["turkey"].pk}"]'
    expect(first.locator(stance_row)).to_be_visible()
    expect(second.locator('[data-dispute="missing claim"]')).to_be_visible()
    expect(second.locator("td.missing").first).to_be_visible()

    # Field level: bo's stance ("none"), everything else as both have it; merge.
    take = f'input[name="take-stance-{scene["turkey"].pk}"]'
    # bo's stance (column 2): before issue 18's fix the re-rendered group went back to
    # ada's (column 1) while the Gold column showed bo's.
    first.locator(f'{take}[value="{scene["bo_expands"].pk}"]').check()
    first.locator('input[name="rationale"]').fill("bo read the stance right")
    first.get_by_role("button", name="Merge chosen versions").click()
    expect(page.locator("#unit-0 [data-outcome=merge]")).to_be_visible()
    # After the merge the row shows the version the gold claim took, checked, beside it.
    merged = page.locator(f"#unit-0 {stance_row}")
    expect(merged.locator(f'{take}[value="{scene["bo_expands"].pk}"]')).to_be_checked()
    expect(merged.locator(f'{take}[value="{scene["ada_expands"].pk}"]')).not_to_be_checked()
    expect(merged.locator("td.gold-col")).to_have_text("None")
    expect(page.locator("#unit-0 .outcome time")).to_have_text("just now")
    expect(page.locator("#review-progress [data-done]")).to_have_text("1")

    # The missing claim: go to the second group with j, accept bo's (column 2) with "2".
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator("#unit-1")).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("2")
    expect(page.locator("#unit-1 [data-outcome=accept]")).to_be_visible()
    expect(page.locator("#review-progress [data-done]")).to_have_text("2")
    # Nothing is left to decide: the decided group stays current.
    expect(page.locator("#unit-1")).to_have_class(re.compile(r"\bcurrent\b"))

    gold = list(Claim.objects.gold().live().order_by("start"))
    assert [g.quote for g in gold] == [EXPANDS, COMPETITOR]
    assert {s.target_id: s.stance for s in gold[0].stances.all()} == {scene["turkey"].pk: "none"}
    assert {s.target_id: s.stance for s in gold[1].stances.all()} == {scene["turkey"].pk: "against"}
    merge = Decision.objects.get(action=DecisionAction.MERGE)
    assert merge.gold == gold[0] and merge.curator == scene["curator"]
    assert merge.rationale == "bo read the stance right"
    fields = {o.claim_id: (o.claim_version, set(o.fields)) for o in merge.origins.all()}
    assert "stances" in fields[scene["ada_expands"].pk][1]
    assert "stances" not in fields[scene["bo_expands"].pk][1]
    assert fields[scene["bo_expands"].pk][0] == 1
    accept = Decision.objects.get(action=DecisionAction.ACCEPT)
    assert accept.gold == gold[1]
    assert [o.claim_id for o in accept.origins.all()] == [scene["bo_competitor"].pk]


def test_unanimous_units_take_one_key_each(
    page: Page, live_server: Any, scene: dict[str, Any]
) -> None:
    """After a decision by key the next open unit is current: the curator presses `1` once a
    unanimous unit (issue 18: at most 2 keys a unanimous or single-choice unit)."""
    article, turkey = scene["article"], scene["turkey"]
    ada, bo = (Claim.objects.get(pk=scene[k].pk).annotator for k in ("ada_expands", "bo_expands"))
    # Replace the disputed units by three unanimous ones and bo's single claim.
    Claim.objects.filter(article=article).delete()
    berliner = Source.objects.get(project=article.project, name="Berliner Zeitung")
    sentences = [EXPANDS, COMPETITOR, "Russia and China"]
    for words in sentences:
        for user in (ada, bo):
            make_claim(article, user, words, source=berliner, target=turkey, stance="favor")
    base = live_server.url
    log_in(page, base, scene["curator"])
    page.goto(f"{base}/articles/{article.pk}/review/")
    expect(page.locator("#review[data-ready]")).to_be_attached()
    units = page.locator("#review-body section.unit")
    expect(units).to_have_count(3)
    presses = 0
    for index in range(3):
        page.keyboard.press("1")
        presses += 1
        expect(page.locator(f"#unit-{index} [data-outcome=accept]")).to_be_visible()
        if index < 2:
            expect(page.locator(f"#unit-{index + 1}")).to_have_class(re.compile(r"\bcurrent\b"))
    assert presses == 3
    assert Claim.objects.gold().live().count() == 3


def test_on_a_phone_the_text_never_covers_the_groups(
    page: Page, live_server: Any, scene: dict[str, Any]
) -> None:
    """At 390 px the columns stack. The text panel stayed sticky and covered the groups
    scrolled under it (found in a screenshot); now it is a scrolling box above them."""
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, scene["curator"])
    page.goto(f"{live_server.url}/articles/{scene['article'].pk}/review/")
    expect(page.locator("#review[data-ready]")).to_be_attached()
    for index in range(page.locator("#review-body section.unit").count()):
        unit = page.locator(f"#unit-{index}")
        unit.scroll_into_view_if_needed()
        # What is drawn at a point inside the group's heading is the group itself.
        covered = unit.evaluate(
            """(unit) => {
                const box = unit.getBoundingClientRect();
                const hit = document.elementFromPoint(box.left + 12, Math.max(box.top, 0) + 12);
                return hit === null || !unit.contains(hit);
            }"""
        )
        assert not covered, f"group {index} is covered at 390 px"
    reader = page.locator(".rv-reader")
    assert reader.evaluate("(el) => el.getBoundingClientRect().height") <= 844 * 0.4 + 1


def test_the_review_screen_fits_a_phone_with_plural_groups(
    page: Page, live_server: Any, scene: dict[str, Any]
) -> None:
    """At 390 px the review screen's progress line ("0 of 2 groups adjudicated", its bar,
    "0 gold claims", the help button) made the page 391 px wide: a sideways scroll the
    narrow-pages sweep missed, its world having one group ("group": shorter). The line
    wraps now; the comparison tables scroll in their own boxes."""
    log_in(page, live_server.url, scene["curator"])
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/articles/{scene['article'].pk}/review/")
    expect(page.locator("#review-progress")).to_contain_text("0 of 2 groups adjudicated")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
