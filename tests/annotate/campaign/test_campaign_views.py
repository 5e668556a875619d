"""The project pages: New project, settings, scheme editor, delete."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Claim, Target
from corpus.models import Membership, Project, Role
from tests.conftest import login
from tests.factories import ArticleFactory, ProjectFactory, UserFactory, make_claim

pytestmark = pytest.mark.django_db


def _settings(project: Any) -> str:
    return reverse("annotate:project-settings", args=[project.slug])


def _scheme(project: Any) -> str:
    return reverse("annotate:project-scheme", args=[project.slug])


# --- New project ------------------------------------------------------------------------


def test_an_ordinary_user_creates_a_project_and_manages_it(client: Client) -> None:
    user = UserFactory()
    login(client, user)
    page = client.get(reverse("corpus:project-list"))
    assert reverse("corpus:project-create").encode() in page.content
    response = client.post(reverse("corpus:project-create"), {"name": "Elections 2026"})
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("corpus:project-detail", args=[project.slug])
    assert Membership.objects.get(project=project).role == Role.MANAGER
    detail = client.get(response["Location"])
    assert _settings(project).encode() in detail.content


def test_new_project_with_a_bad_name_writes_nothing(client: Client) -> None:
    login(client, UserFactory())
    response = client.post(reverse("corpus:project-create"), {"name": "  "})
    assert response.status_code == 400
    assert b"A project needs a name" in response.content
    assert not Project.objects.exists()


def test_new_project_refused_when_only_staff_may(client: Client, settings: Any) -> None:
    settings.CLAIMDESK_PROJECT_CREATORS = "staff"
    login(client, UserFactory())
    assert reverse("corpus:project-create").encode() not in client.get("/projects/").content
    assert client.get(reverse("corpus:project-create")).status_code == 403
    assert client.post(reverse("corpus:project-create"), {"name": "X"}).status_code == 403
    assert not Project.objects.exists()


def test_archived_projects_leave_the_default_list(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    client.post(_settings(project), {"action": "archive"})
    project.refresh_from_db()
    assert project.archived
    assert project.name.encode() not in client.get("/projects/").content
    assert project.name.encode() in client.get("/projects/?archived=1").content


# --- Settings -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["curator", "annotator"])
def test_settings_pages_are_managers_only(
    client: Client, project: Any, who: str, request: Any
) -> None:
    login(client, request.getfixturevalue(who))
    for url in (_settings(project), _scheme(project)):
        assert client.get(url).status_code == 403
    assert client.post(_settings(project), {"action": "archive"}).status_code == 403
    project.refresh_from_db()
    assert not project.archived


def test_settings_are_invisible_to_outsiders(client: Client, project: Any, outsider: Any) -> None:
    login(client, outsider)
    assert client.get(_settings(project)).status_code == 404
    assert client.post(_scheme(project), {"op": "preset", "preset": "claims"}).status_code == 404


def test_guidelines_preview_renders_without_saving(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    response = client.post(
        _settings(project),
        {"action": "preview", "name": project.name, "guidelines": "# Rules\n\n<script>x</script>"},
    )
    assert response.status_code == 200
    assert b"<h1>Rules</h1>" in response.content
    assert b"<script>x</script>" not in response.content
    project.refresh_from_db()
    assert project.guidelines == ""


def test_settings_save_name_and_agreement(client: Client, project: Any, manager: Any) -> None:
    login(client, manager)
    client.post(
        _settings(project),
        {"action": "save", "name": "Renamed", "description": "d", "guidelines": "g"},
    )
    response = client.post(
        _settings(project),
        {"action": "agreement", "agreement_overlap": "0.6", "agreement_background_claims": ""},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.guidelines, project.agreement_overlap) == ("Renamed", "g", 0.6)
    assert project.agreement_background_claims is None


@pytest.mark.parametrize(
    "data",
    [
        {"action": "agreement", "agreement_overlap": "2"},
        {"action": "agreement", "agreement_background_claims": "-3"},
        {"action": "save", "name": ""},
        {"action": "suggestions", "suggestion_backend": "oracle"},
        {"action": "nonsense"},
    ],
)
def test_bad_settings_are_a_400_and_write_nothing(
    client: Client, project: Any, manager: Any, data: Any
) -> None:
    login(client, manager)
    before = Project.objects.values().get(pk=project.pk)
    response = client.post(_settings(project), data)
    assert response.status_code == 400
    assert b"message-error" in response.content
    assert Project.objects.values().get(pk=project.pk) == before


def test_suggestions_settings_and_run(client: Client, project: Any, manager: Any) -> None:
    login(client, manager)
    ArticleFactory(project=project)
    client.post(
        _settings(project),
        {"action": "suggestions", "suggestions_enabled": "on", "suggestion_backend": "rules"},
    )
    project.refresh_from_db()
    assert project.suggestions_enabled
    client.post(_settings(project), {"action": "run"})
    page = client.get(_settings(project))
    assert b"Done: 1 of 1 articles" in page.content


# --- Scheme editor ------------------------------------------------------------------------


def test_scheme_editor_applies_a_preset_and_adds_a_value(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    client.post(_scheme(project), {"op": "preset", "preset": "checkworthy"})
    response = client.post(
        _scheme(project),
        {"op": "value-add", "field": "checkworthy", "value": "maybe", "label": "Maybe"},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    fields = project.scheme["fields"]
    assert fields["claim_type"]["hidden"]
    assert fields["checkworthy"]["values"][-1] == {"value": "maybe", "label": "Maybe"}
    assert b"Maybe" in client.get(_scheme(project)).content


def test_scheme_editor_refuses_a_change_that_orphans_claims(
    client: Client, project: Any, manager: Any, annotator: Any
) -> None:
    article = ArticleFactory(project=project)
    make_claim(article, annotator, source_reliability="F")
    login(client, manager)
    before = project.scheme
    response = client.post(
        _scheme(project), {"op": "value-remove", "field": "source_reliability", "value": "F"}
    )
    assert response.status_code == 400
    assert "1 claim use Source reliability = F." in response.content.decode()
    project.refresh_from_db()
    assert project.scheme == before


def test_scheme_editor_renames_a_code_on_claims(
    client: Client, project: Any, manager: Any, annotator: Any
) -> None:
    article = ArticleFactory(project=project)
    make_claim(article, annotator, claim_type="factual")
    login(client, manager)
    response = client.post(
        _scheme(project),
        {"op": "value-rename", "field": "claim_type", "value": "factual", "new": "fact"},
    )
    assert response.status_code == 302
    assert Claim.objects.get().claim_type == "fact"
    page = client.get(response["Location"]).content.decode()
    assert "1 claim migrated, with history." in page  # not “claim(s)”


def test_scheme_editor_field_flags_and_targets(client: Client, project: Any, manager: Any) -> None:
    login(client, manager)
    client.post(
        _scheme(project),
        {"op": "field", "field": "note", "label": "Comment", "help": "Why", "required": "on"},
    )
    client.post(_scheme(project), {"op": "target-add", "name": "Wind power"})
    client.post(_scheme(project), {"op": "target-add", "name": "Solar power"})
    solar = Target.objects.get(name="Solar power")
    client.post(_scheme(project), {"op": "target-move", "target": solar.pk, "direction": "up"})
    project.refresh_from_db()
    assert project.scheme["fields"]["note"] == {
        "label": "Comment",
        "help": "Why",
        "required": True,
        "hidden": False,
    }
    assert list(Target.objects.filter(project=project).values_list("name", flat=True)) == [
        "Solar power",
        "Wind power",
    ]
    client.post(_scheme(project), {"op": "target-remove", "target": solar.pk})
    assert not Target.objects.filter(name="Solar power").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"op": "nope"},
        {"op": "preset", "preset": "nope"},
        {"op": "value-add", "field": "note", "value": "x"},
        {"op": "value-add", "field": "claim_type", "value": "a\x00"},
        {"op": "target-remove", "target": "99999999"},
        {"op": "target-remove", "target": "²"},
        {"op": "value-move", "field": "claim_type", "value": "nope"},
    ],
)
def test_bad_scheme_edits_are_a_400_and_write_nothing(
    client: Client, project: Any, manager: Any, data: Any
) -> None:
    login(client, manager)
    before = project.scheme
    response = client.post(_scheme(project), data)
    assert response.status_code == 400
    project.refresh_from_db()
    assert project.scheme == before


# --- Delete -------------------------------------------------------------------------------


def test_delete_page_needs_the_name_and_a_second_confirmation_for_gold(
    client: Client, manager: Any, curator: Any, project: Any
) -> None:
    article = ArticleFactory(project=project)
    make_claim(article, None, actor=curator)
    url = reverse("annotate:project-delete", args=[project.slug])
    login(client, manager)
    assert b"gold claim" in client.get(url).content
    assert client.post(url, {"confirm_name": "wrong"}).status_code == 400
    response = client.post(url, {"confirm_name": project.name})
    assert response.status_code == 400
    assert b"Confirm a second time" in response.content
    assert Project.objects.filter(pk=project.pk).exists()
    response = client.post(url, {"confirm_name": project.name, "confirm_gold": "on"})
    assert response.status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()


def test_delete_is_managers_only(client: Client, project: Any, curator: Any) -> None:
    login(client, curator)
    url = reverse("annotate:project-delete", args=[project.slug])
    assert client.post(url, {"confirm_name": project.name}).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()
    other = ProjectFactory()
    assert client.get(reverse("annotate:project-delete", args=[other.slug])).status_code == 404


def test_the_campaign_pages_have_the_project_switcher_and_no_preset_chosen_for_you(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    for url in (
        _scheme(project),
        reverse("annotate:project-settings", args=[project.slug]),
        reverse("annotate:project-delete", args=[project.slug]),
    ):
        html = client.get(url).content.decode()
        assert '<details class="switcher">' in html, url
    scheme = client.get(_scheme(project)).content.decode()
    # Applying a preset replaces the scheme: the manager chooses one, none is pre-checked
    # (the first used to be, whatever the project's scheme was).
    assert (
        'name="preset"' in scheme
        and " checked" not in scheme.split('id="preset-form"')[1].split("</form>")[0]
    )
