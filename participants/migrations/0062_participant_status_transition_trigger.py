"""The database itself refuses a change of ``participants_participant.status`` that
``Participant.ALLOWED_TRANSITIONS`` does not allow, whoever writes it (a service, a bulk job, raw
SQL, the admin, psql).

The allowed pairs sit in the trigger's WHEN clause, so a valid change costs one expression and no
function call (the selection and the sweep move up to a million rows); only a refused change calls
the function, which raises. The pairs are frozen here: a change of the table needs a new
migration, and tests/participants/test_state_writers.py fails until it has one.
"""

from django.db import migrations

PAIRS = (
    ("applicant", "selected"),
    ("selected", "active"),
    ("selected", "revoked"),
    ("selected", "frozen"),
    ("selected", "expired"),
    ("active", "revoked"),
    ("active", "frozen"),
    ("active", "expired"),
    ("active", "finished"),
    ("frozen", "selected"),
    ("frozen", "active"),
    ("frozen", "revoked"),
    ("expired", "revoked"),
)

CREATE = """
CREATE OR REPLACE FUNCTION participants_refuse_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invalid participant status transition % -> % (participant %)',
        OLD.status, NEW.status, OLD.id
        USING ERRCODE = 'check_violation',
              HINT = 'Use participants.services (Participant.ALLOWED_TRANSITIONS).';
END
$$;
CREATE TRIGGER participant_status_transition
BEFORE UPDATE OF status ON participants_participant
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status, NEW.status) NOT IN ({pairs}))
EXECUTE FUNCTION participants_refuse_status_transition();
""".format(pairs=", ".join(f"('{old}', '{new}')" for old, new in PAIRS))

DROP = """
DROP TRIGGER IF EXISTS participant_status_transition ON participants_participant;
DROP FUNCTION IF EXISTS participants_refuse_status_transition();
"""


def create(apps, schema_editor):
    schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0061_nik_mask_serial_only"),
    ]

    operations = [migrations.RunPython(create, drop)]
