from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from corpus.models import Role
from tests import open_connections, quick_flush, serial_live_server
from tests.factories import (
    PASSWORD,
    ArticleFactory,
    AssignmentFactory,
    MembershipFactory,
    ProjectFactory,
    UserFactory,
)

# Hypothesis's "too slow" health check times the example generation by the wall clock: on a
# loaded 2-core machine (CI's two legs side by side, two workers each) it failed a test whose
# strategy is not slow (session 20, load ~17). Its other checks stay; each test's own
# settings still apply over this profile.
hypothesis_settings.register_profile(
    "claimdesk", suppress_health_check=[HealthCheck.too_slow], deadline=None
)
hypothesis_settings.load_profile("claimdesk")


def pytest_configure(config: Any) -> None:
    quick_flush.install()  # transactional tests' flush on PostgreSQL (tests/quick_flush.py)
    serial_live_server.install()  # in-memory SQLite: the live server's requests take turns
    # PostgreSQL: a test that leaves another connection to the test database open fails.
    config.pluginmanager.register(open_connections, "claimdesk-open-connections")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """pytest-django's, and before its drop of the test database a warning naming the other
    sessions still on it (tests/open_connections.py: ``before_drop``)."""
    yield
    open_connections.before_drop(django_db_blocker)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Hashing with the production hasher makes every login take ~0.3 s."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache() -> Any:
    """Each test starts with an empty cache (login throttle counts, cached reports, and
    the networks a process keeps beside the cache)."""
    from django.core.cache import cache

    from annotate.analysis import networks

    cache.clear()
    networks._LOCAL.clear()
    yield
    cache.clear()
    networks._LOCAL.clear()


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path_factory: Any) -> None:
    """Files the app stores (the cluster-suggestion index a page builds, exports) go to a
    temporary directory, not the checkout's media/."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")


@pytest.fixture
def project(db: Any) -> Any:
    return ProjectFactory()


def _member(project: Any, role: str, username: str) -> Any:
    user = UserFactory(username=username)
    MembershipFactory(project=project, user=user, role=role)
    return user


@pytest.fixture
def manager(project: Any) -> Any:
    return _member(project, Role.MANAGER, "manager")


@pytest.fixture
def curator(project: Any) -> Any:
    return _member(project, Role.CURATOR, "curator")


@pytest.fixture
def annotator(project: Any) -> Any:
    return _member(project, Role.ANNOTATOR, "annotator")


@pytest.fixture
def other_annotator(project: Any) -> Any:
    return _member(project, Role.ANNOTATOR, "other-annotator")


@pytest.fixture
def outsider(db: Any) -> Any:
    """A member of another project only."""
    user = UserFactory(username="outsider")
    MembershipFactory(user=user, role=Role.MANAGER)
    return user


@pytest.fixture
def article(project: Any) -> Any:
    return ArticleFactory(project=project)


@pytest.fixture
def assigned_article(article: Any, annotator: Any) -> Any:
    AssignmentFactory(article=article, annotator=annotator)
    return article


def login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client
