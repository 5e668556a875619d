"""A new user starts a campaign in a real browser: an ordinary (non-staff) user creates a
project, applies a scheme preset and adds a field value — no shell, no admin."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from corpus.models import Membership, Project, Role
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ordinary_user_creates_a_project_applies_a_preset_and_adds_a_value(
    page: Page, live_server: Any
) -> None:
    user = UserFactory(username="newcomer", is_staff=False)
    log_in(page, live_server.url, user)
    page.goto(f"{live_server.url}/projects/")
    page.get_by_role("link", name="New project").click()
    page.fill("#project-name", "Wind farms 2026")
    page.get_by_role("button", name="Create the project").click()
    expect(page.get_by_role("heading", name="Wind farms 2026")).to_be_visible()

    page.get_by_role("link", name="Scheme").first.click()
    page.check("input[name=preset][value=checkworthy]")
    page.get_by_role("button", name="Apply the preset").click()
    expect(page.locator(".message-success")).to_contain_text("Check-worthiness only")

    add = page.locator("#add-checkworthy")
    add.locator("input[name=value]").fill("maybe")
    add.locator("input[name=label]").fill("Maybe")
    add.get_by_role("button", name="Add the value").click()
    expect(page.locator("#field-checkworthy").get_by_text("maybe", exact=True)).to_be_visible()

    project = Project.objects.get()
    assert Membership.objects.get(project=project, user=user).role == Role.MANAGER
    fields = project.scheme["fields"]
    assert fields["claim_type"]["hidden"] and fields["checkworthy"]["required"]
    assert fields["checkworthy"]["values"][-1] == {"value": "maybe", "label": "Maybe"}
    assert "/admin/" not in page.url
