"""Staff actions on a fraud report (docs/program.md section 7): freeze the card while the report is
checked, lift the freeze, or revoke for fraud.

Each takes two texts: ``reason``, the internal note staff write for each other (kept on the audit
row with the actor and the time), and ``participant_reason``, the words the person is told. The
person sees only the second: on the dashboard, and in the SMS and email sent once the decision
has committed (task ``participants.tasks.notify_card_decision``; ``notify=False`` only for data
that is not a real decision, such as the demo's).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from participants.cards import deadlines
from participants.models import BlacklistEntry, InvalidTransition, Participant, ParticipantEvent
from participants.services.errors import ParticipantReasonRequired, ReasonRequired
from participants.services.revocation import revoke_participation
from participants.services.status import last_status_event_id, record_event, transition_status
from prakerja.jobs import enqueue_on_commit

REASON_FROZEN = "card_frozen"
REASON_FREEZE_LIFTED = "freeze_lifted"
# The audit reason codes of the decisions the person is told about, each with its notice: a
# freeze, its lift, and a revocation by staff (for fraud, or a blacklist entry for another
# reason).
TOLD_DECISIONS = (
    REASON_FROZEN,
    REASON_FREEZE_LIFTED,
    BlacklistEntry.Reason.FRAUD,
    BlacklistEntry.Reason.OTHER,
)


def required_reason(reason: str) -> str:
    """The reason without surrounding blanks; raises :class:`ReasonRequired` when empty."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return reason


def required_participant_reason(participant_reason: str) -> str:
    """The words for the person without surrounding blanks; raises
    :class:`ParticipantReasonRequired` when empty."""
    participant_reason = (participant_reason or "").strip()
    if not participant_reason:
        raise ParticipantReasonRequired()
    return participant_reason


def _tell_after_commit(participant: Participant) -> None:
    """Queue the SMS and email about the status change just written (its audit row)."""
    enqueue_on_commit(
        "participants.tasks.notify_card_decision",
        last_status_event_id(participant=participant),
        robust=True,
    )


def freeze_card(
    *,
    participant: Participant,
    reason: str,
    participant_reason: str,
    actor,
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Participant:
    """Freeze the card (status ``frozen``: it cannot buy) and remember the status it had and when
    the freeze began, so :func:`lift_freeze` can restore the one and give the days back. One
    transaction with its audit row (``reason`` as the internal note, ``participant_reason`` as
    what the person is told); the person gets an SMS and an email after commit.

    Raises :class:`ReasonRequired`, :class:`ParticipantReasonRequired`, or
    :class:`InvalidTransition` when the status cannot be frozen (only a selected or active card
    can).
    """
    reason = required_reason(reason)
    participant_reason = required_participant_reason(participant_reason)
    now = now or timezone.now()
    with transaction.atomic():
        # The row lock makes the status read here the one the transition replaces.
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        transition_status(
            participant=participant,
            to=Participant.Status.FROZEN,
            reason_code=REASON_FROZEN,
            actor=actor,
            note=reason,
            participant_reason=participant_reason,
            now=now,
            frozen_from_status=current.status,
            frozen_at=now,
        )
        if notify:
            _tell_after_commit(participant)
    return participant


def lift_freeze(
    *,
    participant: Participant,
    reason: str,
    participant_reason: str,
    actor,
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Participant:
    """Return a frozen card exactly to the status it had before the freeze (stored by
    :func:`freeze_card`), with its audit row; the person gets an SMS and an email after commit.
    A card still owing its first purchase gets the frozen days back: its first-purchase deadline
    moves later (:func:`deadlines.first_purchase_deadline_after_freeze`), with an audit row of
    the old and new deadline, in the same transaction.

    Raises :class:`ReasonRequired`, :class:`ParticipantReasonRequired`, or
    :class:`InvalidTransition` when the card is not frozen.
    """
    reason = required_reason(reason)
    participant_reason = required_participant_reason(participant_reason)
    now = now or timezone.now()
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if current.status != Participant.Status.FROZEN or not current.frozen_from_status:
            raise InvalidTransition(
                from_status=current.status, to_status="", reason_code=REASON_FREEZE_LIFTED
            )
        fields = _deadline_given_back(current, reason=reason, actor=actor, now=now)
        transition_status(
            participant=participant,
            to=current.frozen_from_status,
            reason_code=REASON_FREEZE_LIFTED,
            actor=actor,
            note=reason,
            participant_reason=participant_reason,
            now=now,
            frozen_from_status="",
            frozen_at=None,
            **fields,
        )
        if notify:
            _tell_after_commit(participant)
    return participant


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
    *,
    participant: Participant,
    reason: str,
    participant_reason: str,
    actor,
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Participant:
    """Revoke for fraud (:func:`revoke_participation` with reason ``fraud``): status ``revoked``,
    NIK blacklisted for life, balance forfeited, the place back in the recovered pool; the person
    gets an SMS and an email after commit with ``participant_reason``.

    Raises :class:`ReasonRequired`, :class:`ParticipantReasonRequired`, or
    :class:`InvalidTransition` (already revoked, finished or never selected).
    """
    reason = required_reason(reason)
    participant_reason = required_participant_reason(participant_reason)
    with transaction.atomic():
        revoke_participation(
            participant=participant,
            reason_code=BlacklistEntry.Reason.FRAUD,
            actor=actor,
            note=reason,
            participant_reason=participant_reason,
            now=now,
        )
        if notify:
            _tell_after_commit(participant)
    return participant
