import django.contrib.postgres.search
from django.db import migrations, models

import common.fulltext
import corpus.search


class Migration(migrations.Migration):
    """Article search entries built after an import (issue 21): ``search_pending`` marks
    the articles whose entries a background task has yet to build (``corpus.indexing``).
    On PostgreSQL the GIN index ``article_search`` becomes partial (the rows not pending,
    built CONCURRENTLY); on SQLite the FTS5 triggers leave pending rows out. Existing
    articles are all indexed (the column is NULL)."""

    atomic = False

    dependencies = [
        ("corpus", "0009_article_project_updated"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_pending",
            field=models.BooleanField(default=None, editable=False, null=True),
        ),
        migrations.RemoveIndex(model_name="article", name="article_search"),
        common.fulltext.AddIndexConcurrentlyOnPostgres(
            model_name="article",
            index=common.fulltext.PostgresGinIndex(
                django.contrib.postgres.search.SearchVector(
                    "title", "outlet", "byline", "text", config="simple"
                ),
                condition=models.Q(("search_pending__isnull", True)),
                name="article_search",
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(("search_pending", True)),
                fields=["id"],
                name="article_search_pending",
            ),
        ),
        corpus.search.DeferArticleFtsOnSqlite(),
    ]
