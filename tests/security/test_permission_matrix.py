"""The permission matrix: every route of the URL conf, every method it answers, every
kind of user.

The routes come from ``get_resolver()`` (tests/security/routes.py): a new URL without a
line in ``RULES`` fails ``test_every_route_has_a_rule``. Each rule lists what each actor
gets, in the order of ``ACTORS``:

    anonymous  annotator_own  annotator_other  annotator_unassigned  curator  manager  outsider

- ``annotator_own``: annotator A, assigned to the article, asking for A's own claim.
- ``annotator_other``: annotator B, assigned to the same article, asking for A's claim
  (A's assignment, ...): someone else's object in their own project.
- ``annotator_unassigned``: C, an annotator of the project with no assignment.
- ``outsider``: a manager of another project.

Outcomes: ``ok`` (allowed: any 2xx, a redirect that is not to the login page, or a 400/409/
422 answer to the empty body the matrix sends), ``L`` (302 to the login page), ``401``,
``403`` (visible but not for this role), ``404`` (invisible), ``405``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.security.conftest import ACTORS, World, api_client, page_client
from tests.security.routes import Route, all_routes, kwargs_for

# Public or Django's own: admin (guarded by is_staff, tested in tests/test_admin.py), the
# login/logout/password views of django.contrib.auth (tests/test_login_throttle.py), the
# API token exchange, and the API's schema and docs (public by design: no data in them).
SKIPPED = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "api:token",
    "api:schema",
    "api:docs",
}


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``)."""
    return shared_world


def _skipped(name: str) -> bool:
    return name in SKIPPED or name.startswith(("admin:", "<unnamed admin/"))


# Shorthands for the common rows.
PUBLIC = "ok ok ok ok ok ok ok"
MEMBER_PAGE = "L ok ok ok ok ok 404"  # any member of the project
ARTICLE_PAGE = "L ok ok 404 ok ok 404"  # curators, managers, annotators assigned
CURATOR_PAGE = "L 403 403 403 ok ok 404"
# An article's review pages: an annotator it isn't assigned to can't see it (404).
CURATOR_ARTICLE_PAGE = "L 403 403 404 ok ok 404"
MANAGER_PAGE = "L 403 403 403 403 ok 404"
# The workspace is the annotator's own: only annotators assigned to the article use it
# (curators and managers review through the review pages; managers edit through the API).
ASSIGNED_PAGE = "L ok ok 404 404 404 404"
OWN_CLAIM_PAGE = "L ok 404 404 404 404 404"

MEMBER_API = "401 ok ok ok ok ok 404"
ARTICLE_API = "401 ok ok 404 ok ok 404"
CURATOR_API = "401 403 403 403 ok ok 404"
MANAGER_API = "401 403 403 403 403 ok 404"
# A claim: its annotator and managers change it, curators read it (403 on writes),
# other annotators never see it.
CLAIM_READ_API = "401 ok 404 404 ok ok 404"
CLAIM_WRITE_API = "401 ok 404 404 403 ok 404"

RULES: dict[str, dict[str, str]] = {
    "healthz": {"GET": PUBLIC},
    "home": dict.fromkeys(("DELETE", "GET", "PATCH", "POST", "PUT"), PUBLIC),
    # --- corpus pages
    "corpus:project-list": {"GET": "L ok ok ok ok ok ok"},
    # Anyone logged in may create a project (CLAIMDESK_PROJECT_CREATORS=everyone, the default).
    "corpus:project-create": {"GET": "L ok ok ok ok ok ok", "POST": "L ok ok ok ok ok ok"},
    "corpus:project-detail": {"GET": MEMBER_PAGE},
    "corpus:article-list": {"GET": MEMBER_PAGE},
    "corpus:article-detail": {"GET": ARTICLE_PAGE},
    # Adding articles (upload, by URL, paste) and following the import: managers only.
    "corpus:article-add": {"GET": MANAGER_PAGE},
    "corpus:article-upload": {"POST": MANAGER_PAGE},
    "corpus:article-from-urls": {"POST": MANAGER_PAGE},
    "corpus:article-paste": {"POST": MANAGER_PAGE},
    "corpus:article-import-job": {"GET": MANAGER_PAGE},
    # --- sources (the registry is shared by the project's members)
    "annotate:source-list": {"GET": MEMBER_PAGE},
    "annotate:source-detail": {"GET": MEMBER_PAGE},
    # The merge's confirmation (GET) and the merge (POST); confirming a proposed source.
    "annotate:source-merge": {"GET": CURATOR_PAGE, "POST": CURATOR_PAGE},
    "annotate:source-confirm": {"POST": CURATOR_PAGE},
    # Splitting a merge back: managers only.
    "annotate:source-split": {"POST": MANAGER_PAGE},
    "annotate:source-import": {"GET": CURATOR_PAGE, "POST": CURATOR_PAGE},
    # --- analysis: curators and managers only
    "annotate:analysis-overview": {"GET": CURATOR_PAGE},
    "annotate:stance-map": {"GET": CURATOR_PAGE},
    "annotate:stance-map-csv": {"GET": CURATOR_PAGE},
    "annotate:claim-search": {"GET": CURATOR_PAGE},
    "annotate:source-profile": {"GET": CURATOR_PAGE},
    "annotate:network": {"GET": CURATOR_PAGE},
    "annotate:network-export": {"GET": CURATOR_PAGE},
    "annotate:network-edge": {"GET": CURATOR_PAGE},
    # --- claim clusters: curators and managers (annotators only if the project says so,
    # and then in their own layer: the world's cluster is gold); who clusters: managers
    "annotate:clusters": {"GET": CURATOR_PAGE},
    "annotate:cluster-create": {"POST": CURATOR_PAGE},
    "annotate:cluster-review": {"GET": CURATOR_PAGE},
    "annotate:cluster-adjudicate": {"POST": CURATOR_PAGE},
    "annotate:cluster-settings": {"POST": MANAGER_PAGE},
    "annotate:cluster": {"GET": CURATOR_PAGE},
    "annotate:cluster-update": {"POST": CURATOR_PAGE},
    "annotate:cluster-delete": {"POST": CURATOR_PAGE},
    "annotate:cluster-suggestions": {"GET": CURATOR_PAGE},
    "annotate:cluster-member-add": {"POST": CURATOR_PAGE},
    "annotate:cluster-member-remove": {"POST": CURATOR_PAGE},
    "annotate:cluster-dismiss": {"POST": CURATOR_PAGE},
    # --- the queue lists the user's own assignments, in every project
    "annotate:queue": {"GET": "L ok ok ok ok ok ok"},
    # --- workspace
    "annotate:workspace": {"GET": ASSIGNED_PAGE},
    "annotate:next-article": {"GET": ASSIGNED_PAGE},
    "annotate:claim-new": {"GET": ASSIGNED_PAGE},
    "annotate:claim-create": {"POST": ASSIGNED_PAGE},
    "annotate:done": {"POST": ASSIGNED_PAGE},
    "annotate:reopen": {"POST": ASSIGNED_PAGE},
    "annotate:workspace-source-search": {"GET": ASSIGNED_PAGE},
    "annotate:workspace-source-confirm": {"GET": ASSIGNED_PAGE},
    "annotate:workspace-source-create": {"POST": ASSIGNED_PAGE},
    "annotate:workspace-target-create": {"POST": ASSIGNED_PAGE},
    "annotate:suggestion-list": {"GET": ASSIGNED_PAGE},
    "annotate:suggestion-edit": {"GET": ASSIGNED_PAGE},
    "annotate:suggestion-accept": {"POST": ASSIGNED_PAGE},
    "annotate:suggestion-dismiss": {"POST": ASSIGNED_PAGE},
    "annotate:claim-edit": {"GET": OWN_CLAIM_PAGE},
    "annotate:claim-update": {"POST": OWN_CLAIM_PAGE},
    "annotate:claim-delete": {"POST": OWN_CLAIM_PAGE},
    "annotate:claim-restore": {"POST": OWN_CLAIM_PAGE},
    # Managers restore anyone's deleted claims of an article (owners use the workspace).
    "annotate:deleted-claims": {"GET": MANAGER_PAGE},
    "annotate:deleted-claim-restore": {"POST": MANAGER_PAGE},
    # --- agreement, review, adjudication
    "annotate:agreement": {"GET": CURATOR_PAGE},
    "annotate:agreement-progress": {"GET": CURATOR_PAGE},
    "annotate:suggester-scores": {"GET": CURATOR_PAGE},
    "annotate:review-queue": {"GET": CURATOR_PAGE},
    "annotate:review": {"GET": CURATOR_ARTICLE_PAGE},
    "annotate:article-claims": {"GET": CURATOR_ARTICLE_PAGE},
    "annotate:review-accept": {"POST": CURATOR_ARTICLE_PAGE},
    "annotate:review-merge": {"POST": CURATOR_ARTICLE_PAGE},
    "annotate:review-reject": {"POST": CURATOR_ARTICLE_PAGE},
    "annotate:review-bulk-accept": {"POST": CURATOR_ARTICLE_PAGE},
    "annotate:gold-add": {"GET": CURATOR_ARTICLE_PAGE, "POST": CURATOR_ARTICLE_PAGE},
    "annotate:gold-edit": {"GET": CURATOR_ARTICLE_PAGE, "POST": CURATOR_ARTICLE_PAGE},
    # --- assignments: managers
    "annotate:assignments": {"GET": MANAGER_PAGE},
    "annotate:assignments-bulk": {"POST": MANAGER_PAGE},
    "annotate:assignment-add": {"POST": MANAGER_PAGE},
    "annotate:assignment-remove": {"POST": MANAGER_PAGE},
    # --- a project's settings, scheme editor and deletion: managers
    "annotate:project-settings": {"GET": MANAGER_PAGE, "POST": MANAGER_PAGE},
    "annotate:project-scheme": {"GET": MANAGER_PAGE, "POST": MANAGER_PAGE},
    "annotate:project-delete": {"GET": MANAGER_PAGE, "POST": MANAGER_PAGE},
    # --- suggestion settings and runs: managers
    "annotate:suggestion-settings": {"GET": MANAGER_PAGE, "POST": MANAGER_PAGE},
    "annotate:suggestion-job": {"GET": MANAGER_PAGE},
    "annotate:recommender": {"GET": CURATOR_PAGE},
    "annotate:recommender-train": {"POST": CURATOR_PAGE},
    "annotate:recommender-activate": {"POST": MANAGER_PAGE},
    "annotate:recommender-deactivate": {"POST": MANAGER_PAGE},
    # --- exports: curators and managers (the archive format: managers)
    "annotate:export": {"GET": CURATOR_PAGE},
    "annotate:export-download": {"GET": CURATOR_PAGE},
    "annotate:export-job": {"GET": CURATOR_PAGE},
    "annotate:export-job-file": {"GET": CURATOR_PAGE},
    # --- importing annotations: curators and managers (as an annotator's claims: managers;
    # an empty POST is a 400 with the form's errors, so curators get "ok" here)
    "annotate:import": {"GET": CURATOR_PAGE, "POST": CURATOR_PAGE},
    # --- the team: managers (annotate/team/)
    "annotate:team": {"GET": MANAGER_PAGE},
    "annotate:team-add": {"POST": MANAGER_PAGE},
    "annotate:team-invite": {"POST": MANAGER_PAGE},
    "annotate:member-role": {"POST": MANAGER_PAGE},
    "annotate:member-remove": {"POST": MANAGER_PAGE},
    "annotate:invitation-revoke": {"POST": MANAGER_PAGE},
    # The invitation link: anyone who has it (a new person signs up; a user joins).
    "annotate:invitation": {"GET": PUBLIC, "POST": PUBLIC},
    # --- the user's own page (the token to revoke is the manager's: others get 404)
    "corpus:account": {"GET": "L ok ok ok ok ok ok"},
    "corpus:account-password": {"POST": "L ok ok ok ok ok ok"},
    "corpus:account-token-create": {"POST": "L ok ok ok ok ok ok"},
    "corpus:account-token-revoke": {"POST": "L 404 404 404 404 ok 404"},
    # --- the API
    "api:project-list": {"GET": "401 ok ok ok ok ok ok", "POST": "401 ok ok ok ok ok ok"},
    "api:project-detail": {"GET": MEMBER_API, "PATCH": MANAGER_API, "DELETE": MANAGER_API},
    "api:project-scheme": {"GET": MEMBER_API, "PUT": MANAGER_API},
    "api:api-token-list": {"GET": "401 ok ok ok ok ok ok", "POST": "401 ok ok ok ok ok ok"},
    "api:api-token-detail": {"DELETE": "401 404 404 404 404 ok 404"},
    # Who is who: curators and managers; the team changes: managers.
    "api:member-list": {"GET": CURATOR_API, "POST": MANAGER_API},
    "api:member-detail": {"PATCH": MANAGER_API, "DELETE": MANAGER_API},
    "api:invitation-list": {"GET": MANAGER_API, "POST": MANAGER_API},
    "api:invitation-detail": {"DELETE": MANAGER_API},
    "api:invitation-accept": {"POST": PUBLIC},
    "api:article-list": {"GET": MEMBER_API, "POST": MANAGER_API},
    "api:article-upload": {"POST": MANAGER_API},
    "api:article-import": {"POST": MANAGER_API},
    "api:article-from-urls": {"POST": MANAGER_API},
    "api:article-import-job": {"GET": MANAGER_API},
    "api:article-detail": {"GET": ARTICLE_API},
    "api:source-list": {"GET": MEMBER_API, "POST": MEMBER_API},
    "api:source-detail": {"GET": MEMBER_API, "PATCH": CURATOR_API},
    "api:source-merge": {"POST": CURATOR_API},
    "api:source-merges": {"GET": CURATOR_API},
    "api:source-confirm": {"POST": CURATOR_API},
    "api:source-split": {"POST": MANAGER_API},
    "api:target-list": {"GET": MEMBER_API, "POST": MEMBER_API},
    "api:assignment-list": {"GET": MEMBER_API, "POST": MANAGER_API},
    # A's assignment: A reads it (403 on delete), B and C don't see it.
    "api:assignment-detail": {
        "GET": "401 ok 404 404 404 ok 404",
        "DELETE": "401 403 404 404 404 ok 404",
    },
    # Claims of an article: annotators assigned read their own and add; curators read all
    # (a curator not assigned can't add: 403).
    "api:claim-list": {"GET": ARTICLE_API, "POST": "401 ok ok 404 403 ok 404"},
    "api:claim-detail": {
        "GET": CLAIM_READ_API,
        "PATCH": CLAIM_WRITE_API,
        "DELETE": CLAIM_WRITE_API,
    },
    "api:claim-restore": {"POST": CLAIM_WRITE_API},
    "api:claim-history": {"GET": CLAIM_READ_API},
    "api:project-agreement": {"GET": CURATOR_API},
    "api:cluster-list": {"GET": CURATOR_API, "POST": CURATOR_API},
    "api:cluster-detail": {"GET": CURATOR_API},
    # A's own claim: A may read it but not cluster (403); B and C can't see it.
    "api:claim-cluster-suggestions": {"GET": "401 403 404 404 ok ok 404"},
    "api:network": {"GET": CURATOR_API},
    "api:suggester-scores": {"GET": CURATOR_API},
    "api:decision-list": {"GET": CURATOR_API},
    "api:project-export": {"GET": CURATOR_API},
    "api:project-export-job": {"GET": CURATOR_API},
    "api:project-export-job-file": {"GET": CURATOR_API},
    "api:project-import": {"POST": CURATOR_API},
    # The catch-all under /api/: a JSON 404 for everyone.
    "api:not-found": dict.fromkeys(
        ("DELETE", "GET", "PATCH", "POST", "PUT"), "404 404 404 404 404 404 404"
    ),
}


def _outcome(response: Any) -> str:
    status = response.status_code
    if status == 302 and response["Location"].startswith(reverse("login")):
        return "L"
    if status in (401, 403, 404, 405) or status >= 500:
        return str(status)
    return "ok"


def _routes() -> dict[str, Route]:
    return {route.name: route for route in all_routes()}


def test_every_route_has_a_rule() -> None:
    routes = _routes()
    missing = sorted(name for name in routes if not _skipped(name) and name not in RULES)
    assert not missing, f"Routes without a rule in RULES: {missing}"
    stale = sorted(name for name in RULES if name not in routes)
    assert not stale, f"RULES for routes that no longer exist: {stale}"


def test_every_method_a_route_answers_has_a_rule() -> None:
    routes = _routes()
    wrong = {
        name: (sorted(rule), list(routes[name].methods))
        for name, rule in RULES.items()
        if name in routes and sorted(rule) != sorted(routes[name].methods)
    }
    assert not wrong, f"Methods in RULES differ from the views' (rule, view): {wrong}"


def test_every_rule_lists_every_actor() -> None:
    for name, rule in RULES.items():
        for method, row in rule.items():
            assert len(row.split()) == len(ACTORS), f"{name} {method}: {row!r}"


def _client(route: Route, user: Any | None) -> Client:
    return api_client(user) if route.is_api else page_client(user)


CASES = [(name, method) for name, rule in sorted(RULES.items()) for method in sorted(rule)]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_permission_matrix(world: World, name: str, method: str) -> None:
    route = _routes()[name]
    url = reverse(name, kwargs=kwargs_for(route, world))
    expected = dict(zip(ACTORS, RULES[name][method].split(), strict=True))
    clients = {actor: _client(route, world.users.get(actor)) for actor in ACTORS}
    actual = {}
    for actor in ACTORS:
        # Each actor meets the same world: what an allowed actor writes is rolled back.
        with transaction.atomic():
            response = getattr(clients[actor], method.lower())(url)
            actual[actor] = _outcome(response)
            transaction.set_rollback(True)
    wrong = {
        a: f"expected {expected[a]}, got {actual[a]}" for a in ACTORS if actual[a] != expected[a]
    }
    assert not wrong, f"{method} {url}: {wrong}"


PAGE_CASES = sorted(
    name
    for name, rule in RULES.items()
    if not name.startswith("api:") and name != "home" and set(rule) <= {"GET", "POST"}
)


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGE_CASES)
def test_pages_refuse_other_methods_with_405(world: World, name: str) -> None:
    route = _routes()[name]
    url = reverse(name, kwargs=kwargs_for(route, world))
    client = page_client(world.users["manager"])
    for method in {"GET", "POST", "PUT", "DELETE"} - set(RULES[name]):
        response = getattr(client, method.lower())(url)
        assert response.status_code == 405, f"{method} {url}: {response.status_code}"


API_CASES = sorted(name for name in RULES if name.startswith("api:") and name != "api:not-found")


@pytest.mark.django_db
@pytest.mark.parametrize("name", API_CASES)
def test_api_refuses_other_methods_with_405(world: World, name: str) -> None:
    route = _routes()[name]
    url = reverse(name, kwargs=kwargs_for(route, world))
    client = api_client(world.users["manager"])
    for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - set(RULES[name]):
        response = getattr(client, method.lower())(url)
        assert response.status_code == 405, f"{method} {url}: {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, r in RULES.items() if r.get("GET", "")[:1] == "L"))
def test_anonymous_htmx_requests_are_sent_to_login(world: World, name: str) -> None:
    url = reverse(name, kwargs=kwargs_for(_routes()[name], world))
    response = Client().get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
