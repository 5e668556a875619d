"""The admin: every model is there, writes go through the services, frozen text stays."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotate import admin as annotate_admin
from annotate.assignments import services as assignment_services
from annotate.models import (
    Assignment,
    AssignmentStatus,
    Claim,
    ClaimStance,
    History,
    Source,
    Target,
)
from annotate.sources import services as source_services
from corpus import services as corpus_services
from corpus.models import Article, Membership, Project, Role
from corpus.project_services import PROJECT_SETTINGS
from corpus.scheme import default_scheme
from corpus.text import sha256_text
from tests.conftest import login
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    ClaimFactory,
    SourceAliasFactory,
    SourceFactory,
    TargetFactory,
    UserFactory,
)


def admin_url(model: type[Model], view: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def inline_management(prefix: str, initial: int = 0, total: int = 0) -> dict[str, Any]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


@pytest.fixture
def everything(project: Any, manager: Any, annotator: Any) -> dict[type, Any]:
    """One row of every model, so that every admin page has something to show."""
    article = ArticleFactory(project=project)
    source = SourceFactory(project=project, name="Ahmet Davutoğlu", external_id="Q167636")
    SourceAliasFactory(source=source, alias="Davutoglu")
    return {
        Project: project,
        Membership: Membership.objects.get(project=project, user=manager),
        Article: article,
        Source: source,
        Target: TargetFactory(project=project),
        Assignment: AssignmentFactory(article=article, annotator=annotator),
        Claim: ClaimFactory(article=article, annotator=annotator, source=source),
    }


MODELS = [Project, Membership, Article, Source, Target, Assignment, Claim]


def test_every_model_is_registered() -> None:
    from django.apps import apps

    ours = [
        *apps.get_app_config("corpus").get_models(),
        *apps.get_app_config("annotate").get_models(),
    ]
    unregistered = [m.__name__ for m in ours if not admin.site.is_registered(m)]
    # Inline-only models are edited through their parent's page; merge records are made and
    # split by the services only (the kept source's page lists them), as are joins of a
    # proposed source (``source_join``: visibility, not data to edit); the cluster index's
    # row is the background task's bookkeeping (the cluster page shows its state); the
    # projects' version counters are written by database triggers only.
    assert set(unregistered) <= {
        "SourceMerge",
        "SourceJoin",
        "SourceAlias",
        "ClaimStance",
        "ChainLink",
        "DecisionOrigin",
        "SuggestionResponse",
        "ClusterMember",
        "ClusterIndex",
        "ProjectVersion",
        "NetworkCount",
        "OverviewCount",
    }, unregistered


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_pages_render(
    admin_client: Client, everything: dict[type, Any], model: type
) -> None:
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "a"}).status_code == 200
    obj = everything[model]
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.django_db
def test_history_is_listed_read_only(admin_client: Client) -> None:
    assert admin_client.get(admin_url(History, "changelist")).status_code == 200
    assert admin_client.get(admin_url(History, "add")).status_code == 403


@pytest.mark.django_db
def test_article_changelist_does_not_load_texts(
    admin_client: Client, everything: dict[type, Any]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(admin_url(Article, "changelist")).status_code == 200
    listing = [q["sql"] for q in queries if 'FROM "corpus_article"' in q["sql"]]
    assert listing
    assert not any('"corpus_article"."text"' in sql for sql in listing)


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Project, Membership, Article, Source, Target, Assignment])
def test_add_pages_render(admin_client: Client, model: type) -> None:
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.django_db
def test_non_staff_members_cannot_use_the_admin(client: Client, manager: Any) -> None:
    login(client, manager)
    response = client.get(admin_url(Article, "changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


# --- Articles ---------------------------------------------------------------------


def article_change_data(article: Article, **changes: Any) -> dict[str, Any]:
    data = {
        "title": article.title,
        "byline": article.byline,
        "outlet": article.outlet,
        "url": article.url,
        "published": "",
        "language": article.language,
        "metadata": "{}",
        "text": "Text posted to the change form.",
        "_save": "Save",
    }
    return data | changes


@pytest.mark.django_db
@pytest.mark.parametrize("annotated", [True, False], ids=["annotated", "not-annotated"])
def test_article_text_is_read_only_in_the_change_form(
    admin_client: Client, project: Any, annotated: bool
) -> None:
    article = ArticleFactory(project=project)
    if annotated:
        ClaimFactory(article=article)
    original = article.text
    url = admin_url(Article, "change", article.pk)

    form = admin_client.get(url).content.decode()
    assert 'name="text"' not in form
    assert 'name="title"' in form

    response = admin_client.post(url, article_change_data(article, title="A better title"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "A better title"
    assert article.text == original
    assert article.sha256 == sha256_text(original)


@pytest.mark.django_db
def test_article_change_goes_through_the_service_validation(
    admin_client: Client, article: Any
) -> None:
    url = admin_url(Article, "change", article.pk)
    response = admin_client.post(url, article_change_data(article, url="javascript:alert(1)"))
    assert response.status_code == 200
    assert "Enter a valid URL" in response.content.decode()
    article.refresh_from_db()
    assert article.url == ""


@pytest.mark.django_db
def test_adding_an_article_normalises_hashes_and_counts_its_text(
    admin_client: Client, project: Any
) -> None:
    text = "  First paragraph.\r\n\r\n\r\n\r\nSecond paragraph, Akıncı said.  \r\n"
    response = admin_client.post(
        admin_url(Article, "add"),
        {
            "project": project.pk,
            "title": "Added in the admin",
            "language": "en",
            "text": text,
            "metadata": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(title="Added in the admin")
    assert article.text == "First paragraph.\n\nSecond paragraph, Akıncı said."
    assert article.sha256 == sha256_text(article.text)
    assert article.char_count == len(article.text)


@pytest.mark.django_db
def test_adding_a_duplicate_article_is_a_form_error(admin_client: Client, article: Any) -> None:
    response = admin_client.post(
        admin_url(Article, "add"),
        {
            "project": article.project_id,
            "title": "Same text again",
            "language": "en",
            "text": article.text,
            "metadata": "{}",
        },
    )
    assert response.status_code == 200
    assert "Another article of the project has this text." in response.content.decode()
    assert not Article.objects.filter(title="Same text again").exists()


@pytest.mark.django_db
def test_adding_an_article_with_a_nul_character_is_a_form_error(
    admin_client: Client, project: Any
) -> None:
    response = admin_client.post(
        admin_url(Article, "add"),
        {"project": project.pk, "title": "Binary", "language": "en", "text": "a\x00b"},
    )
    assert response.status_code == 200
    assert not Article.objects.filter(title="Binary").exists()


# --- Sources ----------------------------------------------------------------------


def source_data(project: Any, name: str, aliases: list[str], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "project": project.pk,
        "name": name,
        "kind": "person",
        "description": "",
        "external_id": "",
        **inline_management("aliases", total=len(aliases)),
    }
    for i, alias in enumerate(aliases):
        data[f"aliases-{i}-alias"] = alias
    return data | extra


@pytest.mark.django_db
def test_adding_a_source_with_aliases_sets_their_search_keys(
    admin_client: Client, project: Any
) -> None:
    response = admin_client.post(
        admin_url(Source, "add"),
        source_data(project, "  Ahmet   Davutoğlu ", ["Davutoğlu", "Hoca", "Давутоглу"]),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    source = Source.objects.get(project=project)
    assert (source.name, source.name_key) == ("Ahmet Davutoğlu", "ahmet davutoglu")
    # "Давутоглу" has the same key as "Davutoğlu": one alias, not two.
    assert sorted(source.aliases.values_list("alias", "alias_key")) == [
        ("Davutoğlu", "davutoglu"),
        ("Hoca", "hoca"),
    ]


@pytest.mark.django_db
def test_admin_source_search_ignores_diacritics(
    admin_client: Client, everything: dict[type, Any]
) -> None:
    response = admin_client.get(admin_url(Source, "changelist"), {"q": "davutoglu"})
    assert list(response.context["cl"].result_list) == [everything[Source]]


@pytest.mark.django_db
def test_a_clashing_source_name_is_a_form_error(admin_client: Client, project: Any) -> None:
    SourceFactory(project=project, name="Ahmet Davutoğlu")
    response = admin_client.post(
        admin_url(Source, "add"), source_data(project, "ahmet DAVUTOGLU", [])
    )
    assert response.status_code == 200
    assert "The registry already has “Ahmet Davutoğlu”." in response.content.decode()
    assert Source.objects.filter(project=project).count() == 1


@pytest.mark.django_db
def test_an_alias_without_letters_is_a_form_error(admin_client: Client, project: Any) -> None:
    response = admin_client.post(
        admin_url(Source, "add"), source_data(project, "Dmitry Isachenko", ["…!"])
    )
    assert response.status_code == 200
    assert "at least one letter or digit" in response.content.decode()
    assert not Source.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_changing_a_source_replaces_its_aliases_through_the_service(
    admin_client: Client, project: Any
) -> None:
    source = SourceFactory(project=project, name="Dmitry Isachenko")
    old = SourceAliasFactory(source=source, alias="Isachenko")
    kept = SourceAliasFactory(source=source, alias="D. Isachenko")
    data = source_data(project, "Dmitry  Isachenko", ["Isachenko", "D. Isachenko", "Dima"])
    data |= inline_management("aliases", initial=2, total=3)
    data |= {"aliases-0-id": old.pk, "aliases-0-DELETE": "on", "aliases-1-id": kept.pk}
    data |= {"seen_version": source.version}
    data.pop("project")
    response = admin_client.post(admin_url(Source, "change", source.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    source.refresh_from_db()
    assert source.name == "Dmitry Isachenko"
    assert sorted(source.aliases.values_list("alias", "alias_key")) == [
        ("D. Isachenko", "d isachenko"),
        ("Dima", "dima"),
    ]


@pytest.mark.django_db
def test_the_source_change_form_carries_the_version_it_was_loaded_at(
    admin_client: Client, project: Any
) -> None:
    source = SourceFactory(project=project, name="Dmitry Isachenko", version=4)
    response = admin_client.get(admin_url(Source, "change", source.pk))
    assert response.context["adminform"].form["seen_version"].value() == 4


@pytest.mark.django_db
def test_an_admin_edit_over_a_newer_source_is_a_form_error_not_an_overwrite(
    admin_client: Client, project: Any
) -> None:
    source = SourceFactory(project=project, name="Dmitry Isachenko")
    loaded = source.version
    source_services.source_update(source=source, description="changed elsewhere")
    data = source_data(project, "Dmitry Isachenko", [], description="from the admin")
    data |= {"seen_version": loaded}
    data.pop("project")
    response = admin_client.post(admin_url(Source, "change", source.pk), data)
    assert response.status_code == 200
    assert "Someone else changed this source" in response.content.decode()
    source.refresh_from_db()
    assert (source.description, source.version) == ("changed elsewhere", loaded + 1)


@pytest.mark.django_db
def test_an_admin_source_change_without_the_version_is_refused(
    admin_client: Client, project: Any
) -> None:
    source = SourceFactory(project=project, name="Dmitry Isachenko")
    data = source_data(project, "Dmitry Isachenko", [], description="from the admin")
    data.pop("project")
    response = admin_client.post(admin_url(Source, "change", source.pk), data)
    assert response.status_code == 200
    source.refresh_from_db()
    assert source.description == ""


# --- Targets, assignments, memberships, projects ----------------------------------


@pytest.mark.django_db
def test_adding_a_target_goes_through_the_service(admin_client: Client, project: Any) -> None:
    TargetFactory(project=project, name="Turkey's influence", position=0)
    response = admin_client.post(
        admin_url(Target, "add"), {"project": project.pk, "name": "Russia’s  role"}
    )
    assert response.status_code == 302
    target = Target.objects.get(project=project, name="Russia’s role")
    assert target.name_key == "russias role"
    assert target.position == 1
    again = admin_client.post(
        admin_url(Target, "add"), {"project": project.pk, "name": "RUSSIA’S ROLE"}
    )
    assert again.status_code == 200
    assert Target.objects.filter(project=project).count() == 2


@pytest.mark.django_db
def test_assigning_an_outsider_is_a_form_error(
    admin_client: Client, article: Any, outsider: Any, annotator: Any
) -> None:
    url = admin_url(Assignment, "add")
    refused = admin_client.post(
        url, {"article": article.pk, "annotator": outsider.pk, "status": "not_started"}
    )
    assert refused.status_code == 200
    assert "is not a member of the project" in refused.content.decode()
    assert not Assignment.objects.exists()

    accepted = admin_client.post(
        url, {"article": article.pk, "annotator": annotator.pk, "status": "in_progress"}
    )
    assert accepted.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert assignment.assigned_by is not None and assignment.assigned_by.is_superuser


@pytest.mark.django_db
def test_membership_role_change_goes_through_the_service(
    admin_client: Client, project: Any, annotator: Any
) -> None:
    membership = Membership.objects.get(project=project, user=annotator)
    response = admin_client.post(
        admin_url(Membership, "change", membership.pk), {"role": Role.CURATOR}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.CURATOR


@pytest.mark.django_db
def test_adding_a_membership_and_a_duplicate(admin_client: Client, project: Any) -> None:
    user = UserFactory()
    data = {"project": project.pk, "user": user.pk, "role": Role.ANNOTATOR}
    assert admin_client.post(admin_url(Membership, "add"), data).status_code == 302
    assert admin_client.post(admin_url(Membership, "add"), data).status_code == 200
    assert Membership.objects.filter(project=project, user=user).count() == 1


@pytest.mark.django_db
def test_adding_a_project_gives_it_the_default_scheme(admin_client: Client) -> None:
    data = {
        "name": "Turkey in the Caucasus",
        "slug": "turkey-caucasus",
        "description": "",
        "guidelines": "",
        "scheme": json.dumps(default_scheme()),
        **inline_management("memberships"),
    }
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Project.objects.get(slug="turkey-caucasus").scheme == default_scheme()


@pytest.mark.django_db
def test_an_invalid_scheme_is_a_form_error(admin_client: Client, project: Any) -> None:
    data = {
        "name": project.name,
        "slug": project.slug,
        "description": "",
        "guidelines": "",
        "scheme": '{"no": "fields"}',
        **inline_management("memberships"),
    }
    response = admin_client.post(admin_url(Project, "change", project.pk), data)
    assert response.status_code == 200
    project.refresh_from_db()
    assert "fields" in project.scheme


# --- Claims -----------------------------------------------------------------------


@pytest.mark.django_db
def test_claims_are_view_only_in_the_admin(admin_client: Client, everything: dict[type, Any]):
    claim = everything[Claim]
    assert admin_client.get(admin_url(Claim, "add")).status_code == 403
    assert (
        admin_client.post(admin_url(Claim, "delete", claim.pk), {"post": "yes"}).status_code == 403
    )
    page = admin_client.get(admin_url(Claim, "change", claim.pk)).content.decode()
    assert 'name="start"' not in page
    assert 'name="_save"' not in page
    response = admin_client.post(
        admin_url(Claim, "change", claim.pk), {"start": 1, "end": 2, "quote": "x"}
    )
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.start == 0


@pytest.mark.django_db
def test_annotated_article_cannot_be_deleted_in_the_admin(admin_client: Client) -> None:
    claim = ClaimFactory()
    url = reverse("admin:corpus_article_delete", args=[claim.article_id])
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=claim.article_id).exists()


@pytest.mark.django_db
def test_unannotated_article_can_be_deleted_in_the_admin(admin_client: Client) -> None:
    article = ArticleFactory()
    url = reverse("admin:corpus_article_delete", args=[article.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()


# --- Every admin write goes through a service -------------------------------------


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Record the calls of a service the admin looks up on its services module."""

    def watch(module: Any, name: str) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = []
        real = getattr(module, name)

        def recorded(**kwargs: Any) -> Any:
            calls.append(kwargs)
            return real(**kwargs)

        monkeypatch.setattr(module, name, recorded)
        return calls

    return watch


@pytest.mark.django_db
def test_an_assignment_status_edit_goes_through_the_service(
    admin_client: Client, assigned_article: Any, spy: Any
) -> None:
    calls = spy(assignment_services, "assignment_status_set")
    assignment = Assignment.objects.get()
    response = admin_client.post(
        admin_url(Assignment, "change", assignment.pk), {"status": AssignmentStatus.DONE}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [c["status"] for c in calls] == [AssignmentStatus.DONE]
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DONE


@pytest.mark.django_db
def test_an_assignment_whose_annotator_has_claims_cannot_be_deleted_in_the_admin(
    admin_client: Client, assigned_article: Any, annotator: Any
) -> None:
    ClaimFactory(article=assigned_article, annotator=annotator)
    assignment = Assignment.objects.get()
    url = admin_url(Assignment, "delete", assignment.pk)
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    selected = {"action": "delete_selected", "_selected_action": [assignment.pk], "post": "yes"}
    assert admin_client.post(admin_url(Assignment, "changelist"), selected).status_code == 403
    assert Assignment.objects.filter(pk=assignment.pk).exists()


@pytest.mark.django_db
def test_a_claim_made_while_the_admin_confirms_a_delete_stops_it(
    admin_client: Client, assigned_article: Any, annotator: Any, monkeypatch: Any
) -> None:
    # The confirmation page saw no claims; the service, under its lock, sees one.
    ClaimFactory(article=assigned_article, annotator=annotator)
    monkeypatch.setattr(annotate_admin, "assignment_has_live_claims", lambda assignment: False)
    assignment = Assignment.objects.get()
    other = AssignmentFactory(article=ArticleFactory(project=assigned_article.project))
    selected = {
        "action": "delete_selected",
        "_selected_action": [other.pk, assignment.pk],
        "post": "yes",
    }
    response = admin_client.post(admin_url(Assignment, "changelist"), selected)
    assert response.status_code == 403
    # All or none: the other assignment, which could go, stays too.
    assert Assignment.objects.count() == 2


@pytest.mark.django_db
def test_assignments_without_claims_are_deleted_through_the_service(
    admin_client: Client, assigned_article: Any, spy: Any
) -> None:
    calls = spy(assignment_services, "assignment_delete")
    first = Assignment.objects.get()
    second = AssignmentFactory(article=ArticleFactory(project=assigned_article.project))
    url = admin_url(Assignment, "delete", first.pk)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    selected = {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"}
    assert admin_client.post(admin_url(Assignment, "changelist"), selected).status_code == 302
    assert [c["assignment"].pk for c in calls] == [first.pk, second.pk]
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_a_project_edit_goes_through_the_service(
    admin_client: Client, project: Any, spy: Any
) -> None:
    calls = spy(corpus_services, "project_update")
    data = {
        "name": "  Turkey in the Caucasus ",
        "slug": project.slug,
        "description": "New description",
        "guidelines": "",
        "scheme": json.dumps(project.scheme),
        **inline_management("memberships"),
    }
    response = admin_client.post(admin_url(Project, "change", project.pk), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert calls and set(calls[-1]) >= {"project", "name", "description"}
    project.refresh_from_db()
    assert (project.name, project.description) == ("Turkey in the Caucasus", "New description")


@pytest.mark.django_db
def test_a_project_with_claims_cannot_be_deleted_in_the_admin(admin_client: Client) -> None:
    claim = ClaimFactory()
    project = claim.article.project
    response = admin_client.post(admin_url(Project, "delete", project.pk), {"post": "yes"})
    assert response.status_code == 403  # claims are view-only: nobody may delete them
    assert Project.objects.filter(pk=project.pk).exists()
    assert Claim.objects.filter(pk=claim.pk).exists()


@pytest.mark.django_db
def test_a_project_without_claims_is_deleted_through_the_service(
    admin_client: Client, spy: Any
) -> None:
    calls = spy(corpus_services, "project_delete")
    article = ArticleFactory()
    url = admin_url(Project, "delete", article.project_id)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert len(calls) == 1
    assert not Project.objects.filter(pk=article.project_id).exists()


@pytest.mark.django_db
def test_membership_and_article_deletes_go_through_the_services(
    admin_client: Client, project: Any, annotator: Any, spy: Any
) -> None:
    memberships = spy(corpus_services, "membership_delete")
    articles = spy(corpus_services, "article_delete")
    membership = Membership.objects.get(project=project, user=annotator)
    url = admin_url(Membership, "delete", membership.pk)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    article = ArticleFactory(project=project)
    selected = {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"}
    assert admin_client.post(admin_url(Article, "changelist"), selected).status_code == 302
    assert (len(memberships), len(articles)) == (1, 1)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not Article.objects.filter(pk=article.pk).exists()


@pytest.mark.django_db
def test_a_source_delete_goes_through_the_service_and_is_recorded(
    admin_client: Client, project: Any, spy: Any
) -> None:
    calls = spy(source_services, "source_delete")
    source = SourceFactory(project=project, name="Dmitry Isachenko")
    url = admin_url(Source, "delete", source.pk)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert len(calls) == 1
    assert not Source.objects.filter(pk=source.pk).exists()
    row = History.objects.get(entity="source", object_id=source.pk, action="delete")
    assert row.before is not None and row.before["name"] == "Dmitry Isachenko"
    assert row.actor is not None and row.actor.is_superuser


@pytest.mark.django_db
def test_a_cited_source_stays(admin_client: Client, project: Any) -> None:
    source = SourceFactory(project=project)
    ClaimFactory(article=ArticleFactory(project=project), source=source)
    url = admin_url(Source, "delete", source.pk)
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200  # the confirmation page again, listing the claim
    assert "Cannot delete source" in response.content.decode()
    assert Source.objects.filter(pk=source.pk).exists()


@pytest.mark.django_db
def test_target_edits_and_deletes_go_through_the_services(
    admin_client: Client, project: Any, spy: Any
) -> None:
    updates, deletes = spy(source_services, "target_update"), spy(source_services, "target_delete")
    target = TargetFactory(project=project, position=0)
    response = admin_client.post(admin_url(Target, "change", target.pk), {"position": 3})
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert target.position == 3
    url = admin_url(Target, "delete", target.pk)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert (len(updates), len(deletes)) == (1, 1)
    assert not Target.objects.filter(pk=target.pk).exists()


# --- The services behind the admin refuse what would lose work ---------------------


@pytest.mark.django_db
def test_the_delete_services_refuse_what_would_lose_work(project: Any, annotator: Any) -> None:
    article = ArticleFactory(project=project)
    target = TargetFactory(project=project)
    claim = ClaimFactory(
        article=article, annotator=annotator, source=SourceFactory(project=project)
    )
    ClaimStance.objects.create(claim=claim, target=target, stance="favor")
    assignment = AssignmentFactory(article=article, annotator=annotator)
    refusals = [
        (
            lambda: source_services.source_delete(source=claim.source),
            "merge it into another source",
        ),
        (lambda: source_services.target_delete(target=target), r"stance\(s\) are taken toward"),
        (
            lambda: assignment_services.assignment_delete(assignment=assignment, actor=None),
            "has claims",
        ),
        (lambda: corpus_services.article_delete(article=article), "is annotated"),
        (lambda: corpus_services.project_delete(project=project), "has claims"),
    ]
    for write, message in refusals:
        with pytest.raises(ValidationError, match=message):
            write()
    assert Source.objects.filter(pk=claim.source_id).exists()
    assert Target.objects.filter(pk=target.pk).exists()
    assert Assignment.objects.filter(pk=assignment.pk).exists()
    assert Project.objects.filter(pk=project.pk).exists()


@pytest.mark.django_db
def test_project_update_checks_what_project_create_checks(project: Any) -> None:
    other = Project.objects.create(name="Other", slug="other")
    with pytest.raises(ValidationError, match="already exists"):
        corpus_services.project_update(project=project, slug="Other")
    with pytest.raises(ValidationError, match="needs a name"):
        corpus_services.project_update(project=project, name="   ")
    with pytest.raises(ValidationError, match="cannot be changed"):
        corpus_services.project_update(project=project, created=None)
    corpus_services.project_update(project=other, slug="Other Things")
    other.refresh_from_db()
    assert other.slug == "other-things"


@pytest.mark.django_db
def test_assignment_status_set_refuses_an_unknown_status(assigned_article: Any) -> None:
    assignment = Assignment.objects.get()
    with pytest.raises(ValidationError, match="Unknown status"):
        assignment_services.assignment_status_set(
            assignment=assignment, status="finished", actor=None
        )
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.NOT_STARTED


@pytest.mark.django_db
def test_the_add_pages_hand_every_field_of_their_form_to_the_create_service(
    admin_client: Client, project: Any
) -> None:
    """The admin adds a project and an article by the services (``values_of``: the add
    forms' fields are the services' arguments), every field given, none left out."""
    calls: dict[str, dict[str, Any]] = {}

    def spy(name: str, service: Any) -> Any:
        def call(**given: Any) -> Any:
            calls[name] = given
            return service(**given)

        return call

    data = {
        "name": "Claims on the Caspian",
        "slug": "caspian",
        "description": "Who says what about the Caspian.",
        "guidelines": "Mark every claim.",
        "scheme": json.dumps(default_scheme()),
        "suggestions_enabled": "on",
        **inline_management("memberships"),
    }
    with mock.patch.object(
        corpus_services, "project_create", spy("project", corpus_services.project_create)
    ):
        assert admin_client.post(admin_url(Project, "add"), data).status_code == 302
    made = Project.objects.get(slug="caspian")
    assert set(calls["project"]) == set(PROJECT_SETTINGS)
    assert (made.description, made.guidelines, made.suggestions_enabled) == (
        "Who says what about the Caspian.",
        "Mark every claim.",
        True,
    )
    article = {
        "project": project.pk,
        "title": "Added",
        "byline": "Ayşe Yılmaz",
        "outlet": "Daily Sabah",
        "url": "https://example.org/a",
        "published": "2024-03-01",
        "language": "tr",
        "text": "A text added in the admin.",
        "metadata": '{"k": "v"}',
        "source_file": "by-hand.txt",
    }
    with mock.patch.object(
        corpus_services, "article_create", spy("article", corpus_services.article_create)
    ):
        response = admin_client.post(admin_url(Article, "add"), article)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert set(calls["article"]) == set(article)
    stored = Article.objects.get(title="Added")
    assert (stored.byline, stored.outlet, stored.url, str(stored.published)) == (
        "Ayşe Yılmaz",
        "Daily Sabah",
        "https://example.org/a",
        "2024-03-01",
    )
    assert (stored.language, stored.metadata, stored.source_file) == (
        "tr",
        {"k": "v"},
        "by-hand.txt",
    )
