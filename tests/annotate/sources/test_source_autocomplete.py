"""The workspace's source search: near misses by name and alias, never an offer to create a
name the registry knows, creation only after a confirmation, and the project setting
that decides whether annotators may add sources (issue 18)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from annotate.models import Source
from annotate.sources import selectors as source_selectors
from annotate.sources.services import source_create
from common.fuzzy import NameIndex
from corpus.models import AnnotatorSources
from corpus.services import project_update
from tests.conftest import login
from tests.factories import AssignmentFactory

HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def registry(project: Any) -> dict[str, Source]:
    return {
        "isachenko": source_create(project=project, name="Daria Isachenko", aliases=["Isachenko"]),
        "umarov": source_create(project=project, name="Temur Umarov"),
        "erdogan": source_create(
            project=project, name="Recep Tayyip Erdoğan", aliases=["Erdogan", "Erdoğan"]
        ),
        "akar": source_create(project=project, name="Hulusi Akar"),
    }


def search(client: Client, article: Any, q: str) -> str:
    url = reverse("annotate:workspace-source-search", args=[article.pk])
    response = client.get(url, {"q": q}, **HX)
    assert response.status_code == 200
    return response.content.decode()


def option_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-source-id="(\d+)"', html)]


# --- the near-miss index, alone ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "owner"),
    [
        ("isachneko", 1),  # two letters swapped
        ("isachn", 1),  # a typo in the start of a word
        ("umarow", 2),  # one letter wrong, in the second word
        ("temur umarow", 2),  # the whole name, with the typo
        ("erdogna", 3),  # an alias's typo
    ],
)
def test_near_misses_are_found(query: str, owner: int) -> None:
    index = NameIndex(
        [(1, "daria isachenko"), (1, "isachenko"), (2, "temur umarov"), (3, "erdogan")]
    )
    assert [found for found, _ in index.near(query)][:1] == [owner]


@pytest.mark.parametrize("query", ["zhukov", "ankara", "xy"])
def test_unlike_names_are_not_near_misses(query: str) -> None:
    index = NameIndex([(1, "daria isachenko"), (2, "temur umarov"), (3, "erdogan")])
    assert index.near(query) == []


# --- the search, through the view ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"), [("isachneko", "isachenko"), ("umarow", "umarov"), ("erdgoan", "erdogan")]
)
def test_a_typo_finds_the_source(
    client: Client,
    assigned_article: Any,
    annotator: Any,
    registry: dict[str, Source],
    q: str,
    expected: str,
) -> None:
    login(client, annotator)
    html = search(client, assigned_article, q)
    assert option_ids(html)[0] == registry[expected].pk
    assert "data-near-miss" in html and "close match" in html


@pytest.mark.django_db
def test_direct_hits_come_before_near_misses(
    client: Client, assigned_article: Any, annotator: Any, registry: dict[str, Source]
) -> None:
    login(client, annotator)
    html = search(client, assigned_article, "akar")
    assert option_ids(html)[0] == registry["akar"].pk
    first = html[: html.index("</li>")]
    assert "data-near-miss" not in first


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["Erdogan", "erdoğan", "RECEP TAYYIP ERDOGAN", "isachenko"])
def test_no_offer_to_create_a_known_name_or_alias(
    client: Client, assigned_article: Any, annotator: Any, registry: dict[str, Source], q: str
) -> None:
    login(client, annotator)
    html = search(client, assigned_article, q)
    assert 'data-action="new-source"' not in html
    assert "already in the registry" in html
    # The confirmation, asked for directly, offers the known source instead of a new one.
    url = reverse("annotate:workspace-source-confirm", args=[assigned_article.pk])
    html = client.get(url, {"q": q}, **HX).content.decode()
    assert 'data-action="create-source"' not in html
    assert 'data-action="pick-source"' in html


@pytest.mark.django_db
def test_an_alias_is_named_as_one(
    client: Client, assigned_article: Any, annotator: Any, registry: dict[str, Source]
) -> None:
    login(client, annotator)
    html = search(client, assigned_article, "erdogan")
    assert "as an alias of “Recep Tayyip Erdoğan”" in html


@pytest.mark.django_db
def test_a_new_name_is_offered_beside_the_options_never_as_one(
    client: Client, assigned_article: Any, annotator: Any, registry: dict[str, Source]
) -> None:
    login(client, annotator)
    html = search(client, assigned_article, "isachen")
    listbox = html[html.index('role="listbox"') : html.index("</ul>")]
    assert "new-source" not in listbox and "Create" not in listbox
    assert 'data-action="new-source" data-name="isachen"' in html


@pytest.mark.django_db
def test_the_confirmation_shows_the_closest_names(
    client: Client,
    assigned_article: Any,
    annotator: Any,
    project: Any,
    registry: dict[str, Source],
) -> None:
    project_update(project=project, annotator_sources=AnnotatorSources.CREATE)
    login(client, annotator)
    url = reverse("annotate:workspace-source-confirm", args=[assigned_article.pk])
    response = client.get(url, {"q": "Temur Umarow"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Add “Temur Umarow” to the registry as a new source?" in html
    assert f'data-action="pick-source" data-source-id="{registry["umarov"].pk}"' in html
    assert 'data-action="create-source" data-name="Temur Umarow" data-autofocus' in html
    assert not Source.objects.filter(name="Temur Umarow").exists()  # asking writes nothing


# --- the project setting -------------------------------------------------------------------


@pytest.mark.django_db
def test_annotators_propose_by_default(project: Any) -> None:
    assert project.annotator_sources == AnnotatorSources.PROPOSE


@pytest.mark.django_db
def test_setting_none_hides_and_refuses_creation_for_annotators(
    client: Client, assigned_article: Any, annotator: Any, project: Any, registry: Any
) -> None:
    project_update(project=project, annotator_sources=AnnotatorSources.NONE)
    login(client, annotator)
    html = search(client, assigned_article, "Zhanna Nemtsova")
    assert 'data-action="new-source"' not in html
    assert "a curator adds new sources" in html
    url = reverse("annotate:workspace-source-create", args=[assigned_article.pk])
    response = client.post(url, {"name": "Zhanna Nemtsova"}, **HX)
    assert response.status_code == 403
    assert not Source.objects.filter(name="Zhanna Nemtsova").exists()


@pytest.mark.django_db
def test_setting_none_leaves_curators_free_to_create(
    client: Client, assigned_article: Any, curator: Any, project: Any
) -> None:
    project_update(project=project, annotator_sources=AnnotatorSources.NONE)
    AssignmentFactory(article=assigned_article, annotator=curator)
    login(client, curator)
    url = reverse("annotate:workspace-source-create", args=[assigned_article.pk])
    assert client.post(url, {"name": "Zhanna Nemtsova"}, **HX).status_code == 200
    created = Source.objects.get(name="Zhanna Nemtsova")
    entry = project.history.get(entity="source", object_id=created.pk)
    assert entry.actor == curator  # the workspace now says who added it


@pytest.mark.django_db
def test_an_unknown_setting_is_refused(project: Any) -> None:
    with pytest.raises(ValidationError, match="annotator_sources"):
        project_update(project=project, annotator_sources="propose-maybe")


# --- the index follows the registry --------------------------------------------------------


@pytest.mark.django_db
def test_the_index_is_rebuilt_when_the_registry_changes(project: Any) -> None:
    source_create(project=project, name="Temur Umarov")
    first = source_selectors.registry_index(project)
    assert source_selectors.registry_index(project) is first  # cached while nothing changed
    added = source_create(project=project, name="Dmitry Zhukov")
    again = source_selectors.registry_index(project)
    assert again is not first
    assert [pk for pk, _ in again.near("zhukow")] == [added.pk]


def test_the_index_cache_stays_whole_when_threads_store_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A threaded server's requests store indexes side by side: with the cache full, two
    evicting at once once picked the same oldest entry and the second pop raised
    KeyError (a 500 from the source autocomplete in CI's browser tests)."""
    import sys
    import threading

    monkeypatch.setattr(source_selectors, "_REGISTRY_INDEXES", {})
    index = NameIndex([])
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def store(offset: int) -> None:
        start.wait()
        try:
            for n in range(3000):
                source_selectors.remember_registry_index(offset * 100_000 + n, (n,), index)
        except BaseException as error:  # noqa: BLE001 - any error fails the test below
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=store, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(source_selectors._REGISTRY_INDEXES) == source_selectors._REGISTRY_INDEXES_MAX
