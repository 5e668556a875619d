"""Adding articles by URL: fetching pages safely (corpus/fetch.py) and the import job.

Every page comes from a local server on 127.0.0.1 started by the test (tests/pages_server.py),
never from the internet; the tests that fetch from it allow private addresses, the others
check that the server refuses its own network.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from corpus import fetch, import_jobs
from corpus.models import Article
from tests.conftest import login
from tests.pages_server import Page, article_html, serve

TITLE = "Путин: İstanbul'da «Ölçülü» görüşme 🙂"
BODY = (
    "Владимир Путин заявил журналистам, что переговоры в Стамбуле прошли «конструктивно».\n\n"
    "Türkiye Dışişleri Bakanı Çavuşoğlu ise görüşmelerin ılımlı geçtiğini söyledi; "
    "İstanbul ve Şanlıurfa'dan gelen heyetler 🙂 memnun kaldı.\n\n"
    "The talks will resume next week, both sides said in a joint statement on Tuesday."
)


@pytest.fixture
def allow_private(settings: Any) -> Any:
    settings.CLAIMDESK_URL_FETCH_ALLOW_PRIVATE = True
    settings.CLAIMDESK_URL_FETCH_TIMEOUT = 2
    return settings


def _run(project: Any, manager: Any, urls: list[str]) -> dict[str, Any]:
    options = import_jobs.options_clean()
    job = import_jobs.start_urls(project=project, user=manager, urls=urls, options=options)
    status = import_jobs.job_for(project, job)
    assert status is not None
    return import_jobs.job_out(status, job)


def _error(job: dict[str, Any], index: int = 0) -> str:
    return str(job["results"][index]["error"])


# --- Fetching and importing ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_is_fetched_extracted_and_imported_with_its_text_unchanged(
    project: Any, manager: Any, allow_private: Any
) -> None:
    pages = {"/news/talks.html": Page(article_html(TITLE, BODY, author="Анна Иванова", lang="ru"))}
    with serve(pages) as server:
        job = _run(project, manager, [server.url("/news/talks.html")])
    assert job["state"] == "done"
    assert (job["created"], job["failed"]) == (1, 0), job
    article = Article.objects.get(project=project)
    assert article.title == TITLE
    for paragraph in BODY.split("\n\n"):
        assert paragraph in article.text
    assert "The Daily Example" not in article.text  # the page's footer is not the article
    assert article.byline == "Анна Иванова"
    assert article.language == "ru"
    assert article.url == server.url("/news/talks.html")
    assert article.metadata["import"]["format"] == "html"


@pytest.mark.django_db
def test_each_url_is_reported_on_its_own_and_the_good_ones_import(
    project: Any, manager: Any, allow_private: Any
) -> None:
    pages = {
        "/good.html": Page(article_html("A good page", BODY)),
        "/feed.json": Page(b'{"a": 1}', content_type="application/json"),
    }
    with serve(pages) as server:
        job = _run(
            project,
            manager,
            [server.url("/good.html"), server.url("/missing"), server.url("/feed.json")],
        )
    assert (job["done"], job["total"], job["created"], job["failed"]) == (3, 3, 1, 2)
    assert job["results"][0]["created"][0]["title"] == "A good page"
    assert _error(job, 1) == "the server answered 404 Not Found"
    assert _error(job, 2) == "not an HTML page (its content type is application/json)"
    assert Article.objects.filter(project=project).count() == 1


@pytest.mark.django_db
def test_a_url_that_does_not_answer_is_reported(
    project: Any, manager: Any, allow_private: Any
) -> None:
    with serve({}) as server:
        dead = server.url("/gone.html")
    job = _run(project, manager, [dead])  # the server is shut down: nothing listens
    assert _error(job) == "the server refused the connection"
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_a_page_over_the_size_limit_is_refused(
    project: Any, manager: Any, allow_private: Any
) -> None:
    allow_private.CLAIMDESK_URL_FETCH_MAX_BYTES = 2_000
    with serve({"/big.html": Page(article_html("Big", BODY * 20))}) as server:
        job = _run(project, manager, [server.url("/big.html")])
    assert "the limit is 2,000 (CLAIMDESK_URL_FETCH_MAX_BYTES)" in _error(job)
    assert not Article.objects.exists()


def test_a_page_over_the_limit_without_a_length_is_cut_off_while_reading() -> None:
    policy = fetch.Policy(timeout=2, max_bytes=2_000, allow_private=True)
    pages = {
        "/big.html": Page(article_html("Big", BODY * 20), length=False),
        "/small.html": Page(article_html("Small", "A short page."), length=False),
    }
    with serve(pages) as server:
        with pytest.raises(fetch.FetchError, match="more than 2,000 bytes"):
            fetch.fetch_html(server.url("/big.html"), policy)
        assert "A short page." in fetch.fetch_html(server.url("/small.html"), policy).html


@pytest.mark.django_db
def test_a_slow_server_runs_into_the_time_limit(
    project: Any, manager: Any, allow_private: Any
) -> None:
    allow_private.CLAIMDESK_URL_FETCH_TIMEOUT = 0.5
    with serve({"/slow.html": Page(article_html("Slow", BODY), delay=3)}) as server:
        job = _run(project, manager, [server.url("/slow.html")])
    assert _error(job) == "no answer within 0.5 seconds"
    assert not Article.objects.exists()


# --- The server's own network -------------------------------------------------------------


@pytest.mark.django_db
def test_loopback_is_refused_by_default(project: Any, manager: Any, settings: Any) -> None:
    assert settings.CLAIMDESK_URL_FETCH_ALLOW_PRIVATE is False
    with serve({"/a.html": Page(article_html("Inside", BODY))}) as server:
        job = _run(project, manager, [server.url("/a.html"), "http://localhost:9/x"])
        assert server.requests == []  # refused before connecting
    assert _error(job, 0).startswith("refused: 127.0.0.1 resolves to 127.0.0.1 is a loopback")
    assert "loopback address" in _error(job, 1)
    assert not Article.objects.exists()


@pytest.fixture
def only_this_loopback(monkeypatch: Any, settings: Any) -> None:
    """The address check as in production, except that 127.0.0.1 (the test's server) is
    let through: so a redirect from it to another inside address must be refused."""
    settings.CLAIMDESK_URL_FETCH_ALLOW_PRIVATE = False
    real = fetch.address_problem
    monkeypatch.setattr(fetch, "address_problem", lambda a: "" if a == "127.0.0.1" else real(a))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://10.1.2.3/admin", "10.1.2.3 is a private address"),
        ("http://[::1]:8000/", "::1 is a loopback address"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(
    project: Any, manager: Any, only_this_loopback: None, location: str, reason: str
) -> None:
    pages = {"/moved.html": Page(b"", status=302, headers={"Location": location})}
    with serve(pages) as server:
        job = _run(project, manager, [server.url("/moved.html")])
        assert server.requests == ["/moved.html"]
    assert reason in _error(job)
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_a_redirect_to_a_public_page_of_the_same_server_is_followed(
    project: Any, manager: Any, only_this_loopback: None
) -> None:
    pages = {
        "/old": Page(b"", status=301, headers={"Location": "/new.html"}),
        "/new.html": Page(article_html("Moved here", BODY)),
    }
    with serve(pages) as server:
        job = _run(project, manager, [server.url("/old")])
    assert job["created"] == 1, job
    assert Article.objects.get().url == server.url("/new.html")


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.0.0.5", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),  # shared address space (carrier-grade NAT)
        ("0.0.0.0", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("fc00::1", True),
        ("::ffff:127.0.0.1", True),  # IPv4 mapped into IPv6
        ("224.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
    ],
)
def test_address_problem(address: str, refused: bool) -> None:
    assert bool(fetch.address_problem(address)) is refused


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.org/a.html", "only http:// and https:// URLs can be fetched"),
        ("file:///etc/passwd", "only http:// and https:// URLs can be fetched"),
        ("javascript:alert(1)", "only http:// and https:// URLs can be fetched"),
        ("http://", "the URL has no host name"),
        ("http://user:secret@example.org/", "a URL with a user name or password in it"),
        ("http://example.org:99999/", "not a valid URL"),
        ("https://example.org/news/a.html?x=1", ""),
    ],
)
def test_url_problem(url: str, problem: str) -> None:
    assert fetch.url_problem(url).startswith(problem)


def test_urls_clean_names_every_bad_line_and_drops_repeats(settings: Any) -> None:
    from django.core.exceptions import ValidationError

    assert import_jobs.urls_clean("http://a.org/1\n\n http://a.org/1 \nhttp://a.org/2") == [
        "http://a.org/1",
        "http://a.org/2",
    ]
    with pytest.raises(ValidationError) as caught:
        import_jobs.urls_clean("http://a.org/1\nftp://b.org/\nnot a url")
    assert caught.value.message_dict["urls"] == [
        "ftp://b.org/: only http:// and https:// URLs can be fetched",
        "not a url: only http:// and https:// URLs can be fetched",
    ]
    settings.CLAIMDESK_URL_FETCH_MAX_URLS = 2
    with pytest.raises(ValidationError, match="At most 2 URLs"):
        import_jobs.urls_clean(["http://a.org/1", "http://a.org/2", "http://a.org/3"])


# --- The page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_queues_the_urls_and_shows_each_result(
    client: Client, project: Any, manager: Any, allow_private: Any
) -> None:
    login(client, manager)
    with serve({"/a.html": Page(article_html(TITLE, BODY))}) as server:
        response = client.post(
            reverse("corpus:article-from-urls", args=[project.slug]),
            {"urls": f"{server.url('/a.html')}\n{server.url('/nope')}", "strip_boilerplate": "1"},
        )
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Done: 1 article added" in html
    assert escape(TITLE) in html
    assert "Not imported: the server answered 404 Not Found" in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no more polling


@pytest.mark.django_db
def test_the_page_refuses_a_bad_url_list_and_queues_nothing(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    response = client.post(
        reverse("corpus:article-from-urls", args=[project.slug]),
        {"urls": "gopher://old.example/\nhttp://fine.example/a"},
    )
    assert response.status_code == 400
    assert "gopher://old.example/: only http:// and https:// URLs can be fetched" in (
        response.content.decode()
    )


@pytest.mark.django_db
def test_the_page_names_a_dead_url_and_a_page_that_is_not_an_article_and_writes_nothing(
    client: Client, project: Any, manager: Any, allow_private: Any
) -> None:
    login(client, manager)
    pages = {
        "/feed.json": Page(b'{"a": 1}', content_type="application/json"),
        "/empty.html": Page(
            b"<!doctype html><html><head><title>x</title></head><body></body></html>"
        ),
    }
    with serve({}) as gone:
        dead = gone.url("/gone.html")
    with serve(pages) as server:
        response = client.post(
            reverse("corpus:article-from-urls", args=[project.slug]),
            {"urls": "\n".join([dead, server.url("/feed.json"), server.url("/empty.html")])},
        )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Done: 0 articles added, 0 already in the project, 3 URLs not imported." in html
    assert "Not imported: the server refused the connection" in html
    assert "Not imported: not an HTML page (its content type is application/json)" in html
    assert html.count("Not imported: ") == 3
    assert not Article.objects.exists()
