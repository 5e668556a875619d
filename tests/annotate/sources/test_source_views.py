"""The source registry pages: list with htmx search, filters, counts; the detail page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotate.models import SourceKind
from tests.conftest import login
from tests.factories import (
    ArticleFactory,
    ClaimFactory,
    ProjectFactory,
    SourceAliasFactory,
    SourceFactory,
)


@pytest.fixture
def registry(project: Any) -> dict[str, Any]:
    """A few sources of the project, with aliases, and one of another project."""
    davutoglu = SourceFactory(
        project=project,
        name="Ahmet Davutoğlu",
        kind=SourceKind.PERSON,
        description="Former prime minister of Turkey",
        external_id="Q167636",
    )
    SourceAliasFactory(source=davutoglu, alias="Davutoglu")
    isachenko = SourceFactory(project=project, name="Dmitry Isachenko", kind=SourceKind.PERSON)
    SourceAliasFactory(source=isachenko, alias="Исаченко")
    mfa = SourceFactory(
        project=project,
        name="Ministry of Foreign Affairs of Azerbaijan",
        kind=SourceKind.GOVERNMENT,
        external_id="internal-17",
    )
    SourceFactory(project=ProjectFactory(), name="Ahmet Davutoğlu (other project)")
    return {"davutoglu": davutoglu, "isachenko": isachenko, "mfa": mfa}


def list_url(project: Any, **params: str) -> str:
    url = reverse("annotate:source-list", args=[project.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def names(response: Any) -> list[str]:
    return [source.name for source in response.context["page"].object_list]


@pytest.mark.django_db
def test_source_list_shows_the_projects_registry(
    client: Client, curator: Any, project: Any, registry: dict[str, Any]
) -> None:
    login(client, curator)
    response = client.get(list_url(project))
    assert names(response) == [
        "Ahmet Davutoğlu",
        "Dmitry Isachenko",
        "Ministry of Foreign Affairs of Azerbaijan",
    ]
    html = response.content.decode()
    for expected in ("Person", "Government / official body", "Former prime minister", "Исаченко"):
        assert expected in html


@pytest.mark.django_db
def test_wikidata_ids_link_to_wikidata_and_others_stay_text(
    client: Client, curator: Any, project: Any, registry: dict[str, Any]
) -> None:
    login(client, curator)
    html = client.get(list_url(project)).content.decode()
    assert '<a href="https://www.wikidata.org/wiki/Q167636" rel="noopener noreferrer nofollow"' in (
        html
    )
    assert "internal-17" in html
    assert "wikidata.org/wiki/internal-17" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("davutoglu", ["Ahmet Davutoğlu"]),  # no diacritics typed
        ("DAVUTOĞLU", ["Ahmet Davutoğlu"]),  # any case
        ("ahmet   davutoglu", ["Ahmet Davutoğlu"]),  # extra spaces
        ("исаченко", ["Dmitry Isachenko"]),  # an alias, in Cyrillic
        ("isachenko", ["Dmitry Isachenko"]),
        ("foreign affairs", ["Ministry of Foreign Affairs of Azerbaijan"]),
        ("nobody at all", []),
    ],
)
def test_source_search_ignores_case_and_diacritics(
    client: Client, annotator: Any, project: Any, registry: dict[str, Any], q: str, expected: list
) -> None:
    login(client, annotator)
    assert names(client.get(list_url(project, q=q))) == expected


@pytest.mark.django_db
def test_source_list_filters_by_kind(
    client: Client, curator: Any, project: Any, registry: dict[str, Any]
) -> None:
    login(client, curator)
    response = client.get(list_url(project, kind="government"))
    assert names(response) == ["Ministry of Foreign Affairs of Azerbaijan"]
    assert '<option value="government" selected>' in response.content.decode()
    # An unknown kind is ignored rather than answering nothing.
    assert len(names(client.get(list_url(project, kind="planet")))) == 3


@pytest.mark.django_db
def test_htmx_search_gets_only_the_fragment(
    client: Client, curator: Any, project: Any, registry: dict[str, Any]
) -> None:
    login(client, curator)
    response = client.get(list_url(project, q="davutoglu"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="source-list"')
    assert "<html" not in html
    assert 'name="q"' not in html
    assert "Ahmet Davutoğlu" in html
    assert "Dmitry Isachenko" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
def test_search_box_is_wired_for_htmx(client: Client, curator: Any, project: Any) -> None:
    login(client, curator)
    html = client.get(list_url(project)).content.decode()
    assert 'hx-target="#source-list"' in html
    assert 'hx-push-url="true"' in html
    assert f'hx-get="{list_url(project)}"' in html


@pytest.mark.django_db
def test_source_list_paginates(client: Client, curator: Any, project: Any) -> None:
    for n in range(30):
        SourceFactory(project=project, name=f"Source {n:02d}")
    login(client, curator)
    first = client.get(list_url(project, q="source"))
    assert len(names(first)) == 25
    assert 'href="?q=source&amp;page=2"' in first.content.decode()
    assert names(client.get(list_url(project, q="source", page="2"))) == [
        f"Source {n}" for n in range(25, 30)
    ]


@pytest.fixture
def cited(project: Any, registry: dict[str, Any], other_annotator: Any) -> Any:
    """Davutoğlu cited twice by another annotator (and once more in a deleted claim)."""
    source = registry["davutoglu"]
    article = ArticleFactory(project=project)
    ClaimFactory.create_batch(2, article=article, annotator=other_annotator, source=source)
    ClaimFactory(
        article=article, annotator=other_annotator, source=source, deleted_at=timezone.now()
    )
    return source


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["curator", "manager"])
def test_curators_and_managers_see_live_claim_counts(
    client: Client, project: Any, cited: Any, role: str, request: Any
) -> None:
    login(client, request.getfixturevalue(role))
    response = client.get(list_url(project, q="davutoglu"))
    assert response.context["page"].object_list[0].claim_count == 2
    assert '<th scope="col" class="num">Claims</th>' in response.content.decode()
    detail = client.get(reverse("annotate:source-detail", args=[cited.pk]))
    assert detail.context["claim_counts"] == {"all": 2, "gold": 0, "annotators": 2}
    assert "Claims citing it" in detail.content.decode()


@pytest.mark.django_db
def test_annotators_do_not_see_claim_counts(
    client: Client, annotator: Any, project: Any, cited: Any
) -> None:
    login(client, annotator)
    response = client.get(list_url(project))
    assert "Claims" not in response.content.decode()
    assert not hasattr(response.context["page"].object_list[0], "claim_count")
    detail = client.get(reverse("annotate:source-detail", args=[cited.pk]))
    assert detail.context["claim_counts"] is None
    assert "Claims citing it" not in detail.content.decode()


@pytest.mark.django_db
def test_source_list_query_count_does_not_grow_with_sources(
    client: Client, curator: Any, annotator: Any, project: Any, django_assert_max_num_queries: Any
) -> None:
    def add_sources(n: int, start: int) -> None:
        article = ArticleFactory(project=project)
        for i in range(start, start + n):
            source = SourceFactory(project=project, name=f"Person {i}", external_id=f"Q{i + 1}")
            SourceAliasFactory.create_batch(2, source=source)
            ClaimFactory(article=article, annotator=annotator, source=source)

    add_sources(3, 0)
    before = {}
    for user in (curator, annotator):
        client.logout()
        login(client, user)
        with CaptureQueriesContext(connection) as queries:
            client.get(list_url(project))
        before[user.pk] = len(queries)
    add_sources(30, 3)
    for user in (curator, annotator):
        client.logout()
        login(client, user)
        with CaptureQueriesContext(connection) as queries:
            client.get(list_url(project))
        assert len(queries) == before[user.pk]
        # session, user, project, role, count, page, aliases, the switcher's projects,
        # and for curators the queue of proposed sources
        with django_assert_max_num_queries(9 if user == curator else 8):
            client.get(list_url(project, q="person", kind="person"))
        with django_assert_max_num_queries(7):
            client.get(list_url(project, page="2"), HTTP_HX_REQUEST="true")


@pytest.mark.django_db
def test_source_detail_shows_aliases_and_wikidata_link(
    client: Client, annotator: Any, registry: dict[str, Any]
) -> None:
    login(client, annotator)
    source = registry["davutoglu"]
    html = client.get(reverse("annotate:source-detail", args=[source.pk])).content.decode()
    assert "Ahmet Davutoğlu" in html
    assert "<li>Davutoglu</li>" in html
    assert "https://www.wikidata.org/wiki/Q167636" in html
    assert "Former prime minister of Turkey" in html


@pytest.mark.django_db
def test_source_detail_of_another_project_is_404(
    client: Client, curator: Any, project: Any
) -> None:
    foreign = SourceFactory(project=ProjectFactory())
    login(client, curator)
    assert client.get(reverse("annotate:source-detail", args=[foreign.pk])).status_code == 404


@pytest.mark.django_db
def test_source_names_are_escaped(client: Client, curator: Any, project: Any) -> None:
    source = SourceFactory(project=project, name="<script>alert(1)</script> Bey")
    SourceAliasFactory(source=source, alias="<img src=x onerror=alert(1)>")
    login(client, curator)
    for url in (list_url(project), reverse("annotate:source-detail", args=[source.pk])):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Bey" in html


# --- Merging from the source page -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "curator"])
def test_curators_and_managers_merge_a_duplicate_from_the_source_page(
    client: Client, role: str, request: Any
) -> None:
    manager = request.getfixturevalue(role)
    from annotate.models import Claim, History
    from tests.factories import ClaimFactory, SourceFactory

    project = manager.memberships.get().project
    keep = SourceFactory(project=project, name="Ahmet Davutoğlu")
    dup = SourceFactory(project=project, name="A. Davutoglu")
    claim = ClaimFactory(source=dup, article__project=project)
    login(client, manager)

    page = client.get(reverse("annotate:source-detail", args=[keep.pk])).content.decode()
    assert "Merge a duplicate" in page and "A. Davutoglu" in page

    response = client.post(reverse("annotate:source-merge", args=[keep.pk]), {"merge": dup.pk})

    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).source_id == keep.pk
    assert "A. Davutoglu" in set(keep.aliases.values_list("alias", flat=True))
    assert History.objects.filter(entity="source", object_id=dup.pk, action="merge").exists()


@pytest.mark.django_db
def test_annotators_and_outsiders_cannot_merge_sources(
    client: Client, curator: Any, annotator: Any, outsider: Any
) -> None:
    from annotate.models import Source
    from tests.factories import SourceFactory

    project = curator.memberships.get().project
    keep = SourceFactory(project=project)
    dup = SourceFactory(project=project)
    url = reverse("annotate:source-merge", args=[keep.pk])
    for user, status in ((annotator, 403), (outsider, 404)):
        login(client, user)
        assert client.post(url, {"merge": dup.pk}).status_code == status
        assert (
            "Merge a duplicate"
            not in client.get(reverse("annotate:source-detail", args=[keep.pk])).content.decode()
        )
    assert Source.objects.filter(pk=dup.pk).exists()
    client.logout()
    assert client.post(url, {"merge": dup.pk}).status_code == 302  # to the login page
    assert client.get(url).status_code in (302, 405)


@pytest.mark.django_db
def test_merging_a_source_of_another_project_is_refused(client: Client, manager: Any) -> None:
    from annotate.models import Source
    from tests.factories import SourceFactory

    project = manager.memberships.get().project
    keep = SourceFactory(project=project)
    foreign = SourceFactory()
    login(client, manager)
    response = client.post(
        reverse("annotate:source-merge", args=[keep.pk]), {"merge": foreign.pk}, follow=True
    )
    assert "Choose a source of this project" in response.content.decode()
    assert Source.objects.filter(pk=foreign.pk).exists()


@pytest.mark.django_db
def test_source_list_query_count_does_not_grow_with_claims(
    client: Client, curator: Any, annotator: Any, project: Any
) -> None:
    source = SourceFactory(project=project, name="Person")
    article = ArticleFactory(project=project)
    login(client, curator)

    def queries_and_count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(list_url(project))
        return len(queries), response.context["page"].object_list[0].claim_count

    ClaimFactory(article=article, annotator=annotator, source=source)
    few, count = queries_and_count()
    assert count == 1
    ClaimFactory.create_batch(40, article=article, annotator=annotator, source=source)
    ClaimFactory(article=article, annotator=annotator, source=source, deleted_at=timezone.now())
    assert queries_and_count() == (few, 41)
