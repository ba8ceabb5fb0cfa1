"""Revocation: status revoked, NIK blacklisted and balance forfeited in one transaction."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from participants.models import (
    LedgerEntry,
    Participant,
)
from participants.services.blacklist import add_to_blacklist, is_blacklisted
from participants.services.ledger import zero_balance
from participants.services.status import transition_status


def revoke_participation(
    *,
    participant: Participant,
    reason_code: str,
    actor=None,
    note: str = "",
    legal_basis: str = "",
    now: dt.datetime | None = None,
) -> Participant:
    """Revoke one participant (staff action for fraud, or a single no-purchase case): status
    ``revoked``, NIK blacklisted, balance forfeited and the place returned to the recovered quota
    pool, all in one transaction.

    The nightly sweep does the same for many participants set-based (trainings.sweep).
    Raises :class:`InvalidTransition` if the participant cannot be revoked.
    """
    now = now or timezone.now()
    with transaction.atomic():
        transition_status(
            participant=participant,
            to=Participant.Status.REVOKED,
            reason_code=reason_code,
            actor=actor,
            note=note,
            now=now,
            revoked_at=now,
            revoke_reason=reason_code,
        )
        if not is_blacklisted(nik_hash=participant.nik_hash):
            add_to_blacklist(
                participant=participant,
                reason_code=reason_code,
                legal_basis=legal_basis,
                note=note,
                actor=actor,
                now=now,
            )
        zero_balance(
            participant_id=participant.pk,
            kind=LedgerEntry.Kind.FORFEIT,
            reference=f"revoke:{reason_code}",
            now=now,
        )
        _return_place(participant)
    return participant


def _return_place(participant: Participant) -> None:
    # The recovered quota pool belongs to trainings, which participants may not import: the
    # project wires its rule in here through a setting (trainings.waves.return_place).
    hook = getattr(settings, "PARTICIPANTS_PLACE_FREED", "")
    if hook:
        import_string(hook)(participant=participant)
