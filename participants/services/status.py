"""A person's program status: the audit row and the one checked transition."""

import datetime as dt

from django.db import transaction
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
    from_status: str = "",
    to_status: str = "",
    field: str = "",
    old_value: str = "",
    new_value: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> ParticipantEvent:
    """Append one row to the participant's decision history."""
    return ParticipantEvent.objects.create(
        participant=participant,
        kind=kind,
        reason_code=reason_code,
        note=note,
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
    now: dt.datetime | None = None,
    **fields,
) -> Participant:
    """Move ``participant`` to status ``to`` if ``ALLOWED_TRANSITIONS`` permits it.

    The status is changed by a conditional UPDATE on the current status, so two concurrent
    transitions cannot both succeed. Extra ``fields`` are written in the same statement.
    Raises :class:`InvalidTransition`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if to not in Participant.ALLOWED_TRANSITIONS[current.status]:
            raise InvalidTransition(
                from_status=current.status, to_status=to, reason_code=reason_code
            )
        Participant.objects.filter(pk=current.pk, status=current.status).update(status=to, **fields)
        record_event(
            participant=current,
            kind=ParticipantEvent.Kind.STATUS,
            from_status=current.status,
            to_status=to,
            reason_code=reason_code,
            note=note,
            actor=actor,
            now=now,
        )
    participant.refresh_from_db()
    return participant
