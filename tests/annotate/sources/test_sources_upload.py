"""Uploading a source registry file in the browser (annotate/sources/upload_views.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotate.models import Source
from tests.conftest import login
from tests.factories import SourceAliasFactory, SourceFactory

CSV = (
    "name,kind,description,aliases,external_id\n"
    "Recep Tayyip Erdoğan,person,President of Türkiye,Erdoğan|Эрдоган,Q39723\n"
    "Мария Захарова,person,Spokeswoman,Zakharova,\n"
)


def _post(client: Client, project: Any, **data: Any) -> Any:
    return client.post(reverse("annotate:source-import", args=[project.slug]), data)


def _file(name: str, text: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)


@pytest.mark.django_db
def test_preview_shows_what_each_line_would_do_and_writes_nothing(
    client: Client, project: Any, curator: Any
) -> None:
    SourceAliasFactory(
        source=SourceFactory(project=project, name="Maria Zakharova"), alias="Zakharova"
    )
    login(client, curator)
    response = _post(client, project, file=_file("registry.csv", CSV), action="preview")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing is written yet" in html
    assert "1 created, 1 updated, 0 unchanged" in html
    assert "matched by “Zakharova”" in html
    assert Source.objects.filter(project=project).count() == 1
    staged = response.context["staged"]
    done = _post(client, project, staged=staged, action="import")
    assert done.status_code == 200
    assert "1 created, 1 updated" in done.content.decode()
    erdogan = Source.objects.get(project=project, name="Recep Tayyip Erdoğan")
    # (Эрдоган and Erdoğan have one search key: the registry keeps one of them.)
    assert list(erdogan.aliases.values_list("alias", flat=True)) == ["Erdoğan"]
    assert erdogan.description == "President of Türkiye"
    assert Source.objects.get(project=project, name="Maria Zakharova").description == "Spokeswoman"


@pytest.mark.django_db
def test_bad_lines_are_reported_with_their_numbers_and_nothing_is_written(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    bad = (
        '{"name": "Ahmet Davutoğlu", "kind": "person"}\n'
        '{"name": "", "kind": "person"}\n'
        '{"name": "Somebody", "kind": "wizard"}\n'
    )
    response = _post(client, project, file=_file("registry.jsonl", bad), action="import")
    assert response.status_code == 400
    html = response.content.decode()
    assert "line 2" in html and "line 3" in html
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_or_of_unknown_format_is_a_400(
    client: Client, project: Any, manager: Any
) -> None:
    login(client, manager)
    latin = _file("registry.csv", "name,kind\nJosé,person\n".encode("latin-1"))
    response = _post(client, project, file=latin)
    assert response.status_code == 400
    assert "is not UTF-8" in response.content.decode()
    response = _post(client, project, file=_file("registry.xlsx", b"PK"))
    assert response.status_code == 400
    assert "name it .csv or .jsonl" in response.content.decode()
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_a_preview_of_another_user_cannot_be_imported(
    client: Client, project: Any, manager: Any, curator: Any
) -> None:
    login(client, curator)
    staged = _post(client, project, file=_file("r.csv", CSV)).context["staged"]
    login(client, manager)
    response = _post(client, project, staged=staged, action="import")
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_annotators_cannot_import_sources(client: Client, project: Any, annotator: Any) -> None:
    login(client, annotator)
    assert client.get(reverse("annotate:source-import", args=[project.slug])).status_code == 403
    assert _post(client, project, file=_file("r.csv", CSV), action="import").status_code == 403
    assert not Source.objects.exists()
