from django.db import migrations, models

from annotate.db_versions import version_triggers_operation


class Migration(migrations.Migration):
    """The agreement cache's key (issue 21): a counter per project that triggers on every
    table the agreement report reads bump on each write (annotate/db_versions.py). A
    project without a row yet reads as version 0 and gets its row on its first write."""

    dependencies = [
        ("annotate", "0014_cluster_index"),
        ("corpus", "0008_article_search"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProjectVersion",
            fields=[
                ("project_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
        version_triggers_operation(
            (
                "annotate_claim",
                "annotate_claimstance",
                "annotate_chainlink",
                "annotate_assignment",
                "annotate_decision",
                "annotate_decisionorigin",
                "annotate_source",
            )
        ),
    ]
