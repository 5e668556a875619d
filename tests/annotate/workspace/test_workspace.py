"""The annotation workspace: who may open it and every endpoint it uses, what it renders,
and how many queries that takes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from annotate.models import Claim, Target
from tests.conftest import login
from tests.factories import ArticleFactory, AssignmentFactory, SourceFactory, make_claim
from tests.helpers import HX, claim_form

# --- who may open what ------------------------------------------------------------------

# (url name, method, what the pk is)
ARTICLE_ENDPOINTS = [
    ("annotate:workspace", "get"),
    ("annotate:next-article", "get"),
    ("annotate:claim-new", "get"),
    ("annotate:claim-create", "post"),
    ("annotate:done", "post"),
    ("annotate:reopen", "post"),
    ("annotate:workspace-source-search", "get"),
    ("annotate:workspace-source-create", "post"),
    ("annotate:workspace-target-create", "post"),
]
CLAIM_ENDPOINTS = [
    ("annotate:claim-edit", "get"),
    ("annotate:claim-update", "post"),
    ("annotate:claim-delete", "post"),
    ("annotate:claim-restore", "post"),
]


def call(client: Client, method: str, url: str, **extra: Any) -> Any:
    return getattr(client, method)(url, **extra)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), ARTICLE_ENDPOINTS + CLAIM_ENDPOINTS)
def test_anonymous_users_are_sent_to_log_in(
    client: Client, assigned_article: Any, annotator: Any, targets: Any, name: str, method: str
) -> None:
    pk = assigned_article.pk
    if name in dict(CLAIM_ENDPOINTS):
        pk = make_claim(assigned_article, annotator, "Turkey’s").pk
    response = call(client, method, reverse(name, args=[pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), ARTICLE_ENDPOINTS)
@pytest.mark.parametrize("who", ["other_annotator", "curator", "manager", "outsider"])
def test_article_endpoints_answer_404_unless_the_article_is_assigned_to_me(
    client: Client,
    request: pytest.FixtureRequest,
    assigned_article: Any,
    targets: Any,
    name: str,
    method: str,
    who: str,
) -> None:
    login(client, request.getfixturevalue(who))
    response = call(client, method, reverse(name, args=[assigned_article.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), CLAIM_ENDPOINTS)
def test_claim_endpoints_answer_404_for_another_annotators_claim(
    client: Client,
    assigned_article: Any,
    annotator: Any,
    other_annotator: Any,
    targets: Any,
    name: str,
    method: str,
) -> None:
    # Both annotators have the article; the claim is the first one's.
    AssignmentFactory(article=assigned_article, annotator=other_annotator)
    claim = make_claim(assigned_article, annotator, "Turkey’s")
    login(client, other_annotator)
    response = call(client, method, reverse(name, args=[claim.pk]), data={"version": "1"})
    assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.deleted_at is None and claim.version == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), ARTICLE_ENDPOINTS + CLAIM_ENDPOINTS)
def test_endpoints_refuse_the_wrong_method(
    client: Client, assigned_article: Any, annotator: Any, targets: Any, name: str, method: str
) -> None:
    pk = assigned_article.pk
    if name in dict(CLAIM_ENDPOINTS):
        pk = make_claim(assigned_article, annotator, "Turkey’s").pk
    login(client, annotator)
    wrong = "post" if method == "get" else "get"
    assert call(client, wrong, reverse(name, args=[pk])).status_code == 405


# --- the page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_workspace_renders_the_exact_text_and_my_claims_in_text_order(
    client: Client, assigned_article: Any, annotator: Any, targets: Any
) -> None:
    later = make_claim(assigned_article, annotator, "Akıncı")
    earlier = make_claim(assigned_article, annotator, "Turkey’s influence")
    nested = make_claim(assigned_article, annotator, "influence")
    login(client, annotator)
    response = client.get(reverse("annotate:workspace", args=[assigned_article.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # The container holds the text and nothing else (offsets.js contract), escaped.
    assert f'lang="en">{assigned_article.text}</div>' in html
    rows = [claim["pk"] for claim in response.context["claims"]]
    assert rows == [earlier.pk, nested.pk, later.pk]
    # In the HTML too, in that order.
    at = [html.index(f'id="claim-row-{pk}"') for pk in rows]
    assert at == sorted(at)
    assert f'data-claim-id="{nested.pk}" data-start="{nested.start}" data-end="{nested.end}"' in (
        html
    )


@pytest.mark.django_db
def test_article_text_is_escaped_never_marked_safe(
    client: Client, project: Any, annotator: Any
) -> None:
    article = ArticleFactory(project=project, text="<script>alert(1)</script> & “Şentop”")
    AssignmentFactory(article=article, annotator=annotator)
    login(client, annotator)
    html = client.get(reverse("annotate:workspace", args=[article.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; “Şentop”</div>" in html


@pytest.mark.django_db
def test_workspace_shows_the_guidelines_sanitised(
    client: Client, project: Any, assigned_article: Any, annotator: Any
) -> None:
    project.guidelines = "## Mark claims\n<img src=x onerror=alert(1)>"
    project.save()
    login(client, annotator)
    html = client.get(reverse("annotate:workspace", args=[assigned_article.pk])).content.decode()
    assert '<details class="guidelines ws-guidelines">' in html
    assert "<h2>Mark claims</h2>" in html
    assert "onerror" not in html


@pytest.mark.django_db
def test_annotators_are_blind_to_each_others_claims(
    client: Client, assigned_article: Any, annotator: Any, other_annotator: Any, targets: Any
) -> None:
    AssignmentFactory(article=assigned_article, annotator=other_annotator)
    mine = make_claim(assigned_article, annotator, "Turkey’s", note="mine-note")
    theirs = make_claim(
        assigned_article,
        other_annotator,
        "Akıncı",
        source=SourceFactory(project=assigned_article.project, name="Their own source"),
        note="their-secret-note",
    )
    login(client, annotator)
    html = client.get(reverse("annotate:workspace", args=[assigned_article.pk])).content.decode()
    assert f'data-claim-id="{mine.pk}"' in html
    assert f'data-claim-id="{theirs.pk}"' not in html
    assert theirs.source is not None and theirs.source.name not in html
    # The claim-list fragments of every write are mine only too.
    response = client.post(
        reverse("annotate:claim-restore", args=[mine.pk]), **HX
    )  # a no-op restore re-renders the list
    assert f'data-claim-id="{theirs.pk}"' not in response.content.decode()
    assert f'data-claim-id="{mine.pk}"' in response.content.decode()


@pytest.mark.django_db
def test_deleted_claims_are_not_shown(
    client: Client, assigned_article: Any, annotator: Any, targets: Any
) -> None:
    claim = make_claim(assigned_article, annotator, "Turkey’s")
    Claim.objects.filter(pk=claim.pk).update(deleted_at="2025-01-01T00:00:00Z")
    login(client, annotator)
    html = client.get(reverse("annotate:workspace", args=[assigned_article.pk])).content.decode()
    assert f'data-claim-id="{claim.pk}"' not in html


@pytest.mark.django_db
def test_the_reader_links_annotators_to_the_workspace(
    client: Client, assigned_article: Any, annotator: Any, curator: Any
) -> None:
    url = reverse("annotate:workspace", args=[assigned_article.pk])
    login(client, annotator)
    assert (
        url
        in client.get(reverse("corpus:article-detail", args=[assigned_article.pk])).content.decode()
    )
    login(client, curator)
    assert (
        url
        not in client.get(
            reverse("corpus:article-detail", args=[assigned_article.pk])
        ).content.decode()
    )


LONG_PARAGRAPH = (
    "Turkey’s influence in Central Asia grows, says Akıncı, while Яна Орехова and "
    "Şentop disagree about 🇹🇷 trade. "
)


@pytest.fixture
def long_article(project: Any, annotator: Any, targets: Any) -> Any:
    """15,000 characters with 300 claims of mine, overlapping and nested."""
    paragraphs: list[str] = []
    while sum(len(p) + 2 for p in paragraphs) < 15_000:
        paragraphs.append(LONG_PARAGRAPH * 3)
    text = "\n\n".join(paragraphs)[:15_000].rstrip()
    article = ArticleFactory(project=project, text=text)
    AssignmentFactory(article=article, annotator=annotator)
    sources = [SourceFactory(project=project) for _ in range(5)]
    words = [
        (m, m + len(w))
        for w in ("Turkey’s influence in Central Asia", "influence", "Akıncı", "Şentop disagree")
        for m in _all(text, w)
    ]
    claims = []
    for i, (start, end) in enumerate(words[:300]):
        claims.append(
            Claim(
                article=article,
                annotator=annotator,
                start=start,
                end=end,
                quote=text[start:end],
                source=sources[i % 5],
                attribution="direct",
                source_reliability="B",
                information_credibility="2",
                claim_type="factual",
            )
        )
    made = Claim.objects.bulk_create(claims)
    from annotate.models import ClaimStance

    ClaimStance.objects.bulk_create(
        ClaimStance(claim=c, target=targets[i % len(targets)], stance="favor")
        for i, c in enumerate(made)
    )
    assert len(made) == 300
    return article


def _all(text: str, word: str) -> list[int]:
    found, at = [], text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


@pytest.mark.django_db
def test_a_long_article_with_300_claims_renders_in_a_bounded_number_of_queries(
    client: Client,
    long_article: Any,
    annotator: Any,
    django_assert_max_num_queries: Any,
) -> None:
    assert len(long_article.text) == 15_000
    login(client, annotator)
    url = reverse("annotate:workspace", args=[long_article.pk])
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["claims"]) == 300
    # Saving an edit answers with the changed row only, not the list or the page.
    claim = Claim.objects.filter(article=long_article).first()
    assert claim is not None
    post = {
        "version": str(claim.version),
        "source": str(claim.source_id),
        "attribution": "reported",
        f"stance-{claim.stances.get().target_id}": "against",
        "source_reliability": "C",
        "information_credibility": "3",
        "claim_type": "factual",
    }
    # 9 on SQLite (issue 8): one permission check, the locked re-read; no re-read after.
    # One more since issue 20: the locked re-read loads the chain (with its sources).
    with django_assert_max_num_queries(13):
        response = client.post(reverse("annotate:claim-update", args=[claim.pk]), post, **HX)
    assert response.status_code == 200, response.content.decode()[:500]
    html = response.content.decode()
    assert html.count('class="claim-row"') == 1
    assert "<html" not in html and 'id="article-text"' not in html


@pytest.mark.django_db
def test_creating_a_claim_answers_with_only_its_row_in_text_order(
    client: Client,
    long_article: Any,
    annotator: Any,
    targets: Any,
    source: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """On the 300-claim article a create answers with the new row alone, inserted before
    the row that follows it in text order, not with the whole list."""
    login(client, annotator)
    text = long_article.text
    word = "Яна Орехова"  # in no claim of the fixture: its row goes between two others
    start = text.index(word)
    post = claim_form(long_article, word, source, targets[0])
    url = reverse("annotate:claim-create", args=[long_article.pk])
    # 18: the look for an identical claim, and on PostgreSQL the article row's lock before it
    # (so that a double submit makes one claim); the row's attribution chain (issue 20).
    with django_assert_max_num_queries(18):
        response = client.post(url, post, **HX)
    assert response.status_code == 200, response.content.decode()[:500]
    html = response.content.decode()
    claim = Claim.objects.get(article=long_article, start=start)
    following = (
        Claim.objects.filter(article=long_article, start__gt=start)
        .order_by("start", "-end", "id")
        .first()
    )
    assert following is not None
    assert html.count('class="claim-row"') == 1
    inserted = (
        rf'<div hx-swap-oob="beforebegin:#claim-row-{following.pk}">\s*'
        rf'<li id="claim-row-{claim.pk}"'
    )
    assert re.search(inserted, html)
    assert f'data-start="{start}" data-end="{start + len(word)}"' in html
    assert 'id="claim-list"' not in html and 'id="claim-rows"' not in html
    assert "<html" not in html and 'id="article-text"' not in html
    # The last claim in text order goes at the end of the list.
    last = text.rindex("Şentop disagree about")
    Claim.objects.filter(article=long_article, start__gte=last).delete()
    post = claim_form(long_article, "disagree about", source, targets[0])
    post["start"] = text.index("disagree about", last)
    post["end"] = post["start"] + len("disagree about")
    response = client.post(url, post, **HX)
    assert response.status_code == 200, response.content.decode()[:500]
    inserted = r'<div hx-swap-oob="beforeend:#claim-rows">\s*<li id="claim-row-'
    assert re.search(inserted, response.content.decode())


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_number_of_claims(
    client: Client, assigned_article: Any, annotator: Any, targets: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, annotator)
    url = reverse("annotate:workspace", args=[assigned_article.pk])
    make_claim(assigned_article, annotator, "Turkey’s")
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for word in ("influence", "Central", "Asia", "grows", "Akıncı"):
        make_claim(assigned_article, annotator, word)
    with CaptureQueriesContext(connection) as six:
        client.get(url)
    assert len(six.captured_queries) == len(one.captured_queries)


# --- fragments ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_new_claim_form_is_a_fragment_with_the_checked_quote(
    client: Client, assigned_article: Any, annotator: Any, targets: Any
) -> None:
    login(client, annotator)
    text = assigned_article.text
    start = text.index("Akıncı")
    response = client.get(
        reverse("annotate:claim-new", args=[assigned_article.pk]),
        {"start": start, "end": start + 6, "quote": "Akıncı"},
        **HX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="claim-form"')
    assert "<html" not in html
    assert '<blockquote class="form-quote">Akıncı</blockquote>' in html
    # Every target of the project has a stance row, every scheme value its meaning.
    for target in targets:
        assert f'name="stance-{target.pk}"' in html
    assert "Completely reliable" in html and "Truth cannot be judged" in html


@pytest.mark.django_db
def test_the_new_claim_form_refuses_a_quote_that_does_not_match(
    client: Client, assigned_article: Any, annotator: Any
) -> None:
    login(client, annotator)
    response = client.get(
        reverse("annotate:claim-new", args=[assigned_article.pk]),
        {"start": "0", "end": "6", "quote": "Akıncı"},
        **HX,
    )
    assert response.status_code == 422
    assert "does not match" in response.content.decode()


@pytest.mark.django_db
def test_the_new_claim_form_preselects_the_byline_author_for_author_claims(
    client: Client, assigned_article: Any, annotator: Any, project: Any
) -> None:
    danilov = SourceFactory(project=project, name="Vladimir Danilov")  # the byline
    login(client, annotator)
    html = client.get(
        reverse("annotate:claim-new", args=[assigned_article.pk]),
        {"start": "0", "end": "7", "quote": "Article"},
    ).content.decode()
    assert f'value="author" data-byline-source-id="{danilov.pk}"' in html


@pytest.mark.django_db
def test_source_search_is_diacritic_insensitive_and_offers_to_create(
    client: Client, assigned_article: Any, annotator: Any, project: Any, source: Any
) -> None:
    SourceFactory(project=project, name="Ahmet Davutoğlu")
    login(client, annotator)
    url = reverse("annotate:workspace-source-search", args=[assigned_article.pk])
    html = client.get(url, {"q": "davutoglu"}, **HX).content.decode()
    assert "Ahmet Davutoğlu" in html and "Isachenko" not in html
    # Creating is offered beside the options, never as one of them.
    assert 'data-action="new-source" data-name="davutoglu"' in html
    assert "data-create" not in html
    html = client.get(url, {"q": "isachenko"}, **HX).content.decode()
    assert f'data-source-id="{source.pk}"' in html


@pytest.mark.django_db
def test_source_search_never_leaks_what_others_cited(
    client: Client,
    assigned_article: Any,
    annotator: Any,
    other_annotator: Any,
    source: Any,
    targets: Any,
) -> None:
    AssignmentFactory(article=assigned_article, annotator=other_annotator)
    make_claim(assigned_article, other_annotator, "Akıncı", source=source, note="secret")
    login(client, annotator)
    url = reverse("annotate:workspace-source-search", args=[assigned_article.pk])
    html = client.get(url, {"q": "isachenko"}, **HX).content.decode()
    assert "Daria Isachenko" in html
    assert "secret" not in html and "Akıncı" not in html and "claim" not in html.lower()


@pytest.mark.django_db
def test_a_source_created_inline_is_selected(
    client: Client, assigned_article: Any, annotator: Any, project: Any
) -> None:
    login(client, annotator)
    url = reverse("annotate:workspace-source-create", args=[assigned_article.pk])
    response = client.post(url, {"name": "  Temur   Umarov "}, **HX)
    assert response.status_code == 200
    created = project.sources.get(name="Temur Umarov")
    html = response.content.decode()
    assert f'name="source" id="source-id" value="{created.pk}"' in html
    assert "Temur Umarov" in json.loads(response["HX-Trigger"])["claimdesk:toast"]["message"]
    # A duplicate is refused with a message, and nothing is selected.
    response = client.post(url, {"name": "temur umarov"}, **HX)
    assert response.status_code == 422
    assert "already has" in response.content.decode()


@pytest.mark.django_db
def test_a_target_added_inline_keeps_the_chosen_stances(
    client: Client, assigned_article: Any, annotator: Any, targets: Any
) -> None:
    login(client, annotator)
    url = reverse("annotate:workspace-target-create", args=[assigned_article.pk])
    response = client.post(
        url, {"target_name": "Iran's influence", f"stance-{targets[1].pk}": "against"}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    new = Target.objects.get(name="Iran's influence")
    assert f'data-target-id="{new.pk}" data-new-target' in html
    assert f'name="stance-{targets[1].pk}" value="against" aria-label' in html
    assert (
        f'name="stance-{targets[1].pk}" value="against" aria-label="Against toward '
        f'{targets[1].name}" checked>' in html.replace("&#x27;", "'")
    )


@pytest.mark.django_db
def test_a_double_submitted_claim_form_makes_one_claim_and_says_so(
    client: Client, assigned_article: Any, annotator: Any, source: Any, targets: Any
) -> None:
    login(client, annotator)
    url = reverse("annotate:claim-create", args=[assigned_article.pk])
    post = claim_form(assigned_article, "Akıncı", source, targets[0])
    assert client.post(url, post, **HX).status_code == 200
    again = client.post(url, post, **HX)
    assert again.status_code == 422
    first = Claim.objects.get()
    html = again.content.decode()
    assert 'class="form-errors" role="alert"' in html
    assert f"You already have this claim (claim {first.pk}" in html
    assert Claim.objects.count() == 1
