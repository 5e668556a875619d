from django.conf import settings
from django.db import migrations, models

import annotate.db_indexes


class Migration(migrations.Migration):
    """A partial index of live claims by source (issue 21): the source registry counts each
    shown source's claims with an index-only scan (1.4 s → ~20 ms for a page of 25 at
    2.1 million claims on PostgreSQL). Built with CREATE INDEX CONCURRENTLY on PostgreSQL
    (~8 s at 2.1 million claims), so not in a transaction; if the build fails it leaves an
    INVALID index: DROP INDEX CONCURRENTLY claim_live_source and migrate again."""

    atomic = False

    dependencies = [
        ("annotate", "0016_source_joins"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        annotate.db_indexes.AddIndexConcurrentlyOnPostgres(
            model_name="claim",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["source"],
                name="claim_live_source",
            ),
        ),
    ]
