"""The Import page (who may, what it shows, what it writes, how many queries) and
imported suggestions in the workspace: accepting one, or opening it in the claim form,
comes with the labels it proposes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotate.exchange.importing_suggestions import import_suggestions
from annotate.models import Claim, Suggestion, SuggestionResponse
from corpus.models import Role
from corpus.services import membership_set
from tests.annotate.exchange.importing_world import LABELS, ImportWorld, build_world
from tests.conftest import login
from tests.factories import UserFactory

HX: Any = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(db: Any) -> ImportWorld:
    return build_world()


def url(world: ImportWorld) -> str:
    return reverse("annotate:import", args=[world.project.slug])


def post(client: Client, world: ImportWorld, data: bytes, name: str = "pre.jsonl", **fields: Any):
    body = {"file": SimpleUploadedFile(name, data), "format": "auto", **fields}
    return client.post(url(world), body)


def html_of(response: Any) -> str:
    return " ".join(response.content.decode().split())


# --- access ---------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client: Client, world: ImportWorld) -> None:
    for method in (client.get, client.post):
        response = method(url(world))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_annotators_get_403_and_outsiders_404(client: Client, world: ImportWorld) -> None:
    data = world.jsonl((0, [world.full_claim()]))
    for user, status in ((world.annotator, 403), (world.outsider, 404)):
        login(client, user)
        assert client.get(url(world)).status_code == status
        response = post(client, world, data, target="suggestions")
        assert response.status_code == status
    assert not Suggestion.objects.exists()


def test_other_methods_answer_405(client: Client, world: ImportWorld) -> None:
    login(client, world.manager)
    assert client.put(url(world)).status_code == 405
    assert client.delete(url(world)).status_code == 405


def test_the_export_page_links_to_the_import_page(client: Client, world: ImportWorld) -> None:
    login(client, world.curator)
    page = client.get(reverse("annotate:export", args=[world.project.slug])).content.decode()
    assert f'href="{url(world)}"' in page


# --- the form -------------------------------------------------------------------------------


def test_the_form_lists_the_projects_annotators_in_few_queries(
    client: Client, world: ImportWorld, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        membership_set(
            project=world.project, user=UserFactory(username=f"ann{n:02}"), role=Role.ANNOTATOR
        )
    login(client, world.manager)
    with django_assert_max_num_queries(8):
        response = client.get(url(world))
    html = html_of(response)
    options = re.findall(r'<option value="([^"]+)">', html.split('id="import-annotator"')[1])
    assert options == sorted(options) and len(options) == 32
    assert {"anna", "boris", "ann00", "ann29"} <= set(options)
    assert "mira" not in options and "cora" not in options  # managers, curators: not annotators
    assert 'name="target" value="claims" checked' in html
    assert 'enctype="multipart/form-data"' in html and "csrfmiddlewaretoken" in html


def test_curators_are_offered_suggestions_only(client: Client, world: ImportWorld) -> None:
    login(client, world.curator)
    html = html_of(client.get(url(world)))
    assert 'value="claims" disabled' in html and "(managers only)" in html
    assert 'name="target" value="suggestions" checked' in html


# --- importing ------------------------------------------------------------------------------


def test_a_dry_run_shows_the_report_and_writes_nothing(client: Client, world: ImportWorld) -> None:
    login(client, world.manager)
    data = world.jsonl((0, [world.full_claim()]))
    response = post(client, world, data, target="claims", annotator="boris", dry_run="1")
    assert response.status_code == 200
    html = html_of(response)
    assert "Nothing written (dry run): would import 1 claim as boris." in html
    assert '<dd id="import-created">1</dd>' in html
    assert not Claim.objects.filter(annotator=world.other).exists()


def test_a_manager_imports_an_annotators_claims(client: Client, world: ImportWorld) -> None:
    login(client, world.manager)
    data = world.jsonl((0, [world.full_claim()]))
    html = html_of(post(client, world, data, target="claims", annotator="boris"))
    assert "Imported 1 claim as boris." in html
    claim = Claim.objects.get(annotator=world.other)
    assert (claim.source, claim.note) == (world.sources["orekhova"], "model: 😀 sure")
    again = html_of(post(client, world, data, target="claims", annotator="boris"))
    assert "Imported 0 claims as boris." in again and '<dd id="import-skipped">1</dd>' in again


def test_the_upload_goes_to_disk_and_is_read_from_there(
    client: Client, world: ImportWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21: the page read the whole upload into memory (``upload.read()``); now the
    file is written to a temporary file as it arrives, as the API's, and the import gets
    the open file (JSON Lines are read from it line by line)."""
    from annotate.exchange import import_views

    seen: list[Any] = []
    real = import_views.run_import

    def spy(**kwargs: Any) -> Any:
        seen.append(kwargs["request"].data)
        return real(**kwargs)

    monkeypatch.setattr(import_views, "run_import", spy)
    login(client, world.manager)
    data = world.jsonl((0, [world.full_claim()]))
    html = html_of(post(client, world, data, target="claims", annotator="boris"))
    assert "Imported 1 claim as boris." in html
    assert not isinstance(seen[0], bytes | str)
    assert hasattr(seen[0], "name") and seen[0].name  # a named temporary file


def test_the_page_still_checks_the_csrf_token(world: ImportWorld) -> None:
    """The view is ``csrf_exempt`` only to set its upload handlers first: the check runs
    inside, and a POST without the token is refused and writes nothing."""
    strict = Client(enforce_csrf_checks=True)
    login(strict, world.manager)
    data = world.jsonl((0, [world.full_claim()]))
    response = post(strict, world, data, target="claims", annotator="boris")
    assert response.status_code == 403
    assert not Claim.objects.filter(annotator=world.other).exists()
    page = strict.get(url(world))
    token = page.cookies["csrftoken"].value
    body = {"file": SimpleUploadedFile("pre.jsonl", data), "format": "auto"}
    body |= {"target": "claims", "annotator": "boris", "csrfmiddlewaretoken": token}
    assert "Imported 1 claim as boris." in html_of(strict.post(url(world), body))


def test_a_curator_imports_suggestions_but_not_claims(client: Client, world: ImportWorld) -> None:
    login(client, world.curator)
    data = world.jsonl((0, [world.full_claim()]))
    refused = post(client, world, data, target="claims", annotator="boris")
    assert refused.status_code == 403
    assert not Claim.objects.filter(annotator=world.other).exists()
    html = html_of(post(client, world, data, name="xlm.jsonl", target="suggestions"))
    assert "Imported 1 suggestion by “import:xlm.jsonl”." in html
    assert Suggestion.objects.get().suggester == "import:xlm.jsonl"


def test_every_rejected_item_is_listed_with_why_in_few_queries(
    client: Client, world: ImportWorld, django_assert_max_num_queries: Any
) -> None:
    login(client, world.manager)
    # Spans of the first article's text (no cluster to cut in its first 60 characters).
    bad = [{"start": 0, "end": n, "quote": "wrong", "source": "Akıncı"} for n in range(1, 41)]
    data = world.jsonl((0, [world.full_claim()]), (0, bad))
    # A fixed number whatever the number of items (32 here: none per item).
    with django_assert_max_num_queries(36):
        response = post(client, world, data, target="suggestions", suggester="m")
    html = html_of(response)
    assert "Nothing written: 40 items rejected. Fix them" in html
    assert "It would import 1 suggestion by “m”." in html
    rows = re.findall(r"<tr><th scope=\"row\">(line 2, claim \d+)</th><td>([^<]*)", html)
    assert len(rows) == len(bad)
    assert all("quote: the quote does not match the text" in why for _, why in rows)
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("data", "fields", "message"),
    [
        ("Akıncı".encode("cp1254"), {"target": "suggestions"}, "The file is not UTF-8"),
        (b"{}", {"target": "claims"}, "Choose the annotator whose claims these become."),
        (b"{}", {"target": "suggestions", "suggester": "rules/3"}, "built-in"),
    ],
)
def test_a_bad_request_shows_why_with_a_400(
    client: Client, world: ImportWorld, data: bytes, fields: dict[str, Any], message: str
) -> None:
    login(client, world.manager)
    response = post(client, world, data, **fields)
    assert response.status_code == 400
    assert message in html_of(response)


def test_a_file_over_the_limit_is_refused_with_a_clear_message(
    client: Client, world: ImportWorld, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    login(client, world.manager)
    data = world.jsonl(*[(0, [world.full_claim()])] * 10)
    response = post(client, world, data, target="suggestions")
    assert response.status_code == 400
    assert f"The file has {len(data):,} bytes; the limit here is 2,000." in html_of(response)
    assert not Suggestion.objects.exists()


def test_a_missing_file_is_a_form_error(client: Client, world: ImportWorld) -> None:
    login(client, world.manager)
    response = client.post(url(world), {"target": "suggestions", "format": "auto"})
    assert response.status_code == 400
    assert "This field is required." in html_of(response)


# --- imported suggestions in the workspace ------------------------------------------------------


def _imported(world: ImportWorld, *claims: dict[str, Any], n: int = 0) -> Suggestion:
    report = import_suggestions(
        project=world.project, data=world.jsonl((n, list(claims))), fmt="jsonl", suggester="m"
    )
    assert report.written, report.rejected
    return Suggestion.objects.get()


def test_the_form_of_an_imported_suggestion_is_prefilled_with_its_labels(
    client: Client, world: ImportWorld
) -> None:
    suggestion = _imported(world, world.full_claim())
    login(client, world.annotator)
    response = client.get(reverse("annotate:suggestion-edit", args=[suggestion.pk]), **HX)
    assert response.status_code == 200
    html = html_of(response)
    assert "<html" not in html
    assert f'name="source" id="source-id" value="{world.sources["orekhova"].pk}"' in html
    assert "“Яна Орехова”" in html  # the mention
    for name, value in (*LABELS.items(),):
        assert f'name="{name}" value="{value}" checked' in html, name
    csto = next(t for t in world.targets if t.name == "the CSTO")
    assert f'name="stance-{world.targets[0].pk}" value="favor" aria-label' in html
    assert re.search(rf'name="stance-{world.targets[0].pk}" value="favor"[^>]* checked', html)
    assert re.search(rf'name="stance-{csto.pk}" value="none"[^>]* checked', html)
    assert ">model: 😀 sure</textarea>" in html


def test_accepting_an_imported_suggestion_keeps_its_labels(
    client: Client, world: ImportWorld
) -> None:
    suggestion = _imported(world, world.full_claim())
    login(client, world.annotator)
    response = client.post(reverse("annotate:suggestion-accept", args=[suggestion.pk]), **HX)
    assert response.status_code == 200, response.content.decode()[:500]
    claim = Claim.objects.get(annotator=world.annotator)
    assert (claim.source_reliability, claim.claim_type, claim.note) == (
        "B",
        "evaluative",
        "model: 😀 sure",
    )
    assert claim.stances.count() == 2
    assert SuggestionResponse.objects.get().claim == claim
    # Boris still has it to answer.
    assert Suggestion.objects.exclude(responses__annotator=world.other).count() == 1


def test_accepting_an_incomplete_import_opens_the_prefilled_form(
    client: Client, world: ImportWorld
) -> None:
    claim = world.claim(
        1,
        "Ayşe Yılmaz thinks the CSTO is weaker now",
        source="Ayşe Yılmaz",
        claim_type="evaluative",
        note="Türkçe not",
    )
    suggestion = _imported(world, claim, n=1)
    login(client, world.annotator)
    response = client.post(reverse("annotate:suggestion-accept", args=[suggestion.pk]), **HX)
    assert response.status_code == 422
    html = html_of(response)
    assert "“Ayşe Yılmaz” is not in the registry" in html
    assert 'name="claim_type" value="evaluative" checked' in html
    assert ">Türkçe not</textarea>" in html
    assert not Claim.objects.exists()
