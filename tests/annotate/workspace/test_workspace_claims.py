"""Writes from the workspace: create, edit (stale versions), delete, undo, done, reopen."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Assignment, AssignmentStatus, Claim, History
from tests.conftest import login
from tests.factories import ArticleFactory, AssignmentFactory, make_claim
from tests.helpers import HX, claim_form


def events(response: Any) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(response.get("HX-Trigger", "{}"))
    return result


@pytest.fixture
def emoji_article(project: Any, annotator: Any) -> Any:
    article = ArticleFactory(
        project=project,
        text="🇹🇷 Akıncı said: “Şentop and Яна Орехова agree.” 😀 End.",
    )
    AssignmentFactory(article=article, annotator=annotator)
    return article


# --- create ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_creating_a_claim_stores_code_point_offsets_and_answers_with_fragments(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    login(client, annotator)
    word = "Şentop and Яна Орехова agree"
    mention = emoji_article.text.index("Яна Орехова")
    post = claim_form(
        emoji_article,
        word,
        source,
        targets[0],
        mention_start=str(mention),
        mention_end=str(mention + len("Яна Орехова")),
    )
    response = client.post(reverse("annotate:claim-create", args=[emoji_article.pk]), post, **HX)
    assert response.status_code == 200, response.content.decode()
    claim = Claim.objects.get()
    text = emoji_article.text
    # The flag (two code points, four UTF-16 units) and the opening quote come first.
    assert claim.start == text.index("Şentop") == 17
    assert claim.quote == text[claim.start : claim.end] == word
    assert claim.prefix == text[: claim.start]
    assert text[claim.mention_start : claim.mention_end] == "Яна Орехова"
    assert [(s.target_id, s.stance) for s in claim.stances.all()] == [(targets[0].pk, "against")]
    html = response.content.decode()
    # The panel resets; the new row and the progress come out of band; no page.
    assert html.lstrip().startswith('<div class="panel-empty">')
    assert re.search(r'<div hx-swap-oob="beforeend:#claim-rows">\s*<li id="claim-row-', html)
    assert f'data-claim-id="{claim.pk}"' in html
    assert '<div id="progress" class="ws-progress" hx-swap-oob="outerHTML"' in html
    assert "<html" not in html
    saved = events(response)["claimdesk:saved"]
    assert (saved["id"], saved["created"]) == (claim.pk, True)
    # Its labels, which "same as my last claim" (r) repeats, in words too.
    assert saved["labels"]["stances"] == {str(targets[0].pk): "against"}
    assert saved["labels"]["attribution"] == claim.attribution
    assert saved["summary"].startswith("Direct quote · Against: ")
    assert Assignment.objects.get(article=emoji_article).status == AssignmentStatus.IN_PROGRESS
    assert History.objects.filter(entity="claim", object_id=claim.pk, action="create").exists()


@pytest.mark.django_db
def test_the_server_refuses_a_span_whose_quote_does_not_match(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    login(client, annotator)
    post = claim_form(emoji_article, "Şentop", source, targets[0])
    # UTF-16 offsets (what a careless browser would send) miss by the flag's two units.
    post["start"], post["end"] = post["start"] + 2, post["end"] + 2
    response = client.post(reverse("annotate:claim-create", args=[emoji_article.pk]), post, **HX)
    assert response.status_code == 422
    assert "does not match the text" in response.content.decode()
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_scheme_errors_come_back_in_the_form_with_the_input_kept(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    login(client, annotator)
    post = claim_form(emoji_article, "Akıncı", source, targets[0], note="keep me")
    del post["source_reliability"]
    post["claim_type"] = "gossip"
    response = client.post(reverse("annotate:claim-create", args=[emoji_article.pk]), post, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="claim-form"')
    assert "Source reliability is required." in html
    assert "“gossip” is not a value of Claim type" in html
    assert '<fieldset class="choice choice-source_reliability has-error"' in html
    assert ">keep me</textarea>" in html
    assert f'name="source" id="source-id" value="{source.pk}"' in html
    assert 'name="attribution" value="direct" checked' in html
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_malformed_offsets_are_a_form_error_not_a_crash(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    login(client, annotator)
    post = claim_form(emoji_article, "Akıncı", source, targets[0])
    post["start"] = "x"
    response = client.post(reverse("annotate:claim-create", args=[emoji_article.pk]), post, **HX)
    assert response.status_code == 422
    assert "start must be a whole number" in response.content.decode()


@pytest.mark.django_db
def test_a_source_or_target_of_another_project_is_refused(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    from tests.factories import ProjectFactory, SourceFactory, TargetFactory

    elsewhere = ProjectFactory()
    login(client, annotator)
    url = reverse("annotate:claim-create", args=[emoji_article.pk])
    post = claim_form(emoji_article, "Akıncı", SourceFactory(project=elsewhere), targets[0])
    assert client.post(url, post, **HX).status_code == 422
    post = claim_form(emoji_article, "Akıncı", source, TargetFactory(project=elsewhere))
    assert client.post(url, post, **HX).status_code == 422
    assert not Claim.objects.exists()


# --- edit -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_editing_a_claim_saves_and_answers_with_its_row(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    claim = make_claim(emoji_article, annotator, "Akıncı", source=source)
    login(client, annotator)
    form = client.get(reverse("annotate:claim-edit", args=[claim.pk]), **HX).content.decode()
    assert 'name="version" value="1"' in form
    assert "Edit claim" in form
    post = claim_form(emoji_article, "Akıncı", source, targets[1], version="1")
    post["information_credibility"] = "4"
    response = client.post(reverse("annotate:claim-update", args=[claim.pk]), post, **HX)
    assert response.status_code == 200
    claim.refresh_from_db()
    assert (claim.version, claim.information_credibility) == (2, "4")
    assert [(s.target_id, s.stance) for s in claim.stances.all()] == [(targets[1].pk, "against")]
    html = response.content.decode()
    assert f'<li id="claim-row-{claim.pk}" class="claim-row" hx-swap-oob="outerHTML"' in html
    assert "B4" in html
    assert "claim-list" not in html


@pytest.mark.django_db
def test_an_edit_may_move_the_span_in_one_recorded_update(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    """Span adjustment (issue 18): the form posts the new span with the labels, in code
    points (after the flag: two code points, four UTF-16 units)."""
    claim = make_claim(emoji_article, annotator, "Яна Орехова", source=source, target=targets[1])
    login(client, annotator)
    post = claim_form(
        emoji_article, "Şentop and Яна Орехова agree", source, targets[1], version="1"
    )
    response = client.post(reverse("annotate:claim-update", args=[claim.pk]), post, **HX)
    assert response.status_code == 200, response.content.decode()[:300]
    claim.refresh_from_db()
    text = emoji_article.text
    assert (claim.start, claim.end) == (text.index("Şentop"), text.index(".”"))
    assert claim.quote == "Şentop and Яна Орехова agree" and claim.version == 2
    [update] = History.objects.filter(entity="claim", object_id=claim.pk, action="update")
    assert update.before is not None and update.after is not None
    assert (update.before["quote"], update.after["quote"]) == ("Яна Орехова", claim.quote)
    # A quote that is not the text at those offsets is refused, and nothing changes.
    post = {**post, "version": "2", "end": str(claim.end - 1)}
    response = client.post(reverse("annotate:claim-update", args=[claim.pk]), post, **HX)
    assert response.status_code == 422
    claim.refresh_from_db()
    assert (claim.version, claim.quote) == (2, "Şentop and Яна Орехова agree")


@pytest.mark.django_db
def test_a_stale_edit_never_overwrites_and_shows_the_current_state(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    claim = make_claim(emoji_article, annotator, "Akıncı", source=source, note="first")
    login(client, annotator)
    url = reverse("annotate:claim-update", args=[claim.pk])
    # Another tab saves version 1 first …
    first = claim_form(emoji_article, "Akıncı", source, targets[0], version="1", note="tab A")
    assert client.post(url, first, **HX).status_code == 200
    # … then this tab, which also saw version 1.
    second = claim_form(emoji_article, "Akıncı", source, targets[0], version="1", note="tab B")
    response = client.post(url, second, **HX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed elsewhere" in html
    assert ">tab A</textarea>" in html
    assert 'name="version" value="2"' in html
    claim.refresh_from_db()
    assert (claim.note, claim.version) == ("tab A", 2)


@pytest.mark.django_db
def test_an_edit_without_a_version_is_refused(
    client: Client, emoji_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    claim = make_claim(emoji_article, annotator, "Akıncı", source=source)
    login(client, annotator)
    post = claim_form(emoji_article, "Akıncı", source, targets[0], note="blind overwrite")
    response = client.post(reverse("annotate:claim-update", args=[claim.pk]), post, **HX)
    assert response.status_code == 422
    claim.refresh_from_db()
    assert claim.note == "" and claim.version == 1


# --- delete and undo -------------------------------------------------------------------------


@pytest.mark.django_db
def test_delete_is_soft_and_undo_restores(
    client: Client, emoji_article: Any, annotator: Any, targets: Any
) -> None:
    claim = make_claim(emoji_article, annotator, "Akıncı")
    login(client, annotator)
    response = client.post(
        reverse("annotate:claim-delete", args=[claim.pk]), {"version": "1"}, **HX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<li id="claim-row-{claim.pk}" hx-swap-oob="delete"></li>' in html
    undo = reverse("annotate:claim-restore", args=[claim.pk])
    assert events(response)["claimdesk:toast"] == {"message": "Claim deleted.", "undo": undo}
    claim.refresh_from_db()
    assert claim.deleted_at is not None  # kept, not removed
    workspace = reverse("annotate:workspace", args=[emoji_article.pk])
    assert f'data-claim-id="{claim.pk}"' not in client.get(workspace).content.decode()
    # Editing a deleted claim is a 404 until it is restored.
    assert client.get(reverse("annotate:claim-edit", args=[claim.pk])).status_code == 404

    response = client.post(undo, **HX)
    assert response.status_code == 200
    assert f'data-claim-id="{claim.pk}"' in response.content.decode()
    claim.refresh_from_db()
    assert claim.deleted_at is None
    actions = list(
        History.objects.filter(object_id=claim.pk).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["create", "delete", "restore"]


@pytest.mark.django_db
def test_a_stale_delete_is_refused(
    client: Client, emoji_article: Any, annotator: Any, targets: Any
) -> None:
    claim = make_claim(emoji_article, annotator, "Akıncı")
    Claim.objects.filter(pk=claim.pk).update(version=5)
    login(client, annotator)
    response = client.post(
        reverse("annotate:claim-delete", args=[claim.pk]), {"version": "1"}, **HX
    )
    assert response.status_code == 409
    claim.refresh_from_db()
    assert claim.deleted_at is None


# --- done and reopen ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_done_and_reopen_update_my_assignment_and_the_queue(
    client: Client, emoji_article: Any, annotator: Any, other_annotator: Any, targets: Any
) -> None:
    theirs = AssignmentFactory(article=emoji_article, annotator=other_annotator)
    make_claim(emoji_article, annotator, "Akıncı")
    login(client, annotator)
    response = client.post(reverse("annotate:done", args=[emoji_article.pk]), **HX)
    assert response.status_code == 200
    assert 'data-status="done"' in response.content.decode()
    assert "Reopen" in response.content.decode()
    mine = Assignment.objects.get(article=emoji_article, annotator=annotator)
    assert mine.status == AssignmentStatus.DONE
    theirs.refresh_from_db()
    assert theirs.status == AssignmentStatus.NOT_STARTED
    queue = client.get(reverse("annotate:queue")).content.decode()
    assert '<span class="status status-done">Done</span>' in queue

    response = client.post(reverse("annotate:reopen", args=[emoji_article.pk]), **HX)
    assert 'data-status="in_progress"' in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == AssignmentStatus.IN_PROGRESS


@pytest.mark.django_db
def test_reopening_an_article_without_claims_makes_it_not_started(
    client: Client, emoji_article: Any, annotator: Any
) -> None:
    login(client, annotator)
    client.post(reverse("annotate:done", args=[emoji_article.pk]))
    client.post(reverse("annotate:reopen", args=[emoji_article.pk]))
    assert Assignment.objects.get(article=emoji_article).status == AssignmentStatus.NOT_STARTED


@pytest.mark.django_db
def test_next_article_skips_done_ones_and_ends_at_the_queue(
    client: Client, project: Any, annotator: Any
) -> None:
    a, b, c = (ArticleFactory(project=project, title=t) for t in ("A", "B", "C"))
    for article in (a, b, c):
        AssignmentFactory(article=article, annotator=annotator)
    Assignment.objects.filter(article=b).update(status=AssignmentStatus.DONE)
    login(client, annotator)
    response = client.get(reverse("annotate:next-article", args=[a.pk]))
    assert response["Location"] == reverse("annotate:workspace", args=[c.pk])
    response = client.get(reverse("annotate:next-article", args=[c.pk]))
    assert response["Location"] == reverse("annotate:workspace", args=[a.pk])
    Assignment.objects.filter(article__in=[a, c]).update(status=AssignmentStatus.DONE)
    response = client.get(reverse("annotate:next-article", args=[a.pk]))
    assert response["Location"] == reverse("annotate:queue")
