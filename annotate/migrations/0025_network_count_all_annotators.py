from django.db import migrations

from annotate.db_network_counts import ALL_LAYER, COUNT_TABLE, network_triggers_operation


class Migration(migrations.Migration):
    """The networks' counts keep an "all annotators" layer (issue 21, layer −1,
    ``annotate.db_network_counts.ALL_LAYER``): every annotator's claims together, all time
    only, which the stance map, its CSV, the source profile and the all-time networks of
    all annotators read instead of summing every annotator's rows. The triggers are
    installed anew and the table counted afresh (in its key's order). Reversed, the
    triggers are dropped (as 0019's: migrate forwards again) and the layer's rows deleted
    (0024's readers sum every layer but gold's)."""

    dependencies = [("annotate", "0024_postgres_bulk_claims")]

    operations = [
        migrations.RunPython(
            migrations.RunPython.noop,
            lambda apps, editor: editor.execute(
                f"DELETE FROM {COUNT_TABLE} WHERE layer = {ALL_LAYER}"
            ),
        ),
        network_triggers_operation(),
    ]
