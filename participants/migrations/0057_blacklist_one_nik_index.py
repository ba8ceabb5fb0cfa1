"""Drop the plain index on ``BlacklistEntry.nik_hash``; the partial unique index
``one_active_blacklist_entry_per_nik`` serves every lookup of active entries.

Each sweep batch inserts 10,000 entries with random NIK hashes: every index on that column takes
10,000 inserts at random pages. Only the plain index is dropped. Django's ``AlterField`` (db_index
True -> False) would look for indexes on the column and could take the partial unique one with
it, so the database side is done here by introspection and the model state is changed apart.
"""

from django.db import migrations, models

TABLE = "participants_blacklistentry"


def drop_plain_index(apps, schema_editor):
    model = apps.get_model("participants", "BlacklistEntry")
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    for name, info in constraints.items():
        if info["index"] and not info["unique"] and not info["primary_key"]:
            if info["columns"] == ["nik_hash"]:
                schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_plain_index(apps, schema_editor):
    model = apps.get_model("participants", "BlacklistEntry")
    field = model._meta.get_field("nik_hash")
    schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0056_application_hot_updates"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="blacklistentry",
                    name="nik_hash",
                    field=models.CharField(max_length=64),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_plain_index, create_plain_index, elidable=False),
            ],
        ),
    ]
