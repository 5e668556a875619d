from django.db import migrations, models

import common.fulltext


class Migration(migrations.Migration):
    """A project's articles in title order (issue 21): the exports' claims query walks them
    so and reads each article's claims in order from annotate's claim_live_article, which
    spared SQLite its sort of every claim (a temporary B-tree, ~0.1 s of a 1.3 s JSON Lines
    export at 70,000 claims). Built with CREATE INDEX CONCURRENTLY on PostgreSQL, so not in
    a transaction; if the build fails it leaves an INVALID index: DROP INDEX CONCURRENTLY
    article_project_title and migrate again."""

    atomic = False

    dependencies = [
        ("corpus", "0011_article_text_lz4"),
    ]

    operations = [
        common.fulltext.AddIndexConcurrentlyOnPostgres(
            model_name="article",
            index=models.Index(fields=["project", "title", "id"], name="article_project_title"),
        ),
    ]
