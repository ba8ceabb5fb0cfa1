"""Staff actions on a fraud report (docs/program.md section 7): freeze the card while the report is
checked, lift the freeze, or revoke for fraud. Each needs a reason, which the audit row keeps
with the actor and the time."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from participants import deadlines
from participants.models import BlacklistEntry, InvalidTransition, Participant, ParticipantEvent
from participants.services.errors import ReasonRequired
from participants.services.revocation import revoke_participation
from participants.services.status import record_event, transition_status

REASON_FROZEN = "card_frozen"
REASON_FREEZE_LIFTED = "freeze_lifted"


def required_reason(reason: str) -> str:
    """The reason without surrounding blanks; raises :class:`ReasonRequired` when empty."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return reason


def freeze_card(
    *, participant: Participant, reason: str, actor, now: dt.datetime | None = None
) -> Participant:
    """Freeze the card (status ``frozen``: it cannot buy) and remember the status it had and when
    the freeze began, so :func:`lift_freeze` can restore the one and give the days back. One
    transaction with its audit row.

    Raises :class:`ReasonRequired`, or :class:`InvalidTransition` when the status cannot be
    frozen (only a selected or active card can).
    """
    reason = required_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        # The row lock makes the status read here the one the transition replaces.
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        return transition_status(
            participant=participant,
            to=Participant.Status.FROZEN,
            reason_code=REASON_FROZEN,
            actor=actor,
            note=reason,
            now=now,
            frozen_from_status=current.status,
            frozen_at=now,
        )


def lift_freeze(
    *, participant: Participant, reason: str, actor, now: dt.datetime | None = None
) -> Participant:
    """Return a frozen card to the status it had before the freeze, with its audit row. A card
    still owing its first purchase gets the frozen days back: its first-purchase deadline moves
    later (:func:`deadlines.first_purchase_deadline_after_freeze`), with an audit row of the old
    and new deadline, in the same transaction.

    Raises :class:`ReasonRequired`, or :class:`InvalidTransition` when the card is not frozen.
    """
    reason = required_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if current.status != Participant.Status.FROZEN or not current.frozen_from_status:
            raise InvalidTransition(
                from_status=current.status, to_status="", reason_code=REASON_FREEZE_LIFTED
            )
        fields = _deadline_given_back(current, reason=reason, actor=actor, now=now)
        return transition_status(
            participant=participant,
            to=current.frozen_from_status,
            reason_code=REASON_FREEZE_LIFTED,
            actor=actor,
            note=reason,
            now=now,
            frozen_from_status="",
            frozen_at=None,
            **fields,
        )


def _deadline_given_back(current: Participant, *, reason: str, actor, now: dt.datetime) -> dict:
    """The deadline fields a lifted freeze writes (none when nothing moves), audited."""
    old = current.first_purchase_deadline
    if current.first_purchase_at is not None or old is None or current.frozen_at is None:
        return {}
    new = deadlines.first_purchase_deadline_after_freeze(
        old, frozen_at=current.frozen_at, lifted_at=now
    )
    if new == old:
        return {}
    record_event(
        participant=current,
        kind=ParticipantEvent.Kind.PROFILE,
        reason_code=REASON_FREEZE_LIFTED,
        note=reason,
        field="first_purchase_deadline",
        old_value=old.astimezone(deadlines.WIB).isoformat(),
        new_value=new.astimezone(deadlines.WIB).isoformat(),
        actor=actor,
        now=now,
    )
    return {
        "first_purchase_deadline": new,
        "deadline_extended_days": current.deadline_extended_days + (new - old).days,
    }


def revoke_for_fraud(
    *, participant: Participant, reason: str, actor, now: dt.datetime | None = None
) -> Participant:
    """Revoke for fraud (:func:`revoke_participation` with reason ``fraud``): status ``revoked``,
    NIK blacklisted for life, balance forfeited, the place back in the recovered pool.

    Raises :class:`ReasonRequired`, or :class:`InvalidTransition` (already revoked, finished or
    never selected).
    """
    return revoke_participation(
        participant=participant,
        reason_code=BlacklistEntry.Reason.FRAUD,
        actor=actor,
        note=required_reason(reason),
        now=now,
    )
