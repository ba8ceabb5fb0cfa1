"""The status trigger also refuses leaving ``frozen`` for any status other than the one stored
when the card was frozen (``frozen_from_status``), except revocation.

The pairs of ``Participant.ALLOWED_TRANSITIONS`` let a frozen card become ``selected`` or
``active``, so without this ``active -> frozen -> selected`` passed although ``active ->
selected`` is refused. ``services.lift_freeze`` restores the stored status; the database now
refuses every other way out of a freeze, whoever writes it. The check reads ``OLD`` only, so the
lift can clear ``frozen_from_status`` in the same UPDATE.
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

FUNCTION = """
CREATE OR REPLACE FUNCTION participants_refuse_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'frozen' AND (OLD.status, NEW.status) IN ({pairs}) THEN
        RAISE EXCEPTION 'invalid participant status transition % -> % (participant %): a '
            'frozen card returns only to the status it had before the freeze (%)',
            OLD.status, NEW.status, OLD.id, coalesce(nullif(OLD.frozen_from_status, ''), '-')
            USING ERRCODE = 'check_violation',
                  HINT = 'Use participants.services.lift_freeze.';
    END IF;
    RAISE EXCEPTION 'invalid participant status transition % -> % (participant %)',
        OLD.status, NEW.status, OLD.id
        USING ERRCODE = 'check_violation',
              HINT = 'Use participants.services (Participant.ALLOWED_TRANSITIONS).';
END
$$;
"""

TRIGGER = """
DROP TRIGGER IF EXISTS participant_status_transition ON participants_participant;
CREATE TRIGGER participant_status_transition
BEFORE UPDATE OF status ON participants_participant
FOR EACH ROW
WHEN (
    OLD.status IS DISTINCT FROM NEW.status
    AND (
        (OLD.status, NEW.status) NOT IN ({pairs})
        OR (
            OLD.status = 'frozen'
            AND NEW.status <> 'revoked'
            AND NEW.status IS DISTINCT FROM OLD.frozen_from_status
        )
    )
)
EXECUTE FUNCTION participants_refuse_status_transition();
"""

OLD_TRIGGER = """
DROP TRIGGER IF EXISTS participant_status_transition ON participants_participant;
CREATE TRIGGER participant_status_transition
BEFORE UPDATE OF status ON participants_participant
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status AND (OLD.status, NEW.status) NOT IN ({pairs}))
EXECUTE FUNCTION participants_refuse_status_transition();
"""

OLD_FUNCTION = """
CREATE OR REPLACE FUNCTION participants_refuse_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invalid participant status transition % -> % (participant %)',
        OLD.status, NEW.status, OLD.id
        USING ERRCODE = 'check_violation',
              HINT = 'Use participants.services (Participant.ALLOWED_TRANSITIONS).';
END
$$;
"""

SQL_PAIRS = ", ".join(f"('{old}', '{new}')" for old, new in PAIRS)


def create(apps, schema_editor):
    schema_editor.execute(FUNCTION.format(pairs=SQL_PAIRS), params=None)
    schema_editor.execute(TRIGGER.format(pairs=SQL_PAIRS), params=None)


def restore(apps, schema_editor):
    schema_editor.execute(OLD_FUNCTION, params=None)
    schema_editor.execute(OLD_TRIGGER.format(pairs=SQL_PAIRS), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0068_staff_second_factor_names"),
    ]

    operations = [migrations.RunPython(create, restore)]
