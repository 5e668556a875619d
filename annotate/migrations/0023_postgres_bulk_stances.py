from django.db import migrations

from annotate import db_network_counts


class Migration(migrations.Migration):
    """Bulk mode on PostgreSQL (issue 21, ``annotate.db_bulk``): the stance INSERT trigger
    of the network counts copies its new rows to the session's temporary table while the
    transaction's ``claimdesk.bulk`` setting is on, and counts them as before otherwise.
    The triggers are installed anew (on SQLite the same ones again)."""

    dependencies = [("annotate", "0022_overview_counts")]

    operations = [db_network_counts.reinstall_network_triggers_operation()]
