"""A person's program status: the audit row and the checked transition, for one participant
and set-based for many.

Both read ``Participant.ALLOWED_TRANSITIONS``; the set-based variant moves only the rows whose
current status allows the move, in two statements whatever their number (the audit rows, then the
status), and writes the same audit row as the single one. On PostgreSQL a trigger (migration
0003_status_transition_trigger) refuses any other change of status, whoever writes it.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from participants.models import (
    InvalidTransition,
    Participant,
    ParticipantEvent,
)

# --- audit and status ---------------------------------------------------------------------------


def record_event(
    *,
    participant: Participant,
    kind: str,
    reason_code: str = "",
    note: str = "",
    participant_reason: str = "",
    from_status: str = "",
    to_status: str = "",
    field: str = "",
    old_value: str = "",
    new_value: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> ParticipantEvent:
    """Append one row to the participant's decision history. ``note`` is for staff;
    ``participant_reason`` is what the person is told (shown on their dashboard, sent to them)."""
    return ParticipantEvent.objects.create(
        participant=participant,
        kind=kind,
        reason_code=reason_code,
        note=note,
        participant_reason=participant_reason,
        from_status=from_status,
        to_status=to_status,
        field=field,
        old_value=old_value,
        new_value=new_value,
        actor=actor,
        created_at=now or timezone.now(),
    )


def transition_status(
    *,
    participant: Participant,
    to: str,
    reason_code: str,
    actor=None,
    note: str = "",
    participant_reason: str = "",
    now: dt.datetime | None = None,
    **fields,
) -> Participant:
    """Move ``participant`` to status ``to`` if ``ALLOWED_TRANSITIONS`` permits it (a frozen
    card only back to the status stored when it was frozen, or to revoked).

    The status is changed by a conditional UPDATE on the current status, so two concurrent
    transitions cannot both succeed. Extra ``fields`` are written in the same statement.
    Raises :class:`InvalidTransition`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        check_transition(
            from_status=current.status,
            to=to,
            reason_code=reason_code,
            frozen_from_status=current.frozen_from_status,
        )
        Participant.objects.filter(pk=current.pk, status=current.status).update(status=to, **fields)
        record_event(
            participant=current,
            kind=ParticipantEvent.Kind.STATUS,
            from_status=current.status,
            to_status=to,
            reason_code=reason_code,
            note=note,
            participant_reason=participant_reason,
            actor=actor,
            now=now,
        )
    participant.refresh_from_db()
    return participant


def last_status_event_id(*, participant: Participant) -> int | None:
    """The id of the audit row of the participant's latest status change."""
    return (
        ParticipantEvent.objects.filter(participant=participant, kind=ParticipantEvent.Kind.STATUS)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


def check_transition(
    *, from_status: str, to: str, reason_code: str = "", frozen_from_status: str = ""
) -> None:
    """Raise :class:`InvalidTransition` unless ``ALLOWED_TRANSITIONS`` lets ``from_status``
    become ``to``: the one reading of the table for a single participant. A frozen card leaves
    the freeze only for ``frozen_from_status`` (the status it had) or for revocation, as the
    database trigger (migration 0003_status_transition_trigger) also insists."""
    allowed = to in Participant.ALLOWED_TRANSITIONS[from_status]
    if allowed and from_status == Participant.Status.FROZEN:
        allowed = to in (Participant.Status.REVOKED, frozen_from_status)
    if not allowed:
        raise InvalidTransition(from_status=from_status, to_status=to, reason_code=reason_code)


def allowed_from(to: str) -> list[str]:
    """The statuses from which ``to`` may be reached, in the order of ``Participant.Status``."""
    return [s for s in Participant.Status.values if to in Participant.ALLOWED_TRANSITIONS[s]]


def sources_for(to: str, *, from_statuses: Iterable[str] | None = None) -> list[str]:
    """``allowed_from(to)``, narrowed to ``from_statuses``; raises :class:`InvalidTransition` if
    one of ``from_statuses`` may not move to ``to``."""
    allowed = allowed_from(to)
    if from_statuses is None:
        return allowed
    wanted = list(from_statuses)
    for status in wanted:
        if status not in allowed:
            raise InvalidTransition(from_status=status, to_status=to)
    return [status for status in allowed if status in wanted]


def locked_sql(participants: QuerySet, *fields: str) -> tuple[str, tuple]:
    """``participants`` as SQL selecting ``fields``, row-locked (the caller is in a transaction),
    to be used as a subquery of a set-based write."""
    locked = participants.select_for_update(of=("self",)).order_by().values_list(*fields)
    return locked.query.sql_with_params()


def transition_statuses(
    *,
    participants: QuerySet,
    to: str,
    reason_code: str,
    actor=None,
    note: str = "",
    participant_reason: str = "",
    now: dt.datetime | None = None,
    from_statuses: Iterable[str] | None = None,
    **fields,
) -> int:
    """Move every participant of ``participants`` whose status allows it to ``to``.

    The set-based twin of :func:`transition_status`: rows in a status from which
    ``ALLOWED_TRANSITIONS`` does not reach ``to`` (or outside ``from_statuses``) are left as they
    are. One ``ParticipantEvent`` per moved participant (from, to, reason, actor, time) is
    inserted from the locked rows, then one UPDATE moves them and writes ``fields``. Returns how
    many moved. Raises :class:`InvalidTransition` if a status in ``from_statuses`` may not move
    to ``to``.
    """
    now = now or timezone.now()
    movable = participants.filter(status__in=sources_for(to, from_statuses=from_statuses))
    # No savepoint of its own: a failure rolls back the caller's transaction (batch jobs).
    with transaction.atomic(savepoint=False):
        source, params = locked_sql(movable, "id", "status")
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {ParticipantEvent._meta.db_table}
                    (participant_id, kind, from_status, to_status, reason_code, note,
                     participant_reason, actor_id, created_at)
                SELECT src.id, %s, src.status, %s, %s, %s, %s, CAST(%s AS BIGINT), %s
                FROM ({source}) src
                """,  # noqa: S608 (table name and a compiled queryset)
                (
                    ParticipantEvent.Kind.STATUS,
                    to,
                    reason_code,
                    note,
                    participant_reason,
                    actor.pk if actor is not None else None,
                    connection.ops.adapt_datetimefield_value(now),
                    *params,
                ),
            )
            audited = cursor.rowcount
        moved = movable.update(status=to, **fields)
        if moved != audited:
            raise RuntimeError(f"moved {moved} participants but audited {audited}; rolled back")
    return moved
