"""Storage settings and index removals for the tables the bulk jobs write.

Hand-written because neither has a place in Django's model state: a table's storage parameters
are not model options, and the ``varchar_pattern_ops`` ("_like") indexes are created by the
PostgreSQL schema editor for every indexed or unique CharField, with no option to leave them out.

- ``participants_application`` keeps free space in each page (fillfactor 40): selection decides
  every application of a wave, and with room in the page (and no index on the columns it changes,
  see ``Application.Meta.indexes``) each of those updates is HOT: the new row version goes into
  the same page and no index entry is written. The fillfactor applies to rows inserted after it
  is set; ``VACUUM FULL participants_application`` repacks older ones.
- The "_like" indexes of ``participants_participant`` serve only prefix ``LIKE 'abc%'`` queries,
  which nothing runs on hashes, card numbers, phone numbers or region codes (exact lookups use the
  plain btree or unique index that stays), yet every non-HOT update of a participant pays for
  them, the nightly sweep's included. Django's schema editor drops such an index with IF EXISTS
  when it alters the field, so later migrations are unaffected by its absence.
"""

from django.db import migrations

FILLFACTOR = 40

# (index, column) on participants_participant; the names are the schema editor's own.
LIKE_INDEXES = (
    ("participants_participant_card_number_dbfef337_like", "card_number"),
    ("participants_participant_kk_hash_c6611502_like", "kk_hash"),
    ("participants_participant_nik_hash_0641bdbb_like", "nik_hash"),
    ("participants_participant_phone_f9c0b4e5_like", "phone"),
    ("participants_participant_province_id_6ecb7019_like", "province_id"),
)


class Migration(migrations.Migration):
    dependencies = [("participants", "0003_status_transition_trigger")]

    operations = [
        migrations.RunSQL(
            f"ALTER TABLE participants_application SET (fillfactor = {FILLFACTOR});",
            reverse_sql="ALTER TABLE participants_application RESET (fillfactor);",
        ),
        migrations.RunSQL(
            [f'DROP INDEX "{name}";' for name, _column in LIKE_INDEXES],
            reverse_sql=[
                f'CREATE INDEX "{name}" ON "participants_participant" ("{column}" varchar_pattern_ops);'
                for name, column in LIKE_INDEXES
            ],
        ),
    ]
