from django.db import migrations

from annotate.db_guards import drop_freeze_trigger, install_freeze_trigger


def forwards(apps, schema_editor):
    install_freeze_trigger(schema_editor, ("annotate_claim",))


def backwards(apps, schema_editor):
    drop_freeze_trigger(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("annotate", "0001_initial"), ("corpus", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
