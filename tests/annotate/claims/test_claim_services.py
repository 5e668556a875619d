"""The claim services: create, update (optimistic versions), delete, restore, history."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from annotate.claims.checks import StanceInput
from annotate.claims.services import (
    StaleVersion,
    claim_create,
    claim_delete,
    claim_restore,
    claim_snapshot,
    claim_update,
)
from annotate.claims.values import claim_changes, claim_fields
from annotate.models import Assignment, AssignmentStatus, Claim, ClaimStance, History
from corpus.text import sha256_text
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    SourceFactory,
    TargetFactory,
)

TEXT = (
    "Türkiye’nin Orta Asya’daki etkisi artıyor, diyor Akıncı. "
    "«Россия теряет позиции», — считает Яна Орехова. "
    "Erdoğan 🇹🇷 visited Astana 👩🏽‍💻 twice."
)


@pytest.fixture
def article(project: Any, annotator: Any) -> Any:
    article = ArticleFactory(
        project=project, text=TEXT, sha256=sha256_text(TEXT), char_count=len(TEXT)
    )
    AssignmentFactory(article=article, annotator=annotator)
    return article


@pytest.fixture
def source(project: Any) -> Any:
    return SourceFactory(project=project, name="Yana Orekhova")


@pytest.fixture
def target(project: Any) -> Any:
    return TargetFactory(project=project, name="Russia's influence in Central Asia")


def offsets(words: str) -> tuple[int, int]:
    start = TEXT.index(words)
    return start, start + len(words)


def labels(source: Any, target: Any, **more: Any) -> dict[str, Any]:
    return {
        "source": source,
        "stances": [StanceInput(target=target, stance="against")],
        "attribution": "direct",
        "source_reliability": "C",
        "information_credibility": "3",
        "claim_type": "evaluative",
        **more,
    }


def create(article: Any, annotator: Any, source: Any, target: Any, words: str, **more: Any) -> Any:
    start, end = offsets(words)
    return claim_create(
        article=article,
        annotator=annotator,
        fields=claim_fields(
            {"start": start, "end": end, "quote": words, **labels(source, target, **more)}
        ),
    )


def errors_of(call: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- Create --------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_stores_span_context_labels_and_stances(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    claim = create(article, annotator, source, target, "Россия теряет позиции")
    claim.refresh_from_db()
    assert TEXT[claim.start : claim.end] == claim.quote == "Россия теряет позиции"
    assert claim.prefix == TEXT[max(0, claim.start - 32) : claim.start]
    assert claim.suffix == TEXT[claim.end : claim.end + 32]
    assert (claim.source, claim.attribution, claim.claim_type) == (source, "direct", "evaluative")
    assert [(s.target, s.stance) for s in claim.stances.all()] == [(target, "against")]
    assert claim.version == 1 and claim.deleted_at is None


@pytest.mark.django_db
def test_create_marks_the_assignment_started_and_writes_history(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    claim = create(article, annotator, source, target, "Akıncı")
    assert Assignment.objects.get().status == AssignmentStatus.IN_PROGRESS
    row = History.objects.get()
    assert (row.entity, row.object_id, row.action, row.actor) == (
        "claim",
        claim.pk,
        "create",
        annotator,
    )
    assert row.project == article.project
    assert row.before is None
    assert row.after == claim_snapshot(claim)
    assert row.after["stances"] == [{"target": target.pk, "stance": "against"}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "words",
    [
        "Türkiye’nin Orta Asya’daki",  # Turkish: dotless ı, ğ, apostrophes
        "Яна Орехова",  # Cyrillic
        "Erdoğan 🇹🇷 visited",  # a flag: two code points, four UTF-16 units
        "👩🏽‍💻 twice",  # an emoji ZWJ sequence with a skin tone: four code points
    ],
)
def test_offsets_are_code_points(
    article: Any, annotator: Any, source: Any, target: Any, words: str
) -> None:
    claim = create(article, annotator, source, target, words)
    assert claim.end - claim.start == len(words)
    assert TEXT[claim.start : claim.end] == words


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start_delta", "end_delta", "field"),
    [(1, 0, "start"), (0, -1, "end")],
)
def test_offsets_may_not_split_a_flag_or_an_emoji(
    article: Any,
    annotator: Any,
    source: Any,
    target: Any,
    start_delta: int,
    end_delta: int,
    field: str,
) -> None:
    start, end = offsets("🇹🇷") if field == "start" else offsets("👩🏽‍💻")
    errors = errors_of(
        lambda: claim_create(
            article=article,
            annotator=annotator,
            fields=claim_fields(
                {"start": start + start_delta, "end": end + end_delta, **labels(source, target)}
            ),
        )
    )
    assert "cannot be split" in errors[field][0]
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_quote_must_match_the_text(article: Any, annotator: Any, source: Any, target: Any) -> None:
    start, end = offsets("Akıncı")
    errors = errors_of(
        lambda: claim_create(
            article=article,
            annotator=annotator,
            fields=claim_fields(
                {"start": start, "end": end, "quote": "Akinci", **labels(source, target)}
            ),
        )
    )
    assert errors == {
        "quote": [
            f"the quote does not match the text at {start}–{end}: expected “Akıncı”, got “Akinci”"
        ]
    }


@pytest.mark.django_db
def test_scheme_messages_name_the_allowed_values(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    errors = errors_of(
        lambda: create(
            article,
            annotator,
            source,
            target,
            "Akıncı",
            attribution="gossip",
            information_credibility="",
            checkworthy="yes",
        )
    )
    assert errors == {
        "attribution": [
            "“gossip” is not a value of Attribution; use one of: author, direct, reported, unnamed."
        ],
        "information_credibility": ["Information credibility is required."],
        "checkworthy": ["“checkworthy” is not used in this project."],
    }


@pytest.mark.django_db
def test_project_scheme_changes_what_is_allowed(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    scheme = article.project.scheme
    scheme["fields"]["checkworthy"].update(hidden=False)
    scheme["fields"]["claim_type"]["values"].append({"value": "rhetorical", "label": "R"})
    article.project.save()
    claim = create(
        article, annotator, source, target, "Akıncı", checkworthy="no", claim_type="rhetorical"
    )
    assert (claim.checkworthy, claim.claim_type) == ("no", "rhetorical")


@pytest.mark.django_db
def test_stance_values_and_duplicate_targets_are_refused(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    errors = errors_of(
        lambda: create(
            article,
            annotator,
            source,
            target,
            "Akıncı",
            stances=[StanceInput(target, "pro"), StanceInput(target.pk, "favor")],
        )
    )
    assert errors["stances"] == [
        "“pro” is not a stance; use one of: favor, against, none.",
        f"The target “{target.name}” is listed twice.",
    ]


@pytest.mark.django_db
def test_source_and_target_of_another_project_are_refused(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    foreign_source, foreign_target = SourceFactory(), TargetFactory()
    errors = errors_of(
        lambda: create(
            article,
            annotator,
            foreign_source,
            target,
            "Akıncı",
            stances=[StanceInput(foreign_target, "favor"), StanceInput(target, "none")],
        )
    )
    assert errors == {
        "source": [f"Source {foreign_source.pk} is not in this project's registry."],
        "stances": [f"Not targets of this project: {foreign_target.pk}."],
    }
    assert not Claim.objects.exists() and not ClaimStance.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", [2**63, 2**80, -1, 0, True])
def test_ids_that_cannot_exist_are_refused_not_crashed(
    article: Any, annotator: Any, source: Any, target: Any, bad_id: Any
) -> None:
    errors = errors_of(
        lambda: create(
            article,
            annotator,
            bad_id,
            target,
            "Akıncı",
            stances=[StanceInput(bad_id, "favor")],
        )
    )
    assert set(errors) == {"source", "stances"}


@pytest.mark.django_db
def test_source_mention_is_checked_like_a_span(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    mention = offsets("Яна Орехова")
    claim = create(article, annotator, source, target, "Россия теряет позиции", mention=mention)
    assert (claim.mention_start, claim.mention_end) == mention
    flag = offsets("🇹🇷")
    for bad, message in [
        ((5, 5), "the span is empty"),
        ((5, 9999), "end 9999 is past the end of the text"),
        ((flag[0] + 1, flag[1]), "cannot be split"),
        ((1,), "A mention is two offsets: start and end."),
    ]:
        errors = errors_of(
            lambda bad=bad: create(article, annotator, source, target, "Akıncı", mention=bad)
        )
        assert message in errors["source_mention"][0]


@pytest.mark.django_db
def test_every_problem_is_reported_at_once(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    errors = errors_of(
        lambda: claim_create(
            article=article,
            annotator=annotator,
            fields=claim_fields(
                {
                    "start": -1,
                    "end": 5,
                    "source": SourceFactory(),
                    "mention": (0, 10_000),
                    "stances": [],
                    "attribution": "x",
                }
            ),
        )
    )
    assert set(errors) == {
        "start",
        "source",
        "source_mention",
        "stances",
        "attribution",
        "source_reliability",
        "information_credibility",
        "claim_type",
    }


@pytest.mark.django_db
def test_unknown_label_fields_are_refused(
    article: Any, annotator: Any, source: Any, target: Any
) -> None:
    with pytest.raises(ValidationError, match="Unknown claim fields: mood"):
        create(article, annotator, source, target, "Akıncı", mood="grim")


# --- Update --------------------------------------------------------------------------


@pytest.fixture
def claim(article: Any, annotator: Any, source: Any, target: Any) -> Claim:
    claim: Claim = create(
        article, annotator, source, target, "Россия теряет позиции", mention=offsets("Яна Орехова")
    )
    return claim


@pytest.mark.django_db
def test_update_bumps_the_version_and_records_before_and_after(
    claim: Claim, manager: Any, target: Any
) -> None:
    second = TargetFactory(project=claim.article.project)
    start, end = offsets("«Россия теряет позиции»")
    updated = claim_update(
        claim=claim,
        actor=manager,
        version=1,
        changes=claim_changes(
            {
                "start": start,
                "end": end,
                "quote": "«Россия теряет позиции»",
                "stances": [StanceInput(target, "against"), StanceInput(second, "none")],
                "note": "quoted",
            }
        ),
    )
    assert updated.version == 2
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.start, stored.end, stored.quote) == (start, end, "«Россия теряет позиции»")
    assert sorted(stored.stances.values_list("target_id", "stance")) == [
        (target.pk, "against"),
        (second.pk, "none"),
    ]
    row = History.objects.get(action="update")
    assert row.actor == manager
    assert row.before is not None and row.after is not None
    assert (row.before["version"], row.after["version"]) == (1, 2)
    assert (row.before["quote"], row.after["quote"]) == ("Россия теряет позиции", stored.quote)
    assert len(row.before["stances"]) == 1 and len(row.after["stances"]) == 2
    assert row.after == claim_snapshot(stored)


@pytest.mark.django_db
def test_fields_left_out_keep_their_values(claim: Claim, annotator: Any) -> None:
    claim_update(
        claim=claim, actor=annotator, version=1, changes=claim_changes({"claim_type": "predictive"})
    )
    stored = Claim.objects.get(pk=claim.pk)
    assert stored.claim_type == "predictive"
    assert (stored.attribution, stored.source_id) == ("direct", claim.source_id)
    assert stored.mention_start is not None
    assert stored.stances.count() == 1


@pytest.mark.django_db
def test_none_clears_the_mention(claim: Claim, annotator: Any) -> None:
    claim_update(claim=claim, actor=annotator, version=1, changes=claim_changes({"mention": None}))
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.mention_start, stored.mention_end) == (None, None)


@pytest.mark.django_db
def test_clearing_a_required_source_is_refused(claim: Claim, annotator: Any) -> None:
    errors = errors_of(
        lambda: claim_update(
            claim=claim, actor=annotator, version=1, changes=claim_changes({"source": None})
        )
    )
    assert errors == {"source": ["Choose the source that makes the claim."]}
    assert Claim.objects.get(pk=claim.pk).version == 1


@pytest.mark.django_db
def test_stale_version_raises_with_the_current_claim(claim: Claim, annotator: Any) -> None:
    claim_update(claim=claim, actor=annotator, version=1, changes=claim_changes({"note": "one"}))
    with pytest.raises(StaleVersion) as caught:
        claim_update(
            claim=claim, actor=annotator, version=1, changes=claim_changes({"note": "two"})
        )
    assert caught.value.current.version == 2
    assert caught.value.current.note == "one"
    assert "now version 2" in str(caught.value)
    assert Claim.objects.get(pk=claim.pk).note == "one"
    assert History.objects.filter(action="update").count() == 1


@pytest.mark.django_db
def test_stale_version_wins_over_validation_errors(claim: Claim, annotator: Any) -> None:
    claim_update(claim=claim, actor=annotator, version=1, changes=claim_changes({"note": "one"}))
    with pytest.raises(StaleVersion):
        claim_update(
            claim=claim,
            actor=annotator,
            version=1,
            changes=claim_changes({"attribution": "nonsense"}),
        )


@pytest.mark.django_db
def test_no_version_means_no_check(claim: Claim, annotator: Any) -> None:
    claim_update(claim=claim, actor=annotator, version=1, changes=claim_changes({"note": "one"}))
    updated = claim_update(
        claim=claim, actor=annotator, version=None, changes=claim_changes({"note": "two"})
    )
    assert updated.version == 3


@pytest.mark.django_db
def test_an_update_that_changes_nothing_writes_nothing(claim: Claim, annotator: Any) -> None:
    unchanged = claim_update(
        claim=claim,
        actor=annotator,
        version=1,
        changes=claim_changes(
            {
                "attribution": "direct",
                "stances": [StanceInput(claim.stances.get().target_id, "against")],
                "note": "",
            }
        ),
    )
    assert unchanged.version == 1
    assert not History.objects.filter(action="update").exists()


@pytest.mark.django_db
def test_update_validates_like_create(claim: Claim, annotator: Any) -> None:
    errors = errors_of(
        lambda: claim_update(
            claim=claim,
            actor=annotator,
            version=1,
            changes=claim_changes({"end": len(TEXT) + 1, "stances": [], "source_reliability": "Z"}),
        )
    )
    assert set(errors) == {"end", "stances", "source_reliability"}
    assert errors["end"] == [
        f"end {len(TEXT) + 1} is past the end of the text ({len(TEXT)} characters)"
    ]
    stored = Claim.objects.get(pk=claim.pk)
    assert (stored.version, stored.end, stored.stances.count()) == (1, claim.end, 1)


@pytest.mark.django_db
def test_update_refuses_the_source_of_another_project(claim: Claim, annotator: Any) -> None:
    foreign = SourceFactory()
    errors = errors_of(
        lambda: claim_update(
            claim=claim, actor=annotator, version=1, changes=claim_changes({"source": foreign})
        )
    )
    assert errors == {"source": [f"Source {foreign.pk} is not in this project's registry."]}


# --- Delete and restore --------------------------------------------------------------


@pytest.mark.django_db
def test_delete_is_soft_and_restore_undoes_it(claim: Claim, annotator: Any) -> None:
    deleted = claim_delete(claim=claim, actor=annotator, version=1)
    assert deleted.deleted_at is not None and deleted.version == 2
    assert not Claim.objects.live().exists()
    assert Claim.objects.filter(pk=claim.pk).exists()
    restored = claim_restore(claim=claim, actor=annotator)
    assert restored.deleted_at is None and restored.version == 3
    actions = list(History.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["create", "delete", "restore"]
    delete_row = History.objects.get(action="delete")
    assert delete_row.before is not None and delete_row.after is not None
    assert (delete_row.before["deleted"], delete_row.after["deleted"]) == (False, True)


@pytest.mark.django_db
def test_delete_and_restore_twice_change_nothing_more(claim: Claim, annotator: Any) -> None:
    claim_delete(claim=claim, actor=annotator)
    assert claim_delete(claim=claim, actor=annotator).version == 2
    claim_restore(claim=claim, actor=annotator)
    assert claim_restore(claim=claim, actor=annotator).version == 3
    assert History.objects.count() == 3


@pytest.mark.django_db
def test_delete_with_a_stale_version_raises(claim: Claim, annotator: Any) -> None:
    claim_update(claim=claim, actor=annotator, version=1, changes=claim_changes({"note": "x"}))
    with pytest.raises(StaleVersion):
        claim_delete(claim=claim, actor=annotator, version=1)
    assert Claim.objects.get(pk=claim.pk).deleted_at is None


@pytest.mark.django_db
def test_a_deleted_claim_cannot_be_edited(claim: Claim, annotator: Any) -> None:
    claim_delete(claim=claim, actor=annotator)
    with pytest.raises(ValidationError, match="restore it before editing"):
        claim_update(claim=claim, actor=annotator, version=2, changes=claim_changes({"note": "x"}))
