"""Numbers that aren't: "²", a 5,000-digit number, -1, 2**63, "nan", "1e999" in every place
a request or a file gives a number. Each is a 4xx (or, for list filters, ignored) with
nothing written — never a 500 (issue 15, item 3)."""

from __future__ import annotations

import json
import math
import pickle
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import BadRequest, ValidationError
from django.urls import reverse

from annotate.exchange.options import ExportOptions
from annotate.models import Claim, ClaimStance, Decision, Source, Suggestion
from common.params import (
    MAX_ID,
    InvalidNumber,
    id_or_none,
    parse_float,
    parse_id,
    parse_int,
    parse_offset,
    parse_version,
)
from tests.security.conftest import World, api_client, page_client

HUGE = "9" * 5000
BAD_INTS = ["²", "٣", HUGE, "-1", str(2**63), "nan", "1e999", "+1", " 1", "1 ", "0x1", "1.0", ""]
BAD_NUMBERS = ["²", HUGE, "-1", str(2**63), "nan", "1e999"]  # what each route is sent
HX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``)."""
    return shared_world


def written(world: World) -> tuple[Any, ...]:
    """Everything the routes below could write."""
    return (
        list(Claim.objects.order_by("pk").values_list("pk", "version", "deleted_at", "start")),
        ClaimStance.objects.count(),
        Decision.objects.count(),
        list(Source.objects.order_by("pk").values_list("pk", "version")),
        Suggestion.objects.count(),
    )


# --- the helper ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", BAD_INTS)
def test_parse_id_refuses_what_is_no_id(raw: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        parse_id(raw, name="article")
    assert caught.value.message_dict == {"article": [caught.value.text]}
    assert "article must be a whole number from 1 to" in caught.value.text
    assert len(caught.value.text) < 120  # a 5,000-digit value is not echoed whole
    assert id_or_none(raw) is None


@pytest.mark.parametrize("raw", [0, -1, 2**63, True, 1.0, None, [1], 10**400])
def test_parse_id_refuses_json_values_that_are_no_id(raw: Any) -> None:
    with pytest.raises(InvalidNumber):
        parse_id(raw, name="id")


def test_parse_int_takes_ascii_digits_and_leading_zeros() -> None:
    assert parse_id("0042", name="x") == 42
    assert parse_id(str(MAX_ID), name="x") == MAX_ID
    assert parse_id(7, name="x") == 7
    assert parse_offset("0", name="start") == 0
    assert parse_int("-5", name="seed", min_value=-10, max_value=10) == -5
    with pytest.raises(InvalidNumber):
        parse_offset(str(2**31), name="start")  # an integer column on PostgreSQL
    with pytest.raises(InvalidNumber):
        parse_version("0")
    with pytest.raises(InvalidNumber):
        parse_int("-0", name="k")  # no sign where negatives are not allowed


def test_invalid_number_is_a_validation_error_and_a_bad_request() -> None:
    error = InvalidNumber("start", "start must be a whole number.")
    assert isinstance(error, ValidationError)
    assert isinstance(error, BadRequest)
    assert str(error) == "start must be a whole number."
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.name, copy.message_dict) == ("start", error.message_dict)


@pytest.mark.parametrize(
    "raw", ["nan", "NaN", "inf", "-Infinity", "1e999", "²", "١", "0x1p3", "1_0", " 1", 10**400]
)
def test_parse_float_refuses_what_is_not_finite(raw: Any) -> None:
    with pytest.raises(InvalidNumber):
        parse_float(raw, name="score")


def test_parse_float_takes_decimals() -> None:
    assert parse_float("0.8", name="r") == 0.8
    assert parse_float("1e-3", name="r") == 0.001
    assert parse_float(".5", name="r") == 0.5
    assert parse_float(3, name="r") == 3.0
    with pytest.raises(InvalidNumber):
        parse_float("1.5", name="r", min_value=0, max_value=1)


# --- ids in paths -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [str(2**63), str(2**63 - 1 + 10**18), "9" * 30, HUGE])
@pytest.mark.parametrize(
    "name",
    [
        "annotate:workspace",
        "annotate:next-article",
        "annotate:claim-new",
        "annotate:done",
        "annotate:review",
        "corpus:article-detail",
    ],
)
def test_an_article_id_past_the_integer_column_is_a_404(world: World, name: str, pk: str) -> None:
    url = reverse(name, args=[1]).replace("/1/", f"/{pk}/", 1)
    response = page_client(world.users["manager"]).get(url)
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["articles/{}/", "claims/{}/", "articles/{}/claims/"])
def test_an_api_id_past_the_integer_column_is_a_json_404(world: World, path: str) -> None:
    response = api_client(world.users["manager"]).get("/api/" + path.format(2**63))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_the_largest_id_still_resolves(world: World) -> None:
    response = page_client(world.a).get(reverse("annotate:workspace", args=[MAX_ID]))
    assert response.status_code == 404  # no such article: a clean 404 from the view


# --- the workspace ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("field", ["start", "end"])
def test_a_selection_with_bad_offsets_is_refused(world: World, bad: str, field: str) -> None:
    query = {"start": "0", "end": "5", "quote": world.article.text[:5], field: bad}
    workspace = reverse("annotate:claim-new", args=[world.article.pk])
    response = page_client(world.a).get(workspace, query, **HX)
    assert response.status_code == 422
    assert "no valid offsets" in response.content.decode()
    gold = reverse("annotate:gold-add", args=[world.article.pk])
    response = page_client(world.users["curator"]).get(gold, query, **HX)
    assert response.status_code == 422


def _claim_post(world: World, **changes: str) -> dict[str, Any]:
    claim = world.claim
    return {
        "start": str(claim.start),
        "end": str(claim.end),
        "quote": claim.quote,
        "source": str(world.source.pk),
        "attribution": "direct",
        f"stance-{world.target.pk}": "against",
        "source_reliability": "B",
        "information_credibility": "2",
        "claim_type": "evaluative",
        "version": str(claim.version),
        **changes,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("field", ["start", "end", "source", "mention_start", "version"])
def test_a_claim_form_with_a_bad_number_is_a_form_error(world: World, bad: str, field: str) -> None:
    before = written(world)
    client = page_client(world.a)
    post = _claim_post(world, **{field: bad})
    if field == "mention_start":
        post["mention_end"] = "3"
    create = client.post(reverse("annotate:claim-create", args=[world.article.pk]), post, **HX)
    update = client.post(reverse("annotate:claim-update", args=[world.claim.pk]), post, **HX)
    for response in (create, update):
        if field in ("start", "end") and response is update:
            continue  # an update's offsets come from the claim
        assert response.status_code == 422, (field, bad, response.status_code)
        assert "must be a whole number" in response.content.decode()
    assert written(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_a_stance_for_a_target_that_is_no_id_is_a_form_error(world: World, bad: str) -> None:
    before = written(world)
    post = _claim_post(world, **{f"stance-{bad}": "favor"})
    response = page_client(world.a).post(
        reverse("annotate:claim-create", args=[world.article.pk]),
        urlencode(post),  # multipart would refuse a 5,000-character field name itself
        content_type="application/x-www-form-urlencoded",
        **HX,
    )
    assert response.status_code == 422
    assert "is not a target" in response.content.decode()
    assert written(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_deleting_a_claim_with_a_bad_version_is_a_400(world: World, bad: str) -> None:
    before = written(world)
    response = page_client(world.a).post(
        reverse("annotate:claim-delete", args=[world.claim.pk]), {"version": bad}, **HX
    )
    assert response.status_code == 400
    assert written(world) == before


def test_a_bad_number_on_a_page_says_what_was_wrong(world: World) -> None:
    response = page_client(world.a).post(
        reverse("annotate:claim-delete", args=[world.claim.pk]), {"version": "²"}
    )
    assert response.status_code == 400
    assert "version must be a whole number" in response.content.decode()


# --- review ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize(
    ("action", "field"),
    [
        *(
            (action, field)
            for action in ("review-accept", "review-reject", "review-merge")
            for field in ("claims", "unit", "version")
        ),
        ("review-bulk-accept", "claims"),
        ("review-bulk-accept", "version"),
    ],
)
def test_adjudicating_with_a_bad_number_is_a_400_and_writes_nothing(
    world: World, bad: str, action: str, field: str
) -> None:
    claims = [world.claim, world.other_claim]
    post: dict[str, Any] = {
        "unit": "0",
        "claims": [str(c.pk) for c in claims],
        "claim": str(world.claim.pk),
        **{f"version-{c.pk}": str(c.version) for c in claims},
    }
    if field == "version":
        post[f"version-{world.claim.pk}"] = bad
    elif field == "claims":
        post["claims"] = [*post["claims"], bad]
    else:
        post["unit"] = bad
    before = written(world)
    response = page_client(world.users["curator"]).post(
        reverse(f"annotate:{action}", args=[world.article.pk]), post, **HX
    )
    assert response.status_code == 400, response.status_code
    assert written(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize("field", ["start", "source", "mention_start"])
def test_a_gold_claim_with_a_bad_number_is_a_form_error(world: World, bad: str, field: str) -> None:
    before = written(world)
    post = _claim_post(world, **{field: bad})
    post["mention_end"] = "3"
    response = page_client(world.users["curator"]).post(
        reverse("annotate:gold-add", args=[world.article.pk]), post, **HX
    )
    assert response.status_code == 422, response.status_code
    assert written(world) == before


# --- sources ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_merging_a_source_that_is_no_id_says_so(world: World, bad: str) -> None:
    before = written(world)
    response = page_client(world.users["curator"]).post(
        reverse("annotate:source-merge", args=[world.source.pk]), {"merge": bad}, follow=True
    )
    assert response.status_code == 200
    assert "Choose a source of this project" in response.content.decode()
    assert written(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [HUGE, str(2**63), 2**63, "²", 1.5, "nan"])
def test_the_api_refuses_a_merge_that_is_no_id(world: World, bad: Any) -> None:
    before = written(world)
    response = api_client(world.users["curator"]).post(
        reverse("api:source-merge", args=[world.source.pk]), {"merge": bad}, format="json"
    )
    assert response.status_code == 400
    assert "merge" in response.json()["errors"]
    assert written(world) == before


# --- analysis: filters that are no number are not filtered on ---------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", BAD_NUMBERS)
@pytest.mark.parametrize(
    "name", ["analysis-overview", "stance-map", "stance-map-csv", "claim-search"]
)
@pytest.mark.parametrize("param", ["source", "article", "layer", "target", "sort", "page"])
def test_analysis_filters_that_are_no_number_are_ignored(
    world: World, bad: str, name: str, param: str
) -> None:
    value = f"{bad}:favor" if param == "sort" else bad
    url = reverse(f"annotate:{name}", args=[world.project.slug])
    response = page_client(world.users["manager"]).get(url, {param: value})
    assert response.status_code == 200, (name, param, bad)


def test_an_analysis_filter_on_an_unknown_large_id_matches_nothing(world: World) -> None:
    url = reverse("annotate:claim-search", args=[world.project.slug])
    client = page_client(world.users["manager"])
    response = client.get(url, {"layer": "all", "source": str(2**63 - 1)})
    assert response.status_code == 200
    assert world.claim.quote not in response.content.decode()


# --- exports ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("param", "bad"),
    [
        *(("seed", b) for b in ["²", HUGE, str(2**63), "nan", "1e999", "1.5"]),
        *(("article", b) for b in BAD_NUMBERS),
        *(("source", b) for b in BAD_NUMBERS),
        ("ratios", "nan,nan,nan"),
        ("ratios", "inf,0,0"),
        ("ratios", "1e999,0,0"),
        ("ratios", "-1,1,1"),
        ("ratios", "²,0,0"),
        ("ratios", "0.8,0.1"),
    ],
)
def test_an_export_with_a_bad_number_is_a_400(world: World, param: str, bad: str) -> None:
    query = {"format": "jsonl", "layer": "all", "split": "1", param: bad}
    page = page_client(world.users["manager"]).get(
        reverse("annotate:export-download", args=[world.project.slug]), query
    )
    assert page.status_code == 400
    api = api_client(world.users["manager"]).get(
        reverse("api:project-export", args=[world.project.slug]), query
    )
    assert api.status_code == 400
    assert api.json()["code"] == "invalid"


def test_export_options_never_hold_a_ratio_that_is_not_finite() -> None:
    for ratios in [(math.nan,) * 3, (math.inf, 0.0, 0.0), (0.5, math.nan, 0.5)]:
        with pytest.raises(ValidationError):
            ExportOptions(split=True, split_ratios=ratios)


def test_the_jsonl_writer_refuses_nan() -> None:
    from annotate.exchange import jsonl

    with pytest.raises(ValueError, match="not JSON compliant"):
        jsonl._encode({"split_ratios": [math.nan]})


@pytest.mark.django_db
def test_the_jsonl_provenance_is_strict_json(world: World) -> None:
    query = {"format": "jsonl", "layer": "all", "split": "1", "ratios": "0.5,0.25,0.25"}
    response = page_client(world.users["manager"]).get(
        reverse("annotate:export-download", args=[world.project.slug]), query
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]

    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in the export")

    lines = [json.loads(line, parse_constant=refuse) for line in body.splitlines() if line]
    assert lines[0]["provenance"]["filters"]["split_ratios"] == [0.5, 0.25, 0.25]


# --- the API ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["²", HUGE, "-1", "9" * 19, str(2**63), "nan"])
def test_the_claim_list_refuses_an_annotator_that_is_no_id(world: World, bad: str) -> None:
    response = api_client(world.users["curator"]).get(
        reverse("api:claim-list", args=[world.article.pk]), {"annotator": bad}
    )
    assert response.status_code == 400
    assert "annotator" in response.json()["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['{"version": 1e999}', '{"version": NaN}', '{"version": 1e400}'])
def test_the_api_refuses_numbers_that_are_not_finite(world: World, body: str) -> None:
    before = written(world)
    response = api_client(world.a).generic(
        "PATCH",
        reverse("api:claim-detail", args=[world.claim.pk]),
        body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert written(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["start", "end", "version"])
@pytest.mark.parametrize("bad", [2**31, 2**63, 10**30, -1])
def test_the_api_refuses_offsets_and_versions_past_the_column(
    world: World, field: str, bad: int
) -> None:
    before = written(world)
    claim = world.claim
    response = api_client(world.a).patch(
        reverse("api:claim-detail", args=[claim.pk]),
        {"version": claim.version, "start": claim.start, "end": claim.end, "quote": claim.quote}
        | {field: bad},
        format="json",
    )
    assert response.status_code in (400, 409), response.status_code
    assert written(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["²", HUGE, "-1", str(2**63), "nan", "1e999"])
def test_the_api_refuses_a_delete_version_that_is_no_number(world: World, bad: str) -> None:
    before = written(world)
    response = api_client(world.a).delete(
        reverse("api:claim-detail", args=[world.claim.pk]) + f"?version={bad}"
    )
    assert response.status_code == 400
    assert written(world) == before


# --- imported suggestions -----------------------------------------------------------------


def _suggestion_line(world: World, score: str) -> str:
    article = world.article
    claim = world.claim
    record = {
        "id": article.pk,
        "sha256": article.sha256,
        "text": article.text,
        "claims": [
            {"start": claim.start, "end": claim.end, "quote": claim.quote, "score": "SCORE"}
        ],
    }
    return json.dumps(record, ensure_ascii=False).replace('"SCORE"', score)


@pytest.mark.django_db
@pytest.mark.parametrize("score", [str(10**400), "1e999", "NaN", "-Infinity"])
@pytest.mark.parametrize("dry_run", [True, False])
def test_an_imported_suggestion_score_that_is_not_finite_is_refused(
    world: World, score: str, dry_run: bool
) -> None:
    before = written(world)
    response = api_client(world.users["curator"]).post(
        reverse("api:project-import", args=[world.project.slug]),
        {
            "filename": "scores.jsonl",
            "content": _suggestion_line(world, score),
            "format": "jsonl",
            "as_suggestions": True,
            "suggester": "scored",
            "dry_run": dry_run,
        },
        format="json",
    )
    # A dry run reports the rejected line (200); a real import is refused (400).
    assert response.status_code == (200 if dry_run else 400), response.content
    report = response.json() if dry_run else response.json()["report"]
    assert report["rejected"][0]["where"] == "line 1"
    assert written(world) == before


@pytest.mark.django_db
def test_a_suggestion_score_of_10_to_the_400_is_refused_by_the_service(world: World) -> None:
    from annotate.suggest import imported as suggestions

    with pytest.raises(ValidationError) as caught:
        suggestions._score(10**400)
    assert "score" in caught.value.message_dict
