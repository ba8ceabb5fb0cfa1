"""The database itself refuses a change of ``participants_participant.status`` that
``Participant.ALLOWED_TRANSITIONS`` does not allow, whoever writes it (a service, a bulk job, raw
SQL, the admin, psql), and refuses leaving ``frozen`` for any status other than the one stored
when the card was frozen (``frozen_from_status``), except revocation.

Hand-written because Django's model state has no notion of triggers: ``makemigrations`` neither
creates nor sees this one.

The allowed pairs sit in the trigger's WHEN clause, so a valid change costs one expression and no
function call (the selection and the sweep move up to a million rows); only a refused change calls
the function, which raises. The pairs are frozen here: a change of the table needs a new
migration, and tests/participants/test_state_writers.py fails until it has one.

The pairs alone let a frozen card become ``selected`` or ``active``, so ``active -> frozen ->
selected`` would pass although ``active -> selected`` is refused; hence the second condition.
``services.lift_freeze`` restores the stored status. The check reads ``OLD`` only, so the lift can
clear ``frozen_from_status`` in the same UPDATE.
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

SQL_PAIRS = ", ".join(f"('{old}', '{new}')" for old, new in PAIRS)

FUNCTION = """
CREATE FUNCTION participants_refuse_status_transition() RETURNS trigger
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
""".format(pairs=SQL_PAIRS)

TRIGGER = """
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
""".format(pairs=SQL_PAIRS)

DROP_TRIGGER = "DROP TRIGGER participant_status_transition ON participants_participant;"
DROP_FUNCTION = "DROP FUNCTION participants_refuse_status_transition();"


class Migration(migrations.Migration):
    dependencies = [("participants", "0002_staff_second_factor_devices")]

    # One statement per item: RunSQL then runs each as is, without splitting the function body.
    operations = [
        migrations.RunSQL([FUNCTION, TRIGGER], reverse_sql=[DROP_TRIGGER, DROP_FUNCTION]),
    ]
