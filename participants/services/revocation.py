"""Revocation: status revoked, NIK blacklisted and balance forfeited in one transaction, for one
participant (a staff action) and set-based for many (the nightly sweep)."""

import dataclasses
import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from participants.models import (
    BlacklistEntry,
    LedgerEntry,
    Participant,
    ParticipantEvent,
    User,
)
from participants.services.status import allowed_from, check_transition

REVOKED = Participant.Status.REVOKED


@dataclasses.dataclass(frozen=True)
class BulkRevocation:
    """What one :func:`bulk_revoke` did."""

    considered: int  # the participants taken (and locked) for this call
    last_id: int | None  # the highest id taken: where a keyset walk goes on
    revoked_ids: list[int]
    forfeited_idr: int
    # Places freed per (wave id, province code), sorted: the caller's recovered quota pool.
    freed: list[tuple[int, str, int]]


def revoke_participation(
    *,
    participant: Participant,
    reason_code: str,
    actor=None,
    note: str = "",
    participant_reason: str = "",
    legal_basis: str = "",
    now: dt.datetime | None = None,
) -> Participant:
    """Revoke one participant (staff action for fraud, or a single no-purchase case): status
    ``revoked``, NIK blacklisted, balance forfeited and the place returned to the recovered quota
    pool, all in one transaction, with the audit rows: :func:`bulk_revoke` for one person.
    ``note`` is for staff; ``participant_reason`` is what the person is told.

    Raises :class:`InvalidTransition` if the participant cannot be revoked.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        check_transition(from_status=current.status, to=REVOKED, reason_code=reason_code)
        bulk_revoke(
            participants=Participant.objects.filter(pk=participant.pk),
            reason_code=reason_code,
            actor=actor,
            note=note,
            participant_reason=participant_reason,
            legal_basis=legal_basis,
            now=now,
            reference=f"revoke:{reason_code}",
        )
        _return_place(participant)
    participant.refresh_from_db()
    return participant


def _return_place(participant: Participant) -> None:
    # The recovered quota pool belongs to trainings, which participants may not import: the
    # project wires its rule in here through a setting (trainings.waves.return_place). The sweep
    # returns its batches' places itself, set-based.
    hook = getattr(settings, "PARTICIPANTS_PLACE_FREED", "")
    if hook:
        import_string(hook)(participant=participant)


def bulk_revoke(
    *,
    participants: QuerySet,
    reason_code: str,
    actor=None,
    note: str = "",
    participant_reason: str = "",
    legal_basis: str = "",
    now: dt.datetime | None = None,
    reference: str = "",
    limit: int | None = None,
    skip_locked: bool = False,
) -> BulkRevocation:
    """Revoke every participant of ``participants`` whose status allows it (at most ``limit``,
    by id): status ``revoked`` with ``revoked_at``/``revoke_reason``, NIK blacklisted unless it
    already is, the balance forfeited with a FORFEIT ledger entry, a STATUS audit row (from, to,
    reason, actor, time) and a BLACKLIST one. With ``skip_locked`` rows locked by another
    transaction (a purchase in flight) are left for a later call.

    One statement whatever the number (the sweep revokes 10,000 per call). Call inside a
    transaction to keep it with your own writes.
    """
    now = now or timezone.now()
    batch = (
        participants.filter(status__in=allowed_from(REVOKED))
        .order_by("pk")
        .select_for_update(skip_locked=skip_locked, of=("self",))
        .values_list("id", "status", "balance_idr", "wave_id", "province_id")
    )
    if limit is not None:
        batch = batch[:limit]
    # No savepoint of its own: a failure rolls back the caller's transaction (a sweep batch).
    with transaction.atomic(savepoint=False):
        return _revoke_in_one_statement(
            batch=batch,
            reason_code=reason_code,
            actor=actor,
            note=note,
            participant_reason=participant_reason,
            legal_basis=legal_basis,
            now=now,
            reference=reference,
        )


# One statement. The UPDATE re-checks the status on the locked rows, so a purchase or
# a staff action that committed first is never overwritten. The statuses come from the table.
REVOKE_SQL = """
WITH batch AS ({batch}),
revoked AS (
    UPDATE {participant} p
    SET status = %s, revoked_at = %s, revoke_reason = %s, balance_idr = 0, updated_at = %s
    WHERE p.id = ANY(ARRAY(SELECT id FROM batch)) AND p.status IN ({sources})
    RETURNING p.id, p.user_id, p.wave_id, p.province_id, p.nik_hash, p.nik_masked
),
gone AS (
    SELECT r.*, b.status AS old_status, b.balance_idr AS old_balance
    FROM revoked r JOIN batch b ON b.id = r.id
),
blacklisted AS (
    INSERT INTO {blacklist} (nik_hash, nik_masked, full_name, participant_id, reason_code,
                             legal_basis, note, created_at, created_by_id, removal_reason)
    SELECT g.nik_hash, g.nik_masked,
           (SELECT u.full_name FROM {user} u WHERE u.id = g.user_id),
           g.id, %s, %s, %s, %s, %s::bigint, ''
    FROM gone g
    WHERE g.nik_hash IS NOT NULL
    ON CONFLICT (nik_hash) WHERE removed_at IS NULL DO NOTHING
    RETURNING participant_id
),
forfeited AS (
    INSERT INTO {ledger} (participant_id, kind, amount_idr, balance_after_idr, reference,
                          created_at)
    SELECT g.id, %s, -g.old_balance, 0, %s, %s
    FROM gone g
    WHERE g.old_balance > 0
    RETURNING amount_idr
),
events AS (
    INSERT INTO {event} (participant_id, kind, from_status, to_status, reason_code, note,
                         participant_reason, actor_id, created_at)
    SELECT g.id, %s, g.old_status, %s, %s, %s, %s, %s::bigint, %s
    FROM gone g
    UNION ALL
    SELECT b.participant_id, %s, '', '', %s, %s, '', %s::bigint, %s
    FROM blacklisted b
)
SELECT (SELECT count(*) FROM batch),
       (SELECT max(id) FROM batch),
       (SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM gone),
       (SELECT coalesce(-sum(amount_idr), 0) FROM forfeited),
       (SELECT coalesce(json_agg(json_build_array(wave_id, province_id, n)
                                 ORDER BY wave_id, province_id), '[]')
        FROM (SELECT wave_id, province_id, count(*) AS n FROM gone
              WHERE wave_id IS NOT NULL AND province_id IS NOT NULL
              GROUP BY wave_id, province_id) freed)
"""


def _revoke_in_one_statement(
    *, batch, reason_code, actor, note, participant_reason, legal_basis, now, reference
) -> BulkRevocation:
    batch_sql, batch_params = batch.query.sql_with_params()
    sources = allowed_from(REVOKED)
    actor_id = actor.pk if actor is not None else None
    audit_note = note or legal_basis
    sql = REVOKE_SQL.format(
        batch=batch_sql,
        sources=", ".join(["%s"] * len(sources)),
        participant=Participant._meta.db_table,
        user=User._meta.db_table,
        blacklist=BlacklistEntry._meta.db_table,
        ledger=LedgerEntry._meta.db_table,
        event=ParticipantEvent._meta.db_table,
    )
    params = (
        *batch_params,
        REVOKED, now, reason_code, now, *sources,
        reason_code, legal_basis, note, now, actor_id,
        LedgerEntry.Kind.FORFEIT, reference, now,
        ParticipantEvent.Kind.STATUS, REVOKED, reason_code, audit_note, participant_reason,
        actor_id, now,
        ParticipantEvent.Kind.BLACKLIST, reason_code, audit_note, actor_id, now,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        considered, last_id, revoked_ids, forfeited, freed = cursor.fetchone()
    return BulkRevocation(
        considered=considered,
        last_id=last_id,
        revoked_ids=list(revoked_ids),
        forfeited_idr=int(forfeited),
        freed=[(wave_id, province_id, n) for wave_id, province_id, n in freed],
    )
