"""Staff actions on a fraud report (docs/program.md section 7): freeze the card while the report is
checked, lift the freeze, or revoke for fraud. Each needs a reason, which the audit row keeps
with the actor and the time."""

import datetime as dt

from django.db import transaction

from participants.models import BlacklistEntry, InvalidTransition, Participant
from participants.services.errors import ReasonRequired
from participants.services.revocation import revoke_participation
from participants.services.status import transition_status

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
    """Freeze the card (status ``frozen``: it cannot buy) and remember the status it had, so
    :func:`lift_freeze` can restore it. One transaction with its audit row.

    Raises :class:`ReasonRequired`, or :class:`InvalidTransition` when the status cannot be
    frozen (only a selected or active card can).
    """
    reason = required_reason(reason)
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
        )


def lift_freeze(
    *, participant: Participant, reason: str, actor, now: dt.datetime | None = None
) -> Participant:
    """Return a frozen card to the status it had before the freeze, with its audit row.

    Raises :class:`ReasonRequired`, or :class:`InvalidTransition` when the card is not frozen.
    """
    reason = required_reason(reason)
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if current.status != Participant.Status.FROZEN or not current.frozen_from_status:
            raise InvalidTransition(
                from_status=current.status, to_status="", reason_code=REASON_FREEZE_LIFTED
            )
        return transition_status(
            participant=participant,
            to=current.frozen_from_status,
            reason_code=REASON_FREEZE_LIFTED,
            actor=actor,
            note=reason,
            now=now,
            frozen_from_status="",
        )


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
