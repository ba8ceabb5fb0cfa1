"""Selection's grant, set-based: for every chosen applicant, status ``selected`` with the wave,
selection time and first-purchase deadline, a card number, the training balance with its GRANT
ledger entry, and the STATUS audit row (from, to, reason, actor, time).

The rules are the ones of :func:`transition_statuses` (the move must be in
``ALLOWED_TRANSITIONS`` and is re-checked on the rows written) and of :func:`bulk_grant_balance`
(amount, expiry, one GRANT entry each with the balance after it), applied in one statement, so
each selected row is rewritten once rather than three times (every such write touches each index
of the table; at 100,000 selected that is most of the run).
"""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction

from participants.cards import deadlines
from participants.models import LedgerEntry, Participant, ParticipantEvent, Wave
from participants.services.status import sources_for

GRANT_SQL = """
WITH moved AS (
    UPDATE {participant} p
    SET status = %(to)s, wave_id = %(wave_id)s, selected_at = %(granted_at)s,
        first_purchase_deadline = %(deadline)s, card_number = c.card_number,
        balance_idr = p.balance_idr + %(amount)s, balance_expires_at = %(expires)s,
        updated_at = %(now)s
    FROM ({choices}) c
    -- Re-checked on the rows written: someone moved meanwhile is left as they are (the caller
    -- compares the count). COALESCE keeps the planner on the primary key, not the wave index.
    WHERE p.id = c.participant_id AND p.status = %(source)s AND COALESCE(p.wave_id, 0) = 0
    RETURNING p.id, p.balance_idr
),
events AS (
    INSERT INTO {event} (participant_id, kind, from_status, to_status, reason_code, note,
                         actor_id, created_at)
    SELECT m.id, %(status_kind)s, %(source)s, %(to)s, %(reason)s, %(note)s, %(actor)s::bigint,
           %(now)s
    FROM moved m
),
ledger AS (
    INSERT INTO {ledger} (participant_id, kind, amount_idr, balance_after_idr, reference,
                          created_at)
    SELECT m.id, %(grant_kind)s, %(amount)s, m.balance_idr, %(reference)s, %(granted_at)s
    FROM moved m
)
SELECT count(*) FROM moved
"""


def bulk_select(
    *,
    choices_sql: str,
    wave_id: int,
    granted_at: dt.datetime,
    reason_code: str,
    note: str = "",
    reference: str = "",
    actor=None,
    now: dt.datetime,
) -> int:
    """Select every applicant of ``choices_sql`` (SQL giving ``participant_id, card_number``
    rows, e.g. over a temporary table) into wave ``wave_id``: see the module docstring. Returns
    how many moved; the caller rolls back if that is not everyone it chose. Call inside a
    transaction."""
    to = Participant.Status.SELECTED
    (source,) = sources_for(to, from_statuses=[Participant.Status.APPLICANT])
    first_purchase_deadline = deadlines.first_purchase_deadline(granted_at)
    # The balance lasts until 15 December of the wave's program year.
    expires_at = deadlines.wave_balance_expiry(Wave.objects.get(pk=wave_id))
    adapt = connection.ops.adapt_datetimefield_value
    sql = GRANT_SQL.format(
        participant=Participant._meta.db_table,
        event=ParticipantEvent._meta.db_table,
        ledger=LedgerEntry._meta.db_table,
        choices=choices_sql,
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "to": to,
                "source": source,
                "wave_id": wave_id,
                "granted_at": adapt(granted_at),
                "deadline": adapt(first_purchase_deadline),
                "amount": settings.TRAINING_BALANCE_IDR,
                "expires": adapt(expires_at),
                "now": adapt(now),
                "status_kind": ParticipantEvent.Kind.STATUS,
                "reason": reason_code,
                "note": note,
                "actor": actor.pk if actor is not None else None,
                "grant_kind": LedgerEntry.Kind.GRANT,
                "reference": reference,
            },
        )
        return cursor.fetchone()[0]
