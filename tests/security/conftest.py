"""A small world for the security tests: one project with every kind of member and one
object of every kind that a URL can name, plus a member of another project.

Annotators A and B are both assigned to the article; each has a claim on it, so that
"B asks for A's claim" is the case of an annotator reaching for someone else's object.
Annotator C belongs to the project but has no assignment.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotate.clusters import services as cluster_services
from annotate.exchange import tasks as export_tasks
from annotate.models import Assignment, Claim, LearnedModel, Suggestion
from annotate.review import gold as gold_services
from annotate.sources.services import source_merge_recorded
from corpus import import_jobs
from corpus.invitations import invitation_create
from corpus.models import Role
from corpus.services import api_token_create
from tests.conftest import login
from tests.factories import (
    VALID_LABELS,
    ArticleFactory,
    AssignmentFactory,
    MembershipFactory,
    ProjectFactory,
    SourceFactory,
    TargetFactory,
    UserFactory,
    make_claim,
)
from tests.helpers import cache_entries, cache_entries_put

# A complete, valid set of labels of the default scheme.
LABELS: dict[str, Any] = VALID_LABELS

# Who asks: the keys of ``World.users`` (and "anonymous", who is nobody).
ACTORS = (
    "anonymous",
    "annotator_own",
    "annotator_other",
    "annotator_unassigned",
    "curator",
    "manager",
    "outsider",
)


@dataclass
class World:
    project: Any
    article: Any
    source: Any
    source_merge: Any  # the record of a duplicate merged into another source
    target: Any
    claim: Any  # annotator A's claim
    other_claim: Any  # annotator B's claim on the same article
    gold: Any
    assignment: Any  # A's assignment to the article
    suggestion: Any
    learned_model: Any  # a scored recommender model, not switched on
    cluster: Any  # a gold claim cluster holding the gold claim
    job: str
    users: dict[str, Any]
    invitation: Any  # an open invitation to the project
    invitation_token: str  # its link's token
    api_token: Any  # a personal API token of the manager

    @property
    def member(self) -> Any:
        """The member the team's routes name: C, who has no claim (so may leave)."""
        return self.users["annotator_unassigned"]

    @property
    def a(self) -> Any:
        return self.users["annotator_own"]

    @property
    def b(self) -> Any:
        return self.users["annotator_other"]


def _member(project: Any, role: str, username: str) -> Any:
    user = UserFactory(username=username)
    MembershipFactory(project=project, user=user, role=role)
    return user


def _build_world() -> World:
    """The world's rows (the export file and the jobs' cache entries: ``_outside_db``)."""
    project = ProjectFactory(slug="world", suggestions_enabled=True)
    users = {
        "annotator_own": _member(project, Role.ANNOTATOR, "ann-a"),
        "annotator_other": _member(project, Role.ANNOTATOR, "ann-b"),
        "annotator_unassigned": _member(project, Role.ANNOTATOR, "ann-c"),
        "curator": _member(project, Role.CURATOR, "curator"),
        "manager": _member(project, Role.MANAGER, "manager"),
    }
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, role=Role.MANAGER)
    users["outsider"] = outsider

    article = ArticleFactory(project=project)
    assignment = AssignmentFactory(article=article, annotator=users["annotator_own"])
    AssignmentFactory(article=article, annotator=users["annotator_other"])
    source = SourceFactory(project=project, name="Ahmet Davutoğlu")
    source_merge = source_merge_recorded(  # into another source: ``source`` stays as made
        keep=SourceFactory(project=project, name="Hakan Fidan"),
        merge=SourceFactory(project=project, name="H. Fidan"),
        actor=users["curator"],
    )
    target = TargetFactory(project=project, name="Turkey's influence")
    claim = make_claim(article, users["annotator_own"], source=source, target=target)
    other_claim = make_claim(article, users["annotator_other"], source=source, target=target)
    gold = gold_services.gold_accept(curator=users["curator"], claim=other_claim)
    suggestion = Suggestion.objects.create(
        article=article,
        start=claim.start,
        end=claim.end,
        quote=claim.quote,
        suggester="test 1",
    )
    learned_model = LearnedModel.objects.create(
        project=project, version="world", data_hash="world", file="recommenders/world.joblib",
        articles=3, claims=30, held_out_articles=1, held_out_claims=10, proposed=10, matched=8,
        source_correct=6,
    )  # fmt: skip
    cluster = cluster_services.cluster_create(
        project=project,
        actor=users["curator"],
        annotator_id=None,
        statement="Turkey's influence grows",
        claim_ids=[gold.pk],
    )
    invitation, invitation_token = invitation_create(
        project=project, email="invited@example.org", role=Role.ANNOTATOR, inviter=users["manager"]
    )
    api_token, _ = api_token_create(user=users["manager"], name="world")
    return World(
        project=project,
        article=article,
        source=source,
        source_merge=source_merge,
        target=target,
        claim=Claim.objects.get(pk=claim.pk),
        other_claim=Claim.objects.get(pk=other_claim.pk),
        gold=gold,
        assignment=Assignment.objects.get(pk=assignment.pk),
        suggestion=suggestion,
        learned_model=learned_model,
        cluster=cluster,
        job="0" * 32,
        users=users,
        invitation=invitation,
        invitation_token=invitation_token,
        api_token=api_token,
    )


def _outside_db(world: World) -> None:
    """What the world keeps outside the database, made anew in each test (the cache is
    emptied before each one, MEDIA_ROOT is the test's own): a finished export of the
    project under ``world.job``, and an article import job of the project under the same
    id (its own cache key)."""
    path = default_storage.save("exports/world.jsonl", ContentFile(b"{}\n"))
    export_tasks._update(
        world.job,
        state="done",
        project=world.project.slug,
        format="jsonl",
        path=path,
        name="world.jsonl",
    )
    import_jobs._new(
        world.job,
        kind="files",
        project=world.project,
        user=world.users["manager"],
        state="done",
        total=0,
    )


@pytest.fixture
def world(db: Any, settings: Any, tmp_path: Any) -> World:
    """The world built for this test alone (``shared_world``: built once per module)."""
    settings.MEDIA_ROOT = str(tmp_path)
    built = _build_world()
    _outside_db(built)
    return built


@pytest.fixture(scope="module")
def _module_world(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any
) -> Iterator[Any]:
    """The world's rows, written once per module (per xdist worker) in a transaction
    that stays open until the module's last test and is then rolled back. Each test's
    ``db`` runs inside it in a savepoint of its own, rolled back after the test, as
    ``TestCase.setUpTestData`` does for a class: every test starts from these rows and
    none sees another's writes. Also what the building left in the cache and in the
    networks a process keeps, restored in each test after ``empty_cache`` emptied them."""
    from django.core.cache import cache

    from annotate.analysis import networks

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            cache.clear()
            networks._LOCAL.clear()
            media = tmp_path_factory.mktemp("world-media")
            # The settings of the tests' autouse fixtures (tests/conftest.py), which come
            # after a module's fixtures: the passwords hashed as the tests check them.
            with override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                MEDIA_ROOT=str(media),
            ):
                built = _build_world()
            assert not any(media.iterdir()), "the world's files are made in each test"
            cached = cache_entries()
            local = dict(networks._LOCAL)
            cache.clear()
            networks._LOCAL.clear()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built, cached, local
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture
def shared_world(db: Any, settings: Any, tmp_path: Any, _module_world: Any) -> World:
    """The same world as ``world``, its rows written once per module (``_module_world``)
    rather than once per test; the objects are copies, so that a test changing one in
    memory leaves the next test's alone."""
    from annotate.analysis import networks

    built, cached, local = _module_world
    settings.MEDIA_ROOT = str(tmp_path)
    cache_entries_put(cached)
    networks._LOCAL.update(local)
    copied: World = copy.deepcopy(built)
    _outside_db(copied)
    return copied


def page_client(user: Any | None, **kwargs: Any) -> Client:
    """A browser-like client logged in as the user (anonymous for None)."""
    client = Client(**kwargs)
    return login(client, user) if user is not None else client


def api_client(user: Any | None) -> APIClient:
    """An API client that sends the user's token, as scripts do."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
