"""Deeply nested JSON (``[`` × 5,000 is 10 KB) and over-size bodies: a JSON 400 from the
API and a reason from every importer, never a ``RecursionError`` 500 (issue 15, item 4)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from annotate.exchange import archive, archive_checks, restoring
from annotate.exchange.importing_files import read_items
from annotate.models import Claim, Source
from annotate.sources import registry
from common.jsonload import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    NOT_PLAIN,
    JSONInputError,
    loads_bounded,
    loads_plain,
    nesting_error,
)
from corpus import importers
from corpus.models import Article
from tests.security.conftest import World, api_client

DEEP = "[" * 5000
DEEP_OBJECT = '{"a":' * 5000


@pytest.fixture
def world(shared_world: World) -> World:
    """The security tests' world, its rows written once for the module rather than once
    per test (tests/security/conftest.py: ``shared_world``)."""
    return shared_world


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# --- the reader --------------------------------------------------------------------------


@pytest.mark.parametrize("text", [DEEP, DEEP_OBJECT, "[" * 100_000, b"[" * 5000])
def test_deep_nesting_is_a_decode_error_not_a_recursion_error(text: str | bytes) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        loads_bounded(text)
    assert isinstance(caught.value, JSONInputError)
    assert f"nested deeper than {MAX_DEPTH} levels" in str(caught.value)
    # Where: the first bracket past the limit.
    where = caught.value.pos
    assert nesting_error(text[:where]) is None
    assert nesting_error(text[: where + 1]) == where


def test_nesting_up_to_the_limit_is_read() -> None:
    assert loads_bounded(json.dumps(nested(MAX_DEPTH))) == nested(MAX_DEPTH)
    with pytest.raises(JSONInputError):
        loads_bounded(json.dumps(nested(MAX_DEPTH + 1)))
    mixed = json.dumps({"a": nested(MAX_DEPTH - 1)})
    assert loads_bounded(mixed) == {"a": nested(MAX_DEPTH - 1)}


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"text": "[" * 10_000 + '\\" {' * 100, "more": ["]]]]" * 100]})
    assert nesting_error(text) is None
    assert loads_bounded(text)["text"].startswith("[[[")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "NaN is not a JSON number"),
        ('{"x": -Infinity}', "-Infinity is not a JSON number"),
        ("[1e999]", "too large"),
        ("9" * 5000, "5000 digits is too long"),
    ],
)
def test_numbers_json_does_not_have_are_refused(text: str, message: str) -> None:
    with pytest.raises(json.JSONDecodeError, match=message):
        loads_bounded(text)


def test_ordinary_json_reads_as_json_loads_does() -> None:
    text = '{"a": [1, 2.5, -3e2, "x", null, true], "b": {"c": "ü 😀"}}'
    assert loads_bounded(text) == json.loads(text)
    assert loads_bounded(text.encode()) == json.loads(text)
    assert loads_bounded(text.encode("utf-16")) == json.loads(text)
    with pytest.raises(json.JSONDecodeError, match="not UTF-8 text"):
        loads_bounded(b'{"a": "\xff"}')


# What orjson reads otherwise than the standard parser, or refuses where it reads, or
# reads where loads_bounded refuses: each must come back NOT_PLAIN or as loads_bounded's.
_PLAIN_OR_NOT = [
    b'{"a": 1, "b": "x", "a": 2}',  # the last of a repeated key wins, in the first's place
    b'  {"text": "\\u00e9 \xc3\xa9 \xf0\x9f\x98\x80 \\ud83d\\ude00"}  ',
    b'{"n": 18446744073709551615, "m": -9223372036854775808}',
    b'{"n": 18446744073709551616}',  # orjson: a float
    b'{"n": -9223372036854775809}',
    b'{"f": 1.5}',
    b"[1e999]",
    b"NaN",
    b'{"x": -Infinity}',
    b'"\\ud800"',  # a lone surrogate: read by the standard parser, the text check refuses it
    b'"\xed\xa0\x80"',  # one in UTF-8 bytes
    b'"a\x01b"',  # a raw control character
    b'{"a": 1} x',
    b'{"a": "\xff"}',
    b"\xef\xbb\xbf{}",
    b"9" * 5000,
    json.dumps(nested(MAX_DEPTH)).encode(),
    json.dumps(nested(MAX_DEPTH + 1)).encode(),
    json.dumps({"a": nested(MAX_DEPTH - 1)}).encode(),
    json.dumps({"a": nested(MAX_DEPTH)}).encode(),
    b"[" * 2000 + b"]" * 2000,
]


@pytest.mark.parametrize("data", _PLAIN_OR_NOT)
def test_loads_plain_gives_what_loads_bounded_gives_or_leaves_it_to_it(data: bytes) -> None:
    """``loads_plain`` (orjson first, issue 21) never reads a value other than
    ``loads_bounded``'s, nor one that it refuses."""
    plain = loads_plain(data)
    if plain is NOT_PLAIN:
        return
    bounded = loads_bounded(data)
    assert plain == bounded and type(plain) is type(bounded)
    if isinstance(plain, dict):
        assert list(plain) == list(bounded)


def test_loads_plain_reads_an_import_line() -> None:
    line = json.dumps({"text": "Akıncı, Яна 🇹🇷", "n": 3, "m": {"k": [None, True]}})
    assert loads_plain(line.encode()) == json.loads(line)
    assert loads_plain(b'{"f": 2.5}') is NOT_PLAIN


# --- the API -----------------------------------------------------------------------------


def _post_raw(client: APIClient, url: str, body: str) -> Any:
    return client.generic("POST", url, body, content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, json.dumps(nested(MAX_DEPTH + 1))])
def test_deep_json_to_the_anonymous_token_endpoint_is_a_json_400(body: str) -> None:
    response = _post_raw(APIClient(), reverse("api:token"), body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["code"] == "parse_error"
    assert "nested deeper than 64 levels" in data["detail"]
    assert data["errors"]["non_field_errors"] == [data["detail"]]


@pytest.mark.django_db
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT])
def test_deep_json_to_an_authenticated_endpoint_is_a_json_400(world: World, body: str) -> None:
    before = Claim.objects.count()
    response = _post_raw(
        api_client(world.a), reverse("api:claim-list", args=[world.article.pk]), body
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert Claim.objects.count() == before


@pytest.mark.django_db
def test_deep_json_to_the_import_endpoint_is_a_json_400(world: World) -> None:
    response = _post_raw(
        api_client(world.users["manager"]),
        reverse("api:project-import", args=[world.project.slug]),
        DEEP,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
def test_metadata_nested_too_deep_in_an_api_article_is_refused(world: World) -> None:
    client = api_client(world.users["manager"])
    url = reverse("api:article-list", args=[world.project.slug])
    before = Article.objects.count()
    deep = '{"text": "Words.", "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    assert _post_raw(client, url, deep).status_code == 400
    assert Article.objects.count() == before
    # As deep as the limit allows: stored as it is.
    fits = {"text": "Words enough.", "metadata": {"x": nested(MAX_DEPTH - 3)}}
    response = client.post(url, fits, format="json")
    assert response.status_code == 201, response.content
    assert Article.objects.get(pk=response.json()["id"]).metadata == fits["metadata"]


@pytest.mark.django_db
def test_a_body_over_the_size_limit_is_the_api_json_400(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = Article.objects.count()
    client = api_client(world.users["manager"])
    response = client.post(
        reverse("api:article-list", args=[world.project.slug]),
        {"text": "word " * 5000},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    detail = "The request body is larger than 10,000 bytes."
    assert response.json() == {
        "detail": detail,
        "code": "too_large",
        "errors": {"non_field_errors": [detail]},
    }
    anonymous = _post_raw(APIClient(), reverse("api:token"), json.dumps({"username": "x" * 20000}))
    assert anonymous.status_code == 400
    assert anonymous.json()["code"] == "too_large"
    assert Article.objects.count() == before


@pytest.mark.django_db
def test_too_many_form_fields_are_a_json_400(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = api_client(world.users["manager"]).post(
        reverse("api:article-upload", args=[world.project.slug]),
        {f"f{i}": "x" for i in range(50)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


# --- the importers --------------------------------------------------------------------------


def _article_line(metadata_depth: int) -> str:
    return json.dumps({"text": "Some words here.", "metadata": {"x": "["}}).replace(
        '"["', "[" * metadata_depth + "]" * metadata_depth
    )


@pytest.mark.django_db
def test_an_article_upload_with_metadata_100k_deep_is_refused(world: World) -> None:
    data = "\n".join([json.dumps({"text": "Fine."}), _article_line(100_000)]).encode()
    before = Article.objects.count()
    result = importers.import_file(project=world.project, name="deep.jsonl", data=data)
    assert result.failed
    assert "line 2" in result.error
    assert "nested deeper than 64 levels" in result.error
    response = api_client(world.users["manager"]).post(
        reverse("api:article-upload", args=[world.project.slug]),
        {"file": SimpleUploadedFile("deep.jsonl", data)},
        format="multipart",
    )
    assert response.status_code == 400
    assert "line 2" in json.dumps(response.json())
    assert Article.objects.count() == before


@pytest.mark.parametrize("fmt", ["jsonl", "w3c"])
def test_an_annotation_import_reports_deep_nesting(fmt: str) -> None:
    text = DEEP if fmt == "w3c" else json.dumps({"claims": []}) + "\n" + '{"claims": ' + DEEP
    items = list(read_items(text, fmt))
    assert any("nested deeper than 64 levels" in p for item in items for p in item.problems)


@pytest.mark.django_db
def test_annotation_import_api_reports_a_deep_line(world: World) -> None:
    before = Claim.objects.count()
    response = api_client(world.users["curator"]).post(
        reverse("api:project-import", args=[world.project.slug]),
        {
            "filename": "deep.jsonl",
            "content": '{"claims": [' + "[" * 5000,
            "format": "jsonl",
            "as_suggestions": True,
            "suggester": "deep",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "nested deeper than 64 levels" in json.dumps(response.json())
    assert Claim.objects.count() == before


def test_a_source_registry_line_nested_too_deep_is_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        registry.parse_rows(
            json.dumps({"name": "A", "kind": "person"}) + "\n" + DEEP_OBJECT, "jsonl"
        )
    assert "line 2" in caught.value.messages[0]
    assert "nested deeper than 64 levels" in caught.value.messages[0]


@pytest.mark.django_db
@pytest.mark.parametrize("member", ["manifest.json", "project.json"])
def test_an_archive_with_a_deep_member_is_refused(world: World, member: str) -> None:
    good = b"".join(archive.stream(world.project))
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buffer, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == member:
                body = DEEP.encode()
            dst.writestr(info.filename, body)
    projects = Source.objects.count()
    with pytest.raises(ValidationError) as caught:
        restoring.restore(io.BytesIO(buffer.getvalue()), slug="restored")
    assert "nested deeper than 64 levels" in " ".join(caught.value.messages)
    assert Source.objects.count() == projects


def test_an_archive_record_nested_too_deep_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        dst.writestr("claims.jsonl", '{"id": 1}\n' + DEEP)
    with zipfile.ZipFile(buffer) as src, pytest.raises(ValidationError) as caught:
        reader = archive_checks.Reader(src, archive_checks.Limits.from_settings())
        list(reader.lines("claims.jsonl"))
    assert caught.value.messages == [
        "claims.jsonl, line 2: not valid JSON (nested deeper than 64 levels)."
    ]


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ('{"a": [1, {"b": ' + "9" * 101 + "}]}", 101),
        ('{"a": [' + "-" + "9" * 300 + "]}", 300),
        ("-" + "9" * 101, 101),
    ],
)
def test_a_long_integer_anywhere_in_a_value_is_refused(text: str, digits: int) -> None:
    # Integers are checked by the walk over the parsed value, not by a hook per number.
    with pytest.raises(json.JSONDecodeError, match=f"{digits} digits is too long") as caught:
        loads_bounded(text)
    assert text[caught.value.pos :].lstrip("-").startswith("999")


def test_the_longest_integer_allowed_and_long_digits_in_a_string_read() -> None:
    text = json.dumps({"a": [int("9" * MAX_INT_DIGITS), -int("9" * MAX_INT_DIGITS)]})
    assert loads_bounded(text) == json.loads(text)
    assert loads_bounded(json.dumps({"s": "1" * 5000}))["s"] == "1" * 5000
    assert loads_bounded("[true, false, 3]") == [True, False, 3]
