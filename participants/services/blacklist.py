"""The lifetime blacklist."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import (
    BlacklistEntry,
    DomainError,
    Participant,
    ParticipantEvent,
)
from participants.services.errors import AlreadyBlacklisted
from participants.services.status import record_event

# --- blacklist and revocation -------------------------------------------------------------------


def is_blacklisted(*, nik_hash: str) -> bool:
    return BlacklistEntry.objects.filter(nik_hash=nik_hash, removed_at__isnull=True).exists()


def blacklisting_revokes(*, participant: Participant) -> bool:
    """Whether blacklisting this participant revokes their card (they still hold one: selected,
    active, frozen or expired, any status that may become ``revoked``)."""
    return Participant.Status.REVOKED in Participant.ALLOWED_TRANSITIONS[participant.status]


def add_to_blacklist(
    *,
    participant: Participant,
    reason_code: str,
    legal_basis: str = "",
    note: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> BlacklistEntry:
    """Put the participant's NIK on the lifetime blacklist; raises :class:`AlreadyBlacklisted`.

    A blacklisted person cannot keep a card: a current participant (one whose status may still
    become ``revoked``: selected, active, frozen or expired) is revoked in the same transaction
    (:func:`~participants.services.revocation.revoke_participation`: status, this entry, the
    forfeit and the freed place), so the card stops at once.
    """
    # Imported here: revocation blacklists through this function (a cycle at module level).
    from participants.services.revocation import revoke_participation

    now = now or timezone.now()
    with transaction.atomic():
        if is_blacklisted(nik_hash=participant.nik_hash):
            raise AlreadyBlacklisted()
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if blacklisting_revokes(participant=current):
            revoke_participation(
                participant=participant,
                reason_code=reason_code,
                actor=actor,
                note=note,
                legal_basis=legal_basis,
                now=now,
            )
            return BlacklistEntry.objects.get(
                nik_hash=participant.nik_hash, removed_at__isnull=True
            )
        entry = BlacklistEntry.objects.create(
            nik_hash=participant.nik_hash,
            nik_masked=participant.nik_masked,
            full_name=participant.user.full_name,
            participant=participant,
            reason_code=reason_code,
            legal_basis=legal_basis,
            note=note,
            created_at=now,
            created_by=actor,
        )
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.BLACKLIST,
            reason_code=reason_code,
            note=note,
            actor=actor,
            now=now,
        )
    return entry


def remove_from_blacklist(
    *, entry: BlacklistEntry, reason: str, actor, now: dt.datetime | None = None
) -> BlacklistEntry:
    """Lift a blacklist entry; the row stays, with who lifted it, when and why."""
    if not reason.strip():
        raise DomainError(_("Alasan penghapusan wajib diisi."), code="reason_required")
    now = now or timezone.now()
    with transaction.atomic():
        updated = BlacklistEntry.objects.filter(pk=entry.pk, removed_at__isnull=True).update(
            removed_at=now, removed_by=actor, removal_reason=reason
        )
        if not updated:
            raise DomainError(_("Entri ini sudah dihapus."), code="already_removed")
        if entry.participant_id:
            record_event(
                participant=entry.participant,
                kind=ParticipantEvent.Kind.BLACKLIST,
                reason_code="removed",
                note=reason,
                actor=actor,
                now=now,
            )
    entry.refresh_from_db()
    return entry
