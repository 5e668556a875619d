"""``claims_create_many``: claim_create's checks for a whole batch, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotate.claims.bulk import Resolved, claims_create_many
from annotate.claims.checks import StanceInput
from annotate.claims.services import claim_create, claim_snapshot
from annotate.claims.values import ClaimFields, claim_fields
from annotate.models import Assignment, AssignmentStatus, Claim, ClaimStance, History
from tests.factories import ArticleFactory, span
from tests.scenes import Scene

LABELS: dict[str, Any] = {
    "attribution": "reported",
    "source_reliability": "B",
    "information_credibility": "2",
    "claim_type": "factual",
}


def good(s: Scene, article: Any, words: str, **changes: Any) -> ClaimFields:
    start, end = span(article.text, words)
    values: dict[str, Any] = {
        "start": start,
        "end": end,
        "quote": words,
        "source": s.sources[0],
        "stances": [StanceInput(s.targets[0], "favor")],
        "labels": LABELS,
    }
    values.update(changes)
    return ClaimFields(**values)


def test_a_valid_batch_creates_claims_stances_and_history(scene: Scene) -> None:
    s, (a, _) = scene, scene.ann
    made = claims_create_many(
        article_claims=[(s.article, good(s, s.article, w)) for w in ("Ankara", "Moscow disagrees")],
        annotator=a,
    )
    assert [c.quote for c in made] == ["Ankara", "Moscow disagrees"]
    assert all(c.pk for c in made)
    assert ClaimStance.objects.filter(claim__in=made).count() == 2
    # The history rows look like claim_create's.
    single = claim_create(
        article=s.article,
        annotator=a,
        fields=claim_fields(
            {
                "start": span(s.article.text, "China")[0],
                "end": span(s.article.text, "China")[1],
                "source": s.sources[0],
                "stances": [StanceInput(s.targets[0], "favor")],
                **LABELS,
            }
        ),
    )
    rows: dict[int, Any] = {h.object_id: h for h in History.objects.filter(entity="claim")}
    for claim in made:
        row: Any = rows[claim.pk]
        assert (row.action, row.actor_id, row.before) == ("create", a.pk, None)
        assert set(row.after) == set(rows[single.pk].after or {})
        assert row.after["stances"] == [{"target": s.targets[0].pk, "stance": "favor"}]
        assert row.after["quote"] == claim.quote and row.after["version"] == claim.version


def test_the_history_rows_hold_the_json_the_field_writes(scene: Scene) -> None:
    # history_record_many encodes before/after itself (issue 21): the text must be what
    # the JSON field would store, and read back as the claim's snapshot.
    s, (a, _) = scene, scene.ann
    note = 'Non-ASCII “quoted” é, a backslash \\ and "quotes"'
    [claim] = claims_create_many(
        article_claims=[(s.article, good(s, s.article, "Ankara", note=note))], annotator=a
    )
    row = History.objects.get(entity="claim", object_id=claim.pk)
    assert row.before is None
    assert row.after == claim_snapshot(Claim.objects.get(pk=claim.pk))
    assert row.after["note"] == note
    with connection.cursor() as cursor:
        cursor.execute("SELECT after FROM annotate_history WHERE id = %s", [row.pk])
        (stored,) = cursor.fetchone()
    if connection.vendor == "sqlite":  # stored as text: the field's own encoding
        field = History._meta.get_field("after")
        assert stored == field.get_db_prep_save(row.after, connection)


def test_assignments_are_marked_started_once(
    scene: Scene, django_assert_max_num_queries: Any
) -> None:
    s, (a, _) = scene, scene.ann
    Assignment.objects.filter(annotator=a).update(status=AssignmentStatus.NOT_STARTED)
    others = [ArticleFactory(project=s.project, text=f"{k} {s.article.text}") for k in range(3)]
    for article in others:
        Assignment.objects.create(article=article, annotator=a)
    items = [(art, good(s, art, w)) for art in [s.article, *others] for w in ("Ankara", "China")]
    with django_assert_max_num_queries(12):
        claims_create_many(article_claims=items, annotator=a)
    statuses = set(Assignment.objects.filter(annotator=a).values_list("status", flat=True))
    assert statuses == {AssignmentStatus.IN_PROGRESS}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": 10_000}, "end"),
        ({"quote": "wrong"}, "quote"),
        ({"source": 999_999}, "source"),
        ({"stances": [StanceInput(999_999, "favor")]}, "stances"),
        ({"labels": {**LABELS, "claim_type": "nonsense"}}, "claim_type"),
        ({"mention": [0, 10_000]}, "source_mention"),
        ({"labels": {"colour": "red"}}, "__all__"),
    ],
)
def test_any_invalid_item_writes_nothing_and_is_named(
    scene: Scene, changes: dict[str, Any], field: str
) -> None:
    s, (a, _) = scene, scene.ann
    items = [
        (s.article, good(s, s.article, "Ankara")),
        (s.article, good(s, s.article, "China")),
        (s.article, good(s, s.article, "Moscow disagrees", **changes)),
    ]
    before = (Claim.objects.count(), ClaimStance.objects.count(), History.objects.count())
    with pytest.raises(ValidationError) as caught:
        claims_create_many(article_claims=items, annotator=a)
    problems = caught.value.error_list
    assert {(p.params or {})["index"] for p in problems} == {2}
    assert field in {(p.params or {})["field"] for p in problems}
    assert all(m.startswith("item 2: ") for m in caught.value.messages)
    assert (Claim.objects.count(), ClaimStance.objects.count(), History.objects.count()) == before


def test_every_bad_item_is_listed(scene: Scene) -> None:
    s, (a, _) = scene, scene.ann
    items = [
        (s.article, good(s, s.article, "Ankara", end=10_000)),
        (s.article, good(s, s.article, "China")),
        (s.article, good(s, s.article, "Moscow disagrees", source=999_999)),
    ]
    with pytest.raises(ValidationError) as caught:
        claims_create_many(article_claims=items, annotator=a)
    assert {(p.params or {})["index"] for p in caught.value.error_list} == {0, 2}


def test_a_source_of_another_project_is_refused(scene: Scene) -> None:
    from tests.factories import SourceFactory

    s, (a, _) = scene, scene.ann
    stranger = SourceFactory(project=ArticleFactory().project, name="Elsewhere")
    with pytest.raises(ValidationError, match="not in this project's registry"):
        claims_create_many(
            article_claims=[(s.article, good(s, s.article, "Ankara", source=stranger.pk))],
            annotator=a,
        )


def test_offsets_count_code_points_with_emoji_and_cyrillic(scene: Scene) -> None:
    s, (a, _) = scene, scene.ann
    text = "Флаг 🇹🇷 поднят. «Москва не согласна», — сказал Умаров 😀. Конец."
    article = ArticleFactory(project=s.project, text=text)
    quote = "Москва не согласна"
    start = text.index(quote)
    made = claims_create_many(
        article_claims=[
            (article, good(s, article, quote, start=start, end=start + len(quote), quote=quote)),
            (article, good(s, article, "Умаров 😀")),
        ],
        annotator=a,
    )
    assert [c.quote for c in made] == [quote, "Умаров 😀"]
    # Splitting the flag (two code points) is refused, as claim_create refuses it.
    flag = text.index("🇹🇷")
    with pytest.raises(ValidationError):
        claims_create_many(
            article_claims=[
                (article, good(s, article, "Флаг", start=flag, end=flag + 1, quote=None))
            ],
            annotator=a,
        )


def test_an_empty_batch_writes_nothing(scene: Scene) -> None:
    assert claims_create_many(article_claims=[], annotator=scene.ann[0]) == []


def test_each_items_label_problems_are_its_own_and_claim_creates(scene: Scene) -> None:
    """The batch reads the scheme once (``labels_memo``): items with different label
    problems still get their own messages, word for word those ``claim_create`` gives,
    and a good item between them none."""
    s, (a, _) = scene, scene.ann
    missing = {k: v for k, v in LABELS.items() if k != "attribution"}
    bad = [
        good(s, s.article, "Ankara", labels={**LABELS, "claim_type": "nonsense"}),
        good(s, s.article, "China"),
        good(s, s.article, "Moscow disagrees", labels=missing, source=None, stances=[]),
        good(
            s,
            s.article,
            "Ankara",
            stances=[StanceInput(s.targets[0], "maybe"), StanceInput(s.targets[0], "favor")],
        ),
    ]
    with pytest.raises(ValidationError) as caught:
        claims_create_many(article_claims=[(s.article, f) for f in bad], annotator=a)
    by_item: dict[int, list[str]] = {}
    for problem in caught.value.error_list:
        params = problem.params or {}
        by_item.setdefault(params["index"], []).append(f"{params['field']}: {params['message']}")
    assert set(by_item) == {0, 2, 3}
    for index in (0, 2, 3):
        with pytest.raises(ValidationError) as one:
            claim_create(article=s.article, annotator=a, fields=bad[index])
        alone = [f"{k}: {m}" for k, ms in one.value.message_dict.items() for m in ms]
        assert sorted(by_item[index]) == sorted(alone)
    assert any("is not a value of" in m for m in by_item[0])
    assert "attribution: Attribution is required." in by_item[2]
    assert any("listed twice" in m for m in by_item[3])


def _unsaved_claim(s: Scene, annotator: Any) -> Claim:
    from annotate.claims.checks import Errors
    from annotate.claims.services import OneByOne, claim_build

    built = claim_build(
        s.article, annotator, good(s, s.article, "Ankara"), Errors(), OneByOne(None)
    )
    assert built is not None
    return built.claim


def test_a_built_claim_is_what_the_model_constructor_makes(scene: Scene) -> None:
    """``_new_claim`` sets a new claim's attributes in place (issue 21); with someone
    listening to a claim's construction it calls ``Claim(...)``: both give the same
    attributes, in the same order, and the same cached article, annotator and source."""
    from django.db.models.signals import post_init

    s, (a, _) = scene, scene.ann
    fast = _unsaved_claim(s, a)
    heard: list[Any] = []

    def listener(sender: Any, instance: Any, **kwargs: Any) -> None:
        heard.append(instance)

    post_init.connect(listener, sender=Claim)
    try:
        slow = _unsaved_claim(s, a)
    finally:
        post_init.disconnect(listener, sender=Claim)
    assert heard == [slow]
    values = {k: v for k, v in vars(fast).items() if k != "_state"}
    assert list(values.items()) == [(k, v) for k, v in vars(slow).items() if k != "_state"]
    assert values["annotator_id"] == a.pk and values["id"] is None and values["version"] == 1
    assert fast._state.adding and fast._state.db is None
    for name in ("article", "annotator", "source"):
        assert fast._state.fields_cache[name] == slow._state.fields_cache[name]
    assert fast.source == s.sources[0] and fast.article == s.article


def test_later_batches_read_only_the_sources_and_targets_not_found_yet(
    scene: Scene, django_assert_num_queries: Any
) -> None:
    # Issue 21: every batch of an import read again the sources and targets the batches
    # before it had found. With one ``Resolved`` a batch reads only the ids new to it.
    s, (a, _) = scene, scene.ann
    resolved = Resolved(a)
    first = [(s.article, good(s, s.article, "Ankara"))]
    with CaptureQueriesContext(connection) as one:
        claims_create_many(article_claims=first, annotator=a, resolved=resolved)
    again = [(s.article, good(s, s.article, "China"))]  # the same source and target
    with CaptureQueriesContext(connection) as two:
        [claim] = claims_create_many(article_claims=again, annotator=a, resolved=resolved)
    assert len(two) == len(one) - 2  # neither the source nor the target read again
    assert (claim.source_id, claim.stances.get().target_id) == (s.sources[0].pk, s.targets[0].pk)
    # A new source (and target) is read, alone.
    third = [(s.article, good(s, s.article, "Moscow disagrees", source=s.sources[1].pk))]
    with CaptureQueriesContext(connection) as three:
        [claim] = claims_create_many(article_claims=third, annotator=a, resolved=resolved)
    assert len(three) == len(one) - 1 and claim.source_id == s.sources[1].pk
    source_reads = [q["sql"] for q in three.captured_queries if '"annotate_source"' in q["sql"]]
    assert len(source_reads) == 1 and str(s.sources[0].pk) not in source_reads[0].split("IN")[1]


def test_an_unknown_id_fails_in_every_batch_with_the_same_error(scene: Scene) -> None:
    s, (a, _) = scene, scene.ann
    resolved = Resolved(a)
    claims_create_many(
        article_claims=[(s.article, good(s, s.article, "Ankara"))], annotator=a, resolved=resolved
    )
    missing = 10**9
    bad = good(s, s.article, "China", source=missing, stances=[StanceInput(missing, "favor")])
    for _ in range(2):  # not remembered as absent, nor as found
        with pytest.raises(ValidationError) as caught:
            claims_create_many(article_claims=[(s.article, bad)], annotator=a, resolved=resolved)
        text = str(caught.value)
        assert f"Source {missing} is not in this project's registry" in text
        assert f"Not targets of this project: {missing}" in text
    assert Claim.objects.filter(quote="China").count() == 0


def test_sources_found_for_one_viewer_are_not_lent_to_another(scene: Scene) -> None:
    s, (a, b) = scene, scene.ann
    resolved = Resolved(a)
    item = [(s.article, good(s, s.article, "Ankara"))]
    claims_create_many(article_claims=item, annotator=a, resolved=resolved)
    with pytest.raises(ValueError, match="another viewer"):
        claims_create_many(article_claims=item, annotator=b, resolved=resolved)
    assert not Claim.objects.filter(annotator=b).exists()
