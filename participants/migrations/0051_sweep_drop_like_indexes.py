"""Drop the varchar_pattern_ops ("_like") indexes Django adds for indexed CharFields
of the two tables the nightly sweep writes in bulk (participant, blacklist).

They serve only prefix ``LIKE 'abc%'`` queries, which nothing runs on hashes, codes, phone numbers,
card numbers or statuses (exact lookups use the plain btree index that stays), yet every
non-HOT update of a participant and every blacklist insert pays for them: 9 of the 31 index
entries the sweep writes per revoked participant. Django's PostgreSQL schema editor drops these
indexes with IF EXISTS when a field is altered, so later migrations are unaffected.
"""

from django.db import migrations

LIKE_INDEXES = [
    ("participants_participant", "participants_participant_nik_hash_0641bdbb_like", "nik_hash"),
    ("participants_participant", "participants_participant_kk_hash_c6611502_like", "kk_hash"),
    ("participants_participant", "participants_participant_phone_f9c0b4e5_like", "phone"),
    ("participants_participant", "participants_participant_status_eae4b12a_like", "status"),
    (
        "participants_participant",
        "participants_participant_card_number_dbfef337_like",
        "card_number",
    ),
    (
        "participants_participant",
        "participants_participant_district_id_066d927d_like",
        "district_id",
    ),
    (
        "participants_participant",
        "participants_participant_province_id_6ecb7019_like",
        "province_id",
    ),
    (
        "participants_participant",
        "participants_participant_regency_id_1987f364_like",
        "regency_id",
    ),
    (
        "participants_blacklistentry",
        "participants_blacklistentry_nik_hash_e5685a4a_like",
        "nik_hash",
    ),
]


def drop(apps, schema_editor):
    for _table, name, _column in LIKE_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore(apps, schema_editor):
    for table, name, column in LIKE_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("participants", "0001_initial")]

    operations = [migrations.RunPython(drop, restore, elidable=False)]
