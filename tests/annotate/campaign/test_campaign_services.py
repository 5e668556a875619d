"""The scheme editor's and project deletion's services (annotate/campaign/services.py),
the pure operations of corpus/scheme_edit.py, and the project services they lean on."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from annotate.campaign import services
from annotate.chains.links import LinkInput
from annotate.claims.services import claim_delete, claim_update
from annotate.claims.values import ClaimChanges
from annotate.models import Claim, ClaimStance, History, HistoryAction, Suggestion
from corpus import scheme_edit
from corpus import services as corpus_services
from corpus.models import Membership, Project, Role
from corpus.scheme import default_scheme, validate_scheme
from tests.factories import (
    ArticleFactory,
    ProjectFactory,
    SourceFactory,
    UserFactory,
    make_claim,
)

pytestmark = pytest.mark.django_db


# --- Creating and updating projects ------------------------------------------------


def test_a_user_who_starts_a_project_becomes_its_manager() -> None:
    user = UserFactory()
    project = corpus_services.project_start(creator=user, name="My campaign")
    assert project.slug == "my-campaign"
    assert Membership.objects.get(project=project, user=user).role == Role.MANAGER


@pytest.mark.parametrize(
    ("rule", "staff", "in_group", "allowed"),
    [
        ("everyone", False, False, True),
        ("staff", False, False, False),
        ("staff", True, False, True),
        ("group:leads", False, False, False),
        ("group:leads", False, True, True),
    ],
)
def test_project_creators_setting_decides_who_may_start_a_project(
    settings: Any, rule: str, staff: bool, in_group: bool, allowed: bool
) -> None:
    settings.CLAIMDESK_PROJECT_CREATORS = rule
    user = UserFactory(is_staff=staff)
    if in_group:
        user.groups.add(Group.objects.create(name="leads"))
    if allowed:
        corpus_services.project_start(creator=user, name="Allowed")
    else:
        with pytest.raises(PermissionDenied):
            corpus_services.project_start(creator=user, name="Refused")
        assert not Project.objects.exists()


def test_project_update_archives_and_sets_agreement_thresholds(project: Any) -> None:
    corpus_services.project_update(
        project=project, archived=True, agreement_overlap=0.7, agreement_background_claims=100
    )
    project.refresh_from_db()
    assert (project.archived, project.agreement_overlap, project.agreement_background_claims) == (
        True,
        0.7,
        100,
    )
    assert not Project.objects.active().filter(pk=project.pk).exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"agreement_overlap": 0},
        {"agreement_overlap": 1.5},
        {"agreement_overlap": "nan"},
        {"agreement_background_claims": 0},
        {"archived": "yes"},
        {"name": "a\x00b"},
        {"description": "x" * 10_001},
    ],
)
def test_project_update_refuses_bad_values_and_writes_nothing(project: Any, fields: Any) -> None:
    before = Project.objects.values().get(pk=project.pk)
    with pytest.raises(ValidationError):
        corpus_services.project_update(project=project, **fields)
    assert Project.objects.values().get(pk=project.pk) == before


def test_claims_of_an_archived_project_are_read_only(project: Any, annotator: Any) -> None:
    article = ArticleFactory(project=project)
    claim = make_claim(article, annotator)
    corpus_services.project_update(project=project, archived=True)
    article.project.refresh_from_db()
    with pytest.raises(ValidationError, match="archived"):
        make_claim(article, annotator, "influence")
    with pytest.raises(ValidationError, match="archived"):
        claim_update(
            claim=claim,
            actor=annotator,
            version=claim.version,
            changes=ClaimChanges(note="changed"),
        )
    with pytest.raises(ValidationError, match="archived"):
        claim_delete(claim=claim, actor=annotator)
    claim.refresh_from_db()
    assert (claim.note, claim.deleted_at, Claim.objects.count()) == ("", None, 1)


# --- Scheme: pure operations -------------------------------------------------------------


def test_presets_are_valid_schemes() -> None:
    for preset in scheme_edit.PRESETS:
        validate_scheme(preset.scheme())
    minimal = scheme_edit.preset("span-source").scheme()["fields"]
    assert minimal["source"] == {"label": "Source", "required": True, "hidden": False}
    assert minimal["claim_type"]["hidden"] and minimal["stances"]["hidden"]
    checkworthy = scheme_edit.preset("checkworthy").scheme()["fields"]
    assert checkworthy["checkworthy"]["required"] and not checkworthy["checkworthy"]["hidden"]
    assert checkworthy["source"]["hidden"]


def test_value_operations_add_relabel_move_and_rename() -> None:
    scheme = scheme_edit.value_add(default_scheme(), "claim_type", value="rhetorical", label="R")
    assert scheme["fields"]["claim_type"]["values"][-1] == {"value": "rhetorical", "label": "R"}
    scheme = scheme_edit.value_set(scheme, "claim_type", value="rhetorical", label="Rhetorical")
    scheme = scheme_edit.value_move(scheme, "claim_type", value="rhetorical", by=-10)
    codes = [v["value"] for v in scheme["fields"]["claim_type"]["values"]]
    assert codes[0] == "rhetorical"
    scheme = scheme_edit.value_rename(scheme, "source_reliability", value="F", new="X")
    assert scheme["fields"]["source_reliability"]["missing"] == ["X"]


@pytest.mark.parametrize(
    "bad",
    [
        lambda s: scheme_edit.value_add(s, "claim_type", value="factual"),
        lambda s: scheme_edit.value_add(s, "claim_type", value=""),
        lambda s: scheme_edit.value_add(s, "claim_type", value="x" * 33),
        lambda s: scheme_edit.value_add(s, "note", value="x"),
        lambda s: scheme_edit.value_add(s, "nope", value="x"),
        lambda s: scheme_edit.value_rename(s, "claim_type", value="factual", new="evaluative"),
        lambda s: scheme_edit.field_set(s, "checkworthy", required=True),  # hidden
        lambda s: scheme_edit.field_set(s, "note", label="x" * 101),
    ],
)
def test_bad_operations_are_refused(bad: Any) -> None:
    with pytest.raises(ValidationError):
        bad(default_scheme())


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(extra=1),
        lambda s: s["fields"].update(mood={"label": "Mood"}),
        lambda s: s["fields"]["note"].update(requird=True),
        lambda s: s["fields"]["note"].update(values=[{"value": "x"}]),
        lambda s: s["fields"]["claim_type"]["values"].append("factual"),
        lambda s: s["fields"]["claim_type"]["values"].append({"value": " padded "}),
        lambda s: s["fields"]["claim_type"].update(label=7),
        lambda s: s["fields"]["source_reliability"].update(missing=["Z"]),
        lambda s: s.update(default_targets=[None]),
        lambda s: s.update(version=True),
    ],
)
def test_validate_scheme_refuses_what_would_be_a_silent_no_op_or_a_crash(change: Any) -> None:
    scheme = default_scheme()
    change(scheme)
    with pytest.raises(ValidationError):
        validate_scheme(scheme)


# --- Scheme against claims ------------------------------------------------------------


@pytest.fixture
def claimed(project: Any, manager: Any, annotator: Any) -> Any:
    article = ArticleFactory(project=project)
    make_claim(article, annotator, source_reliability="F")
    make_claim(article, annotator, "influence", source_reliability="F", claim_type="evaluative")
    return project


def test_removing_a_value_in_use_is_refused_with_its_count(claimed: Any, manager: Any) -> None:
    scheme = scheme_edit.value_remove(claimed.scheme, "source_reliability", value="F")
    with pytest.raises(services.SchemeBreaks) as caught:
        services.scheme_apply(project=claimed, scheme=scheme, actor=manager)
    assert caught.value.problems == ["2 claims use Source reliability = F."]
    claimed.refresh_from_db()
    assert "F" in [v["value"] for v in claimed.scheme["fields"]["source_reliability"]["values"]]


def test_removing_an_unused_value_is_applied(claimed: Any, manager: Any) -> None:
    scheme = scheme_edit.value_remove(claimed.scheme, "claim_type", value="predictive")
    services.scheme_apply(project=claimed, scheme=scheme, actor=manager)
    claimed.refresh_from_db()
    assert "predictive" not in [
        v["value"] for v in claimed.scheme["fields"]["claim_type"]["values"]
    ]


def test_requiring_a_field_that_claims_leave_empty_is_refused(claimed: Any, manager: Any) -> None:
    scheme = scheme_edit.field_set(claimed.scheme, "note", required=True)
    scheme = scheme_edit.field_set(scheme, "checkworthy", hidden=False)
    scheme = scheme_edit.field_set(scheme, "checkworthy", required=True)
    with pytest.raises(services.SchemeBreaks) as caught:
        services.scheme_apply(project=claimed, scheme=scheme, actor=manager)
    assert caught.value.problems == ["2 claims have no Check-worthy: it can't be required."]


def test_hiding_a_field_claims_fill_is_refused(claimed: Any, manager: Any) -> None:
    scheme = scheme_edit.field_set(claimed.scheme, "claim_type", required=False, hidden=True)
    with pytest.raises(services.SchemeBreaks, match="2 claims have a Claim type"):
        services.scheme_apply(project=claimed, scheme=scheme, actor=manager)


def test_a_preset_that_would_orphan_claims_is_refused(claimed: Any, manager: Any) -> None:
    with pytest.raises(services.SchemeBreaks):
        services.scheme_apply(
            project=claimed, scheme=scheme_edit.preset("checkworthy").scheme(), actor=manager
        )


def test_renaming_a_value_migrates_every_claim_with_history(claimed: Any, manager: Any) -> None:
    claim = Claim.objects.filter(article__project=claimed).first()
    assert claim is not None
    assert claim.annotator is not None
    claim_delete(claim=claim, actor=claim.annotator)  # deleted claims are renamed too
    scheme = scheme_edit.value_rename(claimed.scheme, "source_reliability", value="F", new="U")
    scheme = scheme_edit.value_rename(scheme, "stance", value="favor", new="pro")
    change = services.scheme_apply(
        project=claimed,
        scheme=scheme,
        actor=manager,
        renames={"source_reliability": {"F": "U"}, "stance": {"favor": "pro"}},
    )
    assert change.migrated == 2
    assert set(Claim.objects.values_list("source_reliability", flat=True)) == {"U"}
    assert set(ClaimStance.objects.values_list("stance", flat=True)) == {"pro"}
    rows = History.objects.filter(action=HistoryAction.UPDATE, actor=manager)
    assert rows.count() == 2
    row = rows.get(object_id=claim.pk)
    assert row.before is not None and row.after is not None
    assert row.before["source_reliability"] == "F" and row.after["source_reliability"] == "U"
    assert row.after["stances"][0]["stance"] == "pro"
    assert row.after["version"] == row.before["version"] + 1


def test_renaming_a_reliability_renames_it_on_the_chain_links_too(
    claimed: Any, manager: Any
) -> None:
    claim = Claim.objects.filter(article__project=claimed).order_by("pk").first()
    assert claim is not None and claim.annotator is not None
    carrier = SourceFactory(project=claimed, name="Berliner Zeitung")
    claim = claim_update(
        claim=claim,
        actor=claim.annotator,
        version=claim.version,
        changes=ClaimChanges(
            chain=[LinkInput(source=carrier, reliability="F"), LinkInput(carrier, "", None, "B")]
        ),
    )
    scheme = scheme_edit.value_rename(claimed.scheme, "source_reliability", value="F", new="U")
    services.scheme_apply(
        project=claimed, scheme=scheme, actor=manager, renames={"source_reliability": {"F": "U"}}
    )
    assert list(claim.chain.order_by("position").values_list("reliability", flat=True)) == [
        "U",
        "B",
    ]
    row = History.objects.filter(action=HistoryAction.UPDATE, actor=manager).get(object_id=claim.pk)
    assert row.before is not None and row.after is not None
    assert [k["reliability"] for k in row.before["chain"]] == ["F", "B"]
    assert [k["reliability"] for k in row.after["chain"]] == ["U", "B"]


def test_removing_a_reliability_a_chain_link_uses_is_refused(claimed: Any, manager: Any) -> None:
    claim = Claim.objects.filter(article__project=claimed, source_reliability="F").first()
    assert claim is not None and claim.annotator is not None
    claim_update(
        claim=claim,
        actor=claim.annotator,
        version=claim.version,
        changes=ClaimChanges(
            chain=[LinkInput(source=SourceFactory(project=claimed), reliability="E")]
        ),
    )
    scheme = scheme_edit.value_remove(claimed.scheme, "source_reliability", value="E")
    with pytest.raises(services.SchemeBreaks, match="1 claim with a chain link rated"):
        services.scheme_apply(project=claimed, scheme=scheme, actor=manager)


def test_a_rename_without_its_scheme_change_is_refused(claimed: Any, manager: Any) -> None:
    with pytest.raises(ValidationError, match="renames"):
        services.scheme_apply(
            project=claimed,
            scheme=claimed.scheme,
            actor=manager,
            renames={"source_reliability": {"F": "U"}},
        )
    assert set(Claim.objects.values_list("source_reliability", flat=True)) == {"F"}


def test_an_archived_projects_scheme_is_not_changed(claimed: Any, manager: Any) -> None:
    corpus_services.project_update(project=claimed, archived=True)
    with pytest.raises(ValidationError, match="archived"):
        services.scheme_apply(project=claimed, scheme=default_scheme(), actor=manager)


# --- Deleting ----------------------------------------------------------------------------


def test_delete_needs_the_typed_name(claimed: Any) -> None:
    with pytest.raises(ValidationError, match="Type the project's name"):
        services.project_destroy(project=claimed, confirm_name="wrong")
    assert Project.objects.filter(pk=claimed.pk).exists()


def test_delete_with_gold_needs_a_second_confirmation(claimed: Any, curator: Any) -> None:
    article = claimed.articles.get()
    make_claim(article, None, actor=curator)  # a gold claim
    with pytest.raises(ValidationError, match="1 gold claim"):
        services.project_destroy(project=claimed, confirm_name=claimed.name)
    assert Claim.objects.count() == 3
    deleted = services.project_destroy(
        project=claimed, confirm_name=claimed.name, confirm_gold=True
    )
    assert (deleted.articles, deleted.claims, deleted.gold) == (1, 2, 1)
    assert not Project.objects.filter(pk=claimed.pk).exists()
    assert not Claim.objects.exists()


def test_delete_of_a_project_without_gold_takes_one_confirmation() -> None:
    project = ProjectFactory(name="Plain")
    services.project_destroy(project=project, confirm_name="Plain")
    assert not Project.objects.exists()


def test_renaming_a_value_renames_it_in_the_labels_suggestions_propose(
    claimed: Any, manager: Any
) -> None:
    article = ArticleFactory(project=claimed)
    proposes = Suggestion.objects.create(
        article=article,
        start=0,
        end=5,
        quote=article.text[:5],
        attribution="direct",
        suggester="imported",
        labels={
            "source_reliability": "F",
            "claim_type": "factual",
            "stances": [{"target": 1, "stance": "favor"}, {"target": 2, "stance": "none"}],
        },
    )
    untouched = Suggestion.objects.create(
        article=article, start=6, end=9, quote=article.text[6:9], suggester="imported"
    )
    scheme = scheme_edit.value_rename(claimed.scheme, "source_reliability", value="F", new="U")
    scheme = scheme_edit.value_rename(scheme, "stance", value="favor", new="pro")
    scheme = scheme_edit.value_rename(scheme, "attribution", value="direct", new="quoted")
    services.scheme_apply(
        project=claimed,
        scheme=scheme,
        actor=manager,
        renames={
            "source_reliability": {"F": "U"},
            "stance": {"favor": "pro"},
            "attribution": {"direct": "quoted"},
        },
    )
    proposes.refresh_from_db()
    assert proposes.attribution == "quoted"
    assert proposes.labels == {
        "source_reliability": "U",
        "claim_type": "factual",
        "stances": [{"target": 1, "stance": "pro"}, {"target": 2, "stance": "none"}],
    }
    untouched.refresh_from_db()
    assert untouched.labels == {}
