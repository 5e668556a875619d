from django.db import migrations

from annotate import db_overview_counts, db_versions


class Migration(migrations.Migration):
    """Bulk mode on PostgreSQL for the claims (issue 21, ``annotate.db_bulk``): while the
    transaction's ``claimdesk.bulk`` setting is on, the overview count INSERT trigger of
    ``annotate_claim`` copies its new rows to the session's temporary table instead of
    counting them, and the version INSERT triggers of claims and stances wait; the bulk
    writer does their work once at its end. The triggers are installed anew (on SQLite the
    same ones again)."""

    dependencies = [("annotate", "0023_postgres_bulk_stances")]

    operations = [
        db_overview_counts.reinstall_overview_triggers_operation(),
        db_versions.reinstall_version_triggers_operation(("annotate_claim", "annotate_claimstance")),
    ]
