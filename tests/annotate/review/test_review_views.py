"""The curators' screens: permissions of every view, what the pages show, adjudication
through htmx, and query counts that do not grow with the number of claims."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate.chains.links import LinkInput
from annotate.claims.checks import StanceInput
from annotate.claims.services import claim_update
from annotate.claims.values import claim_changes
from annotate.models import Assignment, Claim, Decision, DecisionAction, History, HistoryAction
from annotate.review.gold import gold_accept
from annotate.templatetags.when import said
from corpus.models import Role
from tests.conftest import login
from tests.factories import (
    ArticleFactory,
    AssignmentFactory,
    MembershipFactory,
    SourceFactory,
    UserFactory,
    make_claim,
    span,
)
from tests.helpers import post_merge
from tests.scenes import Scene

AKAR = "Ankara is ready to help"
UMAROV = "Moscow disagrees"
CHINA = "China watches quietly"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def annotate_differently(scene: Scene) -> dict[str, Claim]:
    a, b = scene.ann
    return {
        "a_akar": make_claim(scene.article, a, AKAR, attribution="direct"),
        "b_akar": make_claim(scene.article, b, AKAR, attribution="reported"),
        "a_umarov": make_claim(scene.article, a, UMAROV),
        "b_umarov": make_claim(scene.article, b, UMAROV),
        "a_china": make_claim(scene.article, a, CHINA),
    }


def pages(scene: Scene) -> list[str]:
    slug, pk = scene.project.slug, scene.article.pk
    return [
        reverse("annotate:agreement", args=[slug]),
        reverse("annotate:review-queue", args=[slug]),
        reverse("annotate:review", args=[pk]),
    ]


def posts(scene: Scene) -> list[str]:
    pk = scene.article.pk
    return [
        reverse(f"annotate:{name}", args=[pk])
        for name in ("review-accept", "review-merge", "review-reject", "review-bulk-accept")
    ]


# --- permissions --------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client: Client, scene: Scene) -> None:
    for url in [*pages(scene), *posts(scene)]:
        response = client.get(url) if url in pages(scene) else client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outsiders_get_404_everywhere(client: Client, scene: Scene, outsider: Any) -> None:
    annotate_differently(scene)
    login(client, outsider)
    for url in pages(scene):
        assert client.get(url).status_code == 404, url
    for url in posts(scene):
        assert client.post(url).status_code == 404, url
    assert client.get(reverse("annotate:assignments", args=[scene.project.slug])).status_code == 404


def test_annotators_get_403_and_never_see_other_claims(
    client: Client, scene: Scene, annotator: Any
) -> None:
    claims = annotate_differently(scene)
    login(client, annotator)
    for url in pages(scene):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"reported" not in response.content
    for url in posts(scene):
        assert client.post(url, {"claims": [claims["b_akar"].pk]}).status_code == 403, url
    assert not Decision.objects.exists()
    gold = gold_accept(
        curator=scene.project.memberships.get(role="curator").user, claim=claims["a_akar"]
    )
    assert client.get(reverse("annotate:gold-edit", args=[gold.pk])).status_code == 403
    assert client.get(reverse("annotate:assignments", args=[scene.project.slug])).status_code == 403


def test_curators_reach_review_but_not_assignments(
    client: Client, scene: Scene, curator: Any
) -> None:
    annotate_differently(scene)
    login(client, curator)
    for url in pages(scene):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("annotate:assignments", args=[scene.project.slug])).status_code == 403


def test_managers_reach_everything(client: Client, scene: Scene, manager: Any) -> None:
    annotate_differently(scene)
    login(client, manager)
    for url in [*pages(scene), reverse("annotate:assignments", args=[scene.project.slug])]:
        assert client.get(url).status_code == 200, url


def test_wrong_methods_are_refused(client: Client, scene: Scene, curator: Any) -> None:
    login(client, curator)
    for url in pages(scene):
        assert client.post(url).status_code == 405
    for url in posts(scene):
        assert client.get(url).status_code == 405


# --- the review screen --------------------------------------------------------------------


def test_review_screen_aligns_claims_and_marks_what_differs(
    client: Client, scene: Scene, curator: Any
) -> None:
    annotate_differently(scene)
    login(client, curator)
    html = client.get(reverse("annotate:review", args=[scene.article.pk])).content.decode()
    assert html.count('<section id="unit-') == 3
    assert 'data-field="attribution"' in html
    assert 'class="differs" data-field="attribution"' in html
    assert 'data-dispute="missing claim"' in html
    assert "annotator" in html and "other-annotator" in html
    # b made no claim on China: that column is marked missing in each of the 8 field rows
    # (span, source, source mention, the one stance target, four labels).
    assert html.count('class="missing"') == 8


def test_accept_via_htmx_returns_the_group_and_records_gold(
    client: Client, scene: Scene, curator: Any
) -> None:
    claims = annotate_differently(scene)
    login(client, curator)
    a, b = claims["a_akar"], claims["b_akar"]
    response = client.post(
        reverse("annotate:review-accept", args=[scene.article.pk]),
        {
            "unit": 0,
            "claims": [a.pk, b.pk],
            f"version-{a.pk}": 1,
            f"version-{b.pk}": 1,
            "claim": b.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('\n<section id="unit-0"') or html.lstrip().startswith(
        '<section id="unit-0"'
    )
    assert 'id="review-progress"' in html and "hx-swap-oob" in html
    assert "<html" not in html
    gold = Claim.objects.gold().get()
    assert gold.attribution == "reported"
    decision = Decision.objects.get()
    assert {o.claim_id for o in decision.origins.all()} == {a.pk, b.pk}


def test_merge_via_htmx_takes_fields_from_different_annotators(
    client: Client, scene: Scene, curator: Any
) -> None:
    a, b = scene.ann
    left = make_claim(scene.article, a, AKAR, attribution="direct", source_reliability="A")
    right = make_claim(scene.article, b, AKAR, attribution="reported", source_reliability="C")
    login(client, curator)
    response = post_merge(
        client,
        scene.article,
        left,
        right,
        {
            "take-attribution": right.pk,
            "take-source_reliability": left.pk,
            "rationale": "mixed",
        },
    )
    assert response.status_code == 200
    gold = Claim.objects.gold().get()
    assert (gold.attribution, gold.source_reliability) == ("reported", "A")
    assert Decision.objects.get().action == DecisionAction.MERGE


def _radio(html: str, row: str, claim: Claim) -> str:
    """The radio input of ``claim`` in the row ``row`` of a group's table."""
    found = re.search(rf'<input type="radio" name="take-{row}" value="{claim.pk}"[^>]*>', html)
    assert found, (row, claim.pk)
    return found.group(0)


def _row(html: str, row: str) -> str:
    found = re.search(rf'<tr class="[^"]*" data-field="{row}">.*?</tr>', html, re.S)
    assert found, row
    return found.group(0)


def test_after_a_merge_the_choices_shown_are_those_the_gold_claim_took(
    client: Client, scene: Scene, curator: Any
) -> None:
    """Issue 18: after a merge the radio buttons went back to annotator 1's values while the
    Gold column showed annotator 2's."""
    a, b = scene.ann
    turkey, russia = scene.targets
    left = make_claim(
        scene.article,
        a,
        AKAR,
        attribution="direct",
        source_reliability="A",
        stances=[StanceInput(turkey, "favor"), StanceInput(russia, "against")],
    )
    right = make_claim(
        scene.article,
        b,
        AKAR,
        attribution="reported",
        source_reliability="C",
        stances=[StanceInput(turkey, "favor"), StanceInput(russia, "none")],
    )
    login(client, curator)
    response = post_merge(
        client,
        scene.article,
        left,
        right,
        {
            "take-attribution": right.pk,
            "take-source_reliability": left.pk,
            f"take-stance-{russia.pk}": right.pk,
        },
    )
    assert response.status_code == 200
    gold = Claim.objects.gold().get()
    assert gold.attribution == "reported" and gold.source_reliability == "A"
    assert {s.target_id: s.stance for s in gold.stances.all()} == {
        turkey.pk: "favor",
        russia.pk: "none",
    }
    for html in (
        response.content.decode(),
        client.get(reverse("annotate:review", args=[scene.article.pk])).content.decode(),
    ):
        assert "checked" in _radio(html, "attribution", right)
        assert "checked" not in _radio(html, "attribution", left)
        assert "checked" in _radio(html, "source_reliability", left)
        assert "checked" in _radio(html, f"stance-{russia.pk}", right)
        assert "checked" not in _radio(html, f"stance-{russia.pk}", left)


def test_stances_are_compared_target_by_target(client: Client, scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    turkey, russia = scene.targets
    make_claim(
        scene.article,
        a,
        AKAR,
        stances=[StanceInput(turkey, "favor"), StanceInput(russia, "against")],
    )
    make_claim(
        scene.article,
        b,
        AKAR,
        stances=[StanceInput(turkey, "favor"), StanceInput(russia, "none")],
    )
    login(client, curator)
    html = client.get(reverse("annotate:review", args=[scene.article.pk])).content.decode()
    same, differs = _row(html, f"stance-{turkey.pk}"), _row(html, f"stance-{russia.pk}")
    assert 'class="differs"' in differs and "Stance · Russia" in differs
    assert 'class="differs"' not in same and "Stance · Turkey" in same
    assert 'type="radio"' not in same  # nothing to choose where they agree
    assert "→" not in same + differs  # one value per cell, not a joined string


def test_the_source_mention_is_shown(client: Client, scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    start, end = span(scene.article.text, "Akar.")
    make_claim(scene.article, a, AKAR, mention=(start, end - 1))
    make_claim(scene.article, b, AKAR)
    login(client, curator)
    html = client.get(reverse("annotate:review", args=[scene.article.pk])).content.decode()
    row = _row(html, "mention")
    assert "Source mention" in row and "“Akar”" in row and "(not marked)" in row
    assert 'class="differs"' in row


def test_a_fresh_decision_says_just_now_not_zero_minutes(
    client: Client, scene: Scene, curator: Any
) -> None:
    claims = annotate_differently(scene)
    gold_accept(curator=curator, claim=claims["a_umarov"], considered=[claims["b_umarov"]])
    login(client, curator)
    html = client.get(reverse("annotate:review", args=[scene.article.pk])).content.decode()
    assert "0\xa0minutes" not in html and "0 minutes" not in html
    assert re.search(
        r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC">just now</time>', html
    )


def test_when_says_minutes_then_a_date() -> None:
    now = timezone.now()
    assert said(now - timedelta(seconds=59), now) == "just now"
    assert said(now - timedelta(minutes=5), now) == "5\xa0minutes ago"
    assert said(now - timedelta(days=30), now).startswith("on ")


def test_a_stale_version_answers_409_with_the_current_group(
    client: Client, scene: Scene, curator: Any
) -> None:
    claims = annotate_differently(scene)
    a = claims["a_akar"]
    claim_update(
        claim=a, actor=scene.ann[0], version=1, changes=claim_changes({"claim_type": "predictive"})
    )
    login(client, curator)
    response = client.post(
        reverse("annotate:review-reject", args=[scene.article.pk]),
        {"unit": 0, "claims": [a.pk], f"version-{a.pk}": 1},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409
    assert b"data-conflict" in response.content
    assert not Decision.objects.exists()


def test_bulk_accept_via_htmx(client: Client, scene: Scene, curator: Any) -> None:
    a, b = scene.ann
    make_claim(scene.article, a, AKAR)
    make_claim(scene.article, b, AKAR)
    make_claim(scene.article, a, CHINA)
    login(client, curator)
    page = client.get(reverse("annotate:review", args=[scene.article.pk])).content.decode()
    assert "Accept all 1 unanimous group" in page
    response = client.post(
        reverse("annotate:review-bulk-accept", args=[scene.article.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b'id="review-body"' in response.content
    assert [g.quote for g in Claim.objects.gold()] == [AKAR]


@pytest.mark.parametrize("row", ["chain", "mention"])
def test_a_group_whose_chain_or_mention_differs_is_not_unanimous(
    client: Client, scene: Scene, curator: Any, row: str
) -> None:
    """The screen marked such a group "unanimous" and offered "Accept all 1 unanimous group"
    while its chain row said ≠ (found in a screenshot of the chain review); the bulk accept
    (which compares whole claims) then accepted nothing."""
    a, b = scene.ann
    carrier = SourceFactory(project=scene.project, name="Berliner Zeitung")
    start, end = span(scene.article.text, "Akar.")
    differing: dict[str, Any] = (
        {"chain": [LinkInput(source=carrier)]} if row == "chain" else {"mention": (start, end - 1)}
    )
    make_claim(scene.article, a, AKAR, **differing)
    make_claim(scene.article, b, AKAR)
    login(client, curator)
    html = client.get(reverse("annotate:review", args=[scene.article.pk])).content.decode()
    assert "Accept all 1 unanimous group" not in html
    assert 'badge-ok">unanimous' not in html
    dispute = {"chain": "attribution chain", "mention": "source mention"}[row]
    assert f'data-dispute="{dispute}"' in html
    client.post(
        reverse("annotate:review-bulk-accept", args=[scene.article.pk]), HTTP_HX_REQUEST="true"
    )
    assert not Claim.objects.gold().exists()


def test_add_and_edit_a_gold_claim(client: Client, scene: Scene, curator: Any) -> None:
    login(client, curator)
    start, end = span(scene.article.text, CHINA)
    url = reverse("annotate:gold-add", args=[scene.article.pk])
    query = {"start": str(start), "end": str(end), "quote": CHINA}
    form = client.get(url, query, HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and b'id="gold-form"' in form.content
    data = {
        "start": start,
        "end": end,
        "quote": CHINA,
        "source": scene.sources[0].pk,
        "attribution": "author",
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "evaluative",
        f"stance-{scene.targets[0].pk}": "none",
    }
    bad = client.post(url, {**data, "attribution": ""}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and not Claim.objects.exists()
    assert client.post(url, data, HTTP_HX_REQUEST="true").status_code == 200
    gold = Claim.objects.gold().get()
    assert Decision.objects.get().action == DecisionAction.ADD

    edit = reverse("annotate:gold-edit", args=[gold.pk])
    assert client.get(edit).status_code == 200
    saved = client.post(edit, {**data, "version": 1, "claim_type": "predictive"})
    assert saved.status_code == 200
    gold.refresh_from_db()
    assert gold.claim_type == "predictive"
    stale = client.post(edit, {**data, "version": 1, "claim_type": "factual"})
    assert stale.status_code == 409


# --- queue and dashboard ----------------------------------------------------------------


def test_queue_orders_articles_by_disagreement_and_shows_progress(
    client: Client, scene: Scene, curator: Any
) -> None:
    a, b = scene.ann
    calm = ArticleFactory(project=scene.project, title="Calm", text=scene.article.text + " ")
    for user in (a, b):
        AssignmentFactory(article=calm, annotator=user, status="done")
        make_claim(calm, user, AKAR)
    annotate_differently(scene)
    login(client, curator)
    html = client.get(reverse("annotate:review-queue", args=[scene.project.slug])).content.decode()
    assert html.index(f'data-article="{scene.article.pk}"') < html.index(
        f'data-article="{calm.pk}"'
    )
    assert "missing claim × 1" in html and "attribution × 1" in html
    assert "0</strong> of 4 groups adjudicated" in html


def test_dashboard_shows_figures_with_their_n(client: Client, scene: Scene, curator: Any) -> None:
    annotate_differently(scene)
    login(client, curator)
    html = client.get(reverse("annotate:agreement", args=[scene.project.slug])).content.decode()
    # 2 matched pairs, 1 claim only a made: F1 = 4 / 5.
    assert 'data-figure="f1-overlap">0.800<' in html
    assert 'data-field="attribution"' in html and "Krippendorff" in html
    assert "annotator" in html and "other-annotator" in html
    heat = client.get(
        reverse("annotate:agreement", args=[scene.project.slug]),
        {"heat": "attribution"},
        HTTP_HX_REQUEST="true",
    )
    assert heat.content.decode().lstrip().startswith('<section id="heat-map"')


def _figure_note(html: str, figure: str) -> str:
    """The line under a figure of the dashboard saying what it rests on."""
    after = html[html.index(f'data-figure="{figure}"') :]
    found = re.search(r"<div [^>]*data-rests-on>(.*?)</div>", after, re.S)
    assert found, figure
    return found.group(1)


def test_dashboard_figures_say_what_they_rest_on_and_read_small_n_neutrally(
    client: Client, scene: Scene, curator: Any
) -> None:
    """Issue 18: α_U read "— 10022 characters, 0 annotators"; span F1 said "2 articles"
    beside "4 articles" for units; a field with n = 1 read "undefined"/"revise" in red; the
    upper-cased headers turned α into "A" and κ into "Κ"."""
    a, b = scene.ann
    make_claim(scene.article, a, AKAR, attribution="direct")
    make_claim(scene.article, b, AKAR, attribution="reported")
    # A second article only one annotator annotated: units count it, span F1 cannot.
    alone = ArticleFactory(project=scene.project, text=scene.article.text + " Again.")
    AssignmentFactory(article=alone, annotator=a)
    make_claim(alone, a, UMAROV)
    login(client, curator)
    html = client.get(reverse("annotate:agreement", args=[scene.project.slug])).content.decode()
    f1 = _figure_note(html, "f1-overlap")
    assert "on the 1 article with two or more annotators" in f1
    units = html[html.index('<div class="muted small">Units</div>') :]
    assert "in all 2 annotated articles, however many annotators" in units
    alpha_u = _figure_note(html, "alpha-u")
    assert (
        alpha_u == "136 characters of the articles with two or more annotators, 2 annotators each"
    )
    row = html[html.index('<tr data-field="attribution">') :]
    row = row[: row.index("</tr>")]
    assert '<td class="reading-neutral" title="">too few (n = 1)</td>' in row
    assert "undefined" not in row and "revise" not in row
    assert '<span class="sym">α</span>' in html and 'Fleiss\' <span class="sym">κ</span>' in html


def test_an_undefined_alpha_u_says_why_not_zero_annotators(
    client: Client, scene: Scene, curator: Any
) -> None:
    make_claim(scene.article, scene.ann[0], AKAR)
    Assignment.objects.filter(annotator=scene.ann[1]).delete()
    login(client, curator)
    html = client.get(reverse("annotate:agreement", args=[scene.project.slug])).content.decode()
    alpha_u = _figure_note(html, "alpha-u")
    assert alpha_u == "Not one figure: no article has two annotators"


def test_greek_symbols_in_headers_are_not_upper_cased() -> None:
    css = (settings.BASE_DIR / "static/claimdesk/app.css").read_text()
    assert re.search(r"table\.data thead \.sym \{[^}]*text-transform: none", css)


def _alpha_of(html: str, field: str) -> str:
    row = html[html.index(f'<tr data-field="{field}">') :]
    cell = row[row.index('<td class="num" style') :]
    return cell[cell.index(">") + 1 : cell.index("</td>")]


def test_dashboard_uses_the_cache_until_claims_change(
    client: Client, scene: Scene, curator: Any, django_assert_max_num_queries: Any
) -> None:
    claims = annotate_differently(scene)
    login(client, curator)
    url = reverse("annotate:agreement", args=[scene.project.slug])
    assert _alpha_of(client.get(url).content.decode(), "attribution") != "1.000"
    # session, user, project, role, the cache key, targets, and the response's savepoint
    with django_assert_max_num_queries(7):
        client.get(url)
    claim_update(
        claim=claims["b_akar"],
        actor=scene.ann[1],
        version=1,
        changes=claim_changes({"attribution": "direct"}),
    )
    assert _alpha_of(client.get(url).content.decode(), "attribution") == "1.000"


def _grow(scene: Scene, n: int) -> None:
    a, b = scene.ann
    for k in range(n):
        article = ArticleFactory(project=scene.project, text=f"{k} " + scene.article.text)
        for user in (a, b):
            AssignmentFactory(article=article, annotator=user, status="done")
            make_claim(article, user, AKAR)
            make_claim(article, user, UMAROV, attribution="direct" if user == a else "reported")


@pytest.mark.parametrize("n", [1, 6])
def test_query_counts_do_not_grow_with_claims(
    client: Client, scene: Scene, curator: Any, n: int, django_assert_max_num_queries: Any
) -> None:
    annotate_differently(scene)
    _grow(scene, n)
    for k in range(n):  # more claims on the reviewed article too (not identical ones)
        make_claim(scene.article, scene.ann[k % 2], "The end", source_reliability="ABCDEF"[k])
    login(client, curator)
    slug = scene.project.slug
    with django_assert_max_num_queries(15):  # 15 since the chains are prefetched
        assert client.get(reverse("annotate:agreement", args=[slug])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("annotate:review-queue", args=[slug])).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("annotate:review", args=[scene.article.pk])).status_code == 200


# --- assignments -------------------------------------------------------------------------


def test_manager_assigns_in_bulk_and_by_hand(
    client: Client, project: Any, manager: Any, annotator: Any, other_annotator: Any
) -> None:
    articles = [ArticleFactory(project=project) for _ in range(3)]
    login(client, manager)
    url = reverse("annotate:assignments-bulk", args=[project.slug])
    response = client.post(url, {"k": 2})
    assert response.status_code == 302
    assert Assignment.objects.count() == 6
    assert client.post(url, {"k": 5}).status_code == 302  # refused with a message
    assert Assignment.objects.count() == 6
    page = client.get(reverse("annotate:assignments", args=[project.slug])).content.decode()
    assert "Only 2 annotator(s)" in page
    taken = Assignment.objects.filter(article=articles[0], annotator=annotator).get()
    client.post(reverse("annotate:assignment-remove", args=[taken.pk]))
    assert not Assignment.objects.filter(pk=taken.pk).exists()
    client.post(
        reverse("annotate:assignment-add", args=[project.slug]),
        {"article": articles[0].pk, "annotator": annotator.pk},
    )
    assert Assignment.objects.filter(article=articles[0], annotator=annotator).exists()


def test_curator_cannot_post_assignments(
    client: Client, project: Any, curator: Any, annotator: Any
) -> None:
    ArticleFactory(project=project)
    login(client, curator)
    assert (
        client.post(reverse("annotate:assignments-bulk", args=[project.slug]), {"k": 1}).status_code
        == 403
    )
    assert not Assignment.objects.exists()


# --- adjudication's queries: flat in the number of claims ----------------------------------


def _group_of(scene: Scene, n: int) -> list[Claim]:
    """One group of ``n`` claims on AKAR, one by each of ``n`` annotators of the article."""
    annotators = list(scene.ann)
    while len(annotators) < n:
        user = UserFactory(username=f"extra-{len(annotators)}")
        MembershipFactory(project=scene.project, user=user, role=Role.ANNOTATOR)
        AssignmentFactory(article=scene.article, annotator=user, status="done")
        annotators.append(user)
    return [make_claim(scene.article, user, AKAR) for user in annotators[:n]]


def _adjudication(name: str, group: list[Claim], **extra: Any) -> dict[str, Any]:
    claims = group
    body: dict[str, Any] = {
        "unit": 0,
        "claims": [c.pk for c in claims],
        **{f"version-{c.pk}": c.version for c in claims},
        **extra,
    }
    if name == "review-accept":
        body.setdefault("claim", claims[-1].pk)
    if name == "review-merge":
        body.setdefault("take-span", claims[0].pk)
        body.setdefault("take-attribution", claims[-1].pk)
    return body


ADJUDICATIONS = ("review-accept", "review-merge", "review-reject")


def _queries_of(client: Client, url: str, body: dict[str, Any]) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        status = client.post(url, body, HTTP_HX_REQUEST="true").status_code
    return status, len(queries)


@pytest.mark.parametrize("name", ADJUDICATIONS)
def test_adjudication_queries_do_not_grow_with_the_claims_posted(
    client: Client, scene: Scene, curator: Any, name: str
) -> None:
    """Accepted, a decision costs the same whether its group holds one claim or six;
    refused (a stale version: 409; a claim of another group or a bad rationale: 422;
    an id that is not a number: 400), a handful of queries, whatever the body."""
    login(client, curator)
    url = reverse(f"annotate:{name}", args=[scene.article.pk])
    counts: dict[tuple[str, int], tuple[int, int]] = {}
    for n in (1, 6):
        with transaction.atomic():
            claims = _group_of(scene, n)
            bodies = {
                "accepted": _adjudication(name, claims),
                "stale": _adjudication(name, claims, **{f"version-{claims[0].pk}": 9}),
                "rationale": _adjudication(name, claims, rationale="a\x00b"),
                "not a number": _adjudication(name, claims, claims=["x"] * n),
            }
            for case, body in bodies.items():
                with transaction.atomic():
                    counts[case, n] = _queries_of(client, url, body)
                    transaction.set_rollback(True)
            transaction.set_rollback(True)
    # Accepted: the access (4), the claims posted (1), the lock (3), the superseded gold, the
    # gold and its decision, then the group's section (review_context, ~10). Refused: a bad
    # rationale before any lock or write (it cost 30 when checked last), a stale version
    # after the lock; both answer with the group as it is now.
    # (It was 32 for an accept or a merge, 24 for a reject, 21 and 18 refused: the gold's
    # creation had a savepoint of its own and started the assignments of nobody, the
    # section read the users twice.)
    most = {
        "accepted": 23 if name == "review-reject" else 28,
        "stale": 20,
        "rationale": 17,
        "not a number": 5,
    }
    statuses = {"accepted": 200, "stale": 409, "rationale": 422, "not a number": 400}
    for case, status in statuses.items():
        assert counts[case, 1][0] == counts[case, 6][0] == status, (case, counts)
        assert counts[case, 1][1] == counts[case, 6][1] <= most[case], (case, counts)


@pytest.mark.parametrize("name", ADJUDICATIONS)
def test_superseding_costs_the_same_for_one_and_three_earlier_gold_claims(
    client: Client, scene: Scene, curator: Any, name: str
) -> None:
    """A decision on a group whose claims already made gold claims deletes them (softly)
    at once: 4 queries more than on an undecided group, whether there is one or three
    (it cost 7 per gold claim: each was read again with its stances and chain, in a
    savepoint of its own). Each deleted gold claim still gets its version and its own
    history row."""
    login(client, curator)
    url = reverse(f"annotate:{name}", args=[scene.article.pk])
    users = [c.annotator for c in _group_of(scene, 3)]
    Claim.objects.all().delete()
    counts = {}
    for earlier in (0, 1, 3):
        with transaction.atomic():
            claims = [make_claim(scene.article, user, AKAR) for user in users]
            golds = [gold_accept(curator=curator, claim=c) for c in claims[:earlier]]
            counts[earlier] = _queries_of(client, url, _adjudication(name, claims))
            for gold in golds:
                gold.refresh_from_db()
                assert gold.deleted_at is not None and gold.version == 2
                trail = History.objects.filter(entity="claim", object_id=gold.pk)
                deleted = trail.get(action=HistoryAction.DELETE)
                before, after = deleted.before or {}, deleted.after or {}
                assert before["version"] == 1 and not before["deleted"]
                assert after["version"] == 2 and after["deleted"]
                assert deleted.actor == curator
            transaction.set_rollback(True)
    assert {status for status, _ in counts.values()} == {200}, counts
    assert counts[1][1] == counts[3][1] == counts[0][1] + 4, counts


def test_merge_reads_only_its_own_parameters(client: Client, scene: Scene, curator: Any) -> None:
    """The merge walks the form for ``take-stance-<id>`` and ``take-chain-<n>``; it read the
    value of every other key too, so the hostile sweep counted each of the form's keys as
    a parameter of the merge (322 of its 461 requests were merges of the world's claims)."""
    from tests.security import hostile

    a, b = scene.ann
    left = make_claim(scene.article, a, AKAR, attribution="direct")
    right = make_claim(scene.article, b, AKAR, attribution="reported")
    login(client, curator)
    with hostile.recording() as reads:
        response = post_merge(
            client, scene.article, left, right, {"take-attribution": right.pk, "unrelated": "x"}
        )
    assert response.status_code == 200
    read = {key for _, key in reads.multi}
    assert "take-attribution" in read and "unrelated" not in read
