"""Selection updates every application of a wave; make those HOT updates.

A HOT update writes the new row version into the same heap page and adds no index entries. It
needs two things: no index on a column the update changes (the wave-and-status index becomes a
wave index), and free space in the page (a fillfactor: pages are filled to 40% on insert, which
leaves room for the larger decided row). ``ALTER TABLE ... SET (fillfactor)`` applies to rows
inserted from now on; ``VACUUM FULL participants_application`` repacks older ones.
"""

from django.db import migrations, models

FILLFACTOR = 40


def set_fillfactor(apps, schema_editor):
    schema_editor.execute(f"ALTER TABLE participants_application SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    schema_editor.execute("ALTER TABLE participants_application RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0055_audit_tables_without_fk_checks"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="application",
            name="application_wave_status",
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["wave"], name="application_wave"),
        ),
        migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False),
    ]
