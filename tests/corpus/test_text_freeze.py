"""The article-text freeze, held by the service layer and by the database on both engines."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from corpus.models import Article
from corpus.services import article_create, article_update
from tests.factories import ArticleFactory, ClaimFactory


@pytest.mark.django_db
def test_text_of_unannotated_article_can_change(project: Any) -> None:
    article = article_create(project=project, text="First draft.").article
    article_update(article=article, text="Second draft.")
    article.refresh_from_db()
    assert article.text == "Second draft."
    assert article.char_count == len("Second draft.")


@pytest.mark.django_db
def test_service_refuses_to_change_annotated_text() -> None:
    claim = ClaimFactory()
    with pytest.raises(ValidationError, match="frozen"):
        article_update(article=claim.article, text="Something else entirely.")


@pytest.mark.django_db(transaction=True)
def test_database_refuses_to_change_annotated_text() -> None:
    claim = ClaimFactory()
    original = claim.article.text
    with pytest.raises(IntegrityError, match="frozen"), transaction.atomic():
        Article.objects.filter(pk=claim.article_id).update(text="Changed behind the ORM's back.")
    claim.article.refresh_from_db()
    assert claim.article.text == original


@pytest.mark.django_db(transaction=True)
def test_database_refuses_raw_sql_hash_change() -> None:
    claim = ClaimFactory()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE corpus_article SET sha256 = %s WHERE id = %s", ["0" * 64, claim.article_id]
        )


@pytest.mark.django_db(transaction=True)
def test_database_allows_metadata_change_of_annotated_article() -> None:
    claim = ClaimFactory()
    Article.objects.filter(pk=claim.article_id).update(title="A better title")
    claim.article.refresh_from_db()
    assert claim.article.title == "A better title"


@pytest.mark.django_db
def test_other_articles_stay_editable_when_one_is_annotated() -> None:
    claim = ClaimFactory()
    free = ArticleFactory(project=claim.article.project)
    article_update(article=free, text="Rewritten before anyone annotated it.")
    free.refresh_from_db()
    assert free.text.startswith("Rewritten")
