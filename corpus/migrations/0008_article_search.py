import common.fulltext
import django.contrib.postgres.search
from django.db import migrations

import corpus.search


class Migration(migrations.Migration):
    """Article search through an index (issue 21): on PostgreSQL the GIN index
    ``article_search`` over ``to_tsvector('simple', title, outlet, byline, text)``, built
    CONCURRENTLY (writes go on meanwhile); on SQLite the FTS5 table ``corpus_article_fts``
    with its triggers, filled with every article (corpus/search.py)."""

    atomic = False

    dependencies = [
        ("corpus", "0007_annotator_sources_propose"),
    ]

    operations = [
        common.fulltext.AddIndexConcurrentlyOnPostgres(
            model_name="article",
            index=common.fulltext.PostgresGinIndex(
                django.contrib.postgres.search.SearchVector(
                    "title", "outlet", "byline", "text", config="simple"
                ),
                name="article_search",
            ),
        ),
        corpus.search.CreateArticleFtsOnSqlite(),
    ]
