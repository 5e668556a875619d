"""The team in a real browser: a manager invites two annotators from the team page; each
opens their link in their own browser, chooses a username and password, and lands in their
queue, a member of the project. The second link, opened again, is refused."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from corpus.models import Membership, Role
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORDS = {"aigerim": "steppe-wind-2031-a", "bolat": "steppe-wind-2031-b"}


def _invite(page: Page, email: str) -> str:
    page.fill("#invite-email", email)
    page.select_option("#invite-role", "annotator")
    page.click("#invite-form button[type=submit]")
    expect(page.locator("#new-invitation")).to_contain_text(email)
    return str(page.input_value("#invitation-link"))


def _join(browser: Browser, link: str, username: str) -> None:
    context = browser.new_context()
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        page.goto(link)
        expect(page.locator("h1")).to_contain_text("Join “Central Asia”")
        page.fill("#id_username", username)
        page.fill("#id_password1", PASSWORDS[username])
        page.fill("#id_password2", PASSWORDS[username])
        page.click("#join-form button[type=submit]")
        page.wait_for_url("**/queue/")
        expect(page.locator(".messages")).to_contain_text("Welcome to “Central Asia”")
        expect(page.locator(".topbar .user")).to_have_text(username)
    finally:
        context.close()


def test_a_manager_invites_two_annotators_who_join_and_land_in_their_queue(
    page: Page, browser: Browser, live_server: Any
) -> None:
    project = ProjectFactory(name="Central Asia", slug="central-asia")
    manager = UserFactory(username="maria")
    MembershipFactory(project=project, user=manager, role=Role.MANAGER)
    log_in(page, live_server.url, manager)
    page.goto(f"{live_server.url}/projects/central-asia/")
    page.click("a.card:has-text('Team')")
    page.wait_for_url("**/team/")

    links = {name: _invite(page, f"{name}@example.org") for name in PASSWORDS}
    assert all(link.startswith(live_server.url) for link in links.values())
    expect(page.locator("#invitation-table")).to_contain_text("bolat@example.org")

    for name, link in links.items():
        _join(browser, link, name)

    roles = dict(Membership.objects.filter(project=project).values_list("user__username", "role"))
    assert roles == {"maria": "manager", "aigerim": "annotator", "bolat": "annotator"}

    # Used links are refused; the team page lists both annotators, no open invitation.
    again = browser.new_context().new_page()
    again.goto(links["bolat"])
    expect(again.locator("h1")).to_have_text("This invitation can't be used")
    again.context.close()
    page.goto(f"{live_server.url}/projects/central-asia/team/")
    expect(page.locator("#member-table")).to_contain_text("aigerim")
    expect(page.locator("#member-table")).to_contain_text("bolat")
    expect(page.locator("#invitation-table")).to_contain_text("None.")
