"""The lifetime blacklist."""

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import (
    BlacklistEntry,
    DomainError,
    Participant,
    ParticipantEvent,
)
from participants.services.errors import AlreadyBlacklisted
from participants.services.revocation import revoke_participation
from participants.services.status import allowed_from, last_status_event_id, record_event
from prakerja.jobs import enqueue_on_commit

# --- blacklist and revocation -------------------------------------------------------------------


def is_blacklisted(*, nik_hash: str) -> bool:
    return BlacklistEntry.objects.filter(nik_hash=nik_hash, removed_at__isnull=True).exists()


def blacklisting_revokes(*, participant: Participant) -> bool:
    """Whether blacklisting this participant revokes their card (they still hold one: selected,
    active, frozen or expired, any status that may become ``revoked``)."""
    return participant.status in allowed_from(Participant.Status.REVOKED)


def add_to_blacklist(
    *,
    participant: Participant,
    reason_code: str,
    legal_basis: str = "",
    note: str = "",
    participant_reason: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> BlacklistEntry:
    """Put the participant's NIK on the lifetime blacklist; raises :class:`AlreadyBlacklisted`.

    A blacklisted person cannot keep a card: a current participant (one whose status may still
    become ``revoked``: selected, active, frozen or expired) is revoked in the same transaction
    (:func:`~participants.services.revocation.revoke_participation`: status, this entry, the
    forfeit and the freed place), so the card stops at once; given ``participant_reason`` (the
    admin's form requires it for a card holder), the person is told in those words by SMS and
    email after commit (``note`` stays internal). Anyone else is blacklisted by
    :func:`bulk_add_to_blacklist` for one person.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if is_blacklisted(nik_hash=participant.nik_hash):
            raise AlreadyBlacklisted()
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        if blacklisting_revokes(participant=current):
            words = (participant_reason or "").strip()
            revoke_participation(
                participant=participant,
                reason_code=reason_code,
                actor=actor,
                note=note,
                participant_reason=words,
                legal_basis=legal_basis,
                now=now,
            )
            if words:
                enqueue_on_commit(
                    "participants.tasks.notify_card_decision",
                    last_status_event_id(participant=participant),
                    robust=True,
                )
        else:
            bulk_add_to_blacklist(
                participants=Participant.objects.filter(pk=participant.pk),
                reason_code=reason_code,
                legal_basis=legal_basis,
                note=note,
                actor=actor,
                now=now,
            )
        return BlacklistEntry.objects.get(nik_hash=participant.nik_hash, removed_at__isnull=True)


def bulk_add_to_blacklist(
    *,
    participants: QuerySet,
    reason_code: str,
    legal_basis: str = "",
    note: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Blacklist the NIK of every participant of ``participants`` not blacklisted yet, with a
    BLACKLIST audit row each; returns their ids. Those already on the list are left as they are.
    (The nightly sweep's PostgreSQL statement, ``revocation.bulk_revoke``, does the same with
    ``ON CONFLICT DO NOTHING``.)"""
    now = now or timezone.now()
    rows = list(
        participants.filter(nik_hash__isnull=False)
        .exclude(
            nik_hash__in=BlacklistEntry.objects.filter(removed_at__isnull=True).values("nik_hash")
        )
        .order_by("pk")
        .values("pk", "nik_hash", "nik_masked", "user__full_name")
    )
    with transaction.atomic():
        BlacklistEntry.objects.bulk_create(
            BlacklistEntry(
                nik_hash=row["nik_hash"],
                nik_masked=row["nik_masked"],
                full_name=row["user__full_name"],
                participant_id=row["pk"],
                reason_code=reason_code,
                legal_basis=legal_basis,
                note=note,
                created_at=now,
                created_by=actor,
            )
            for row in rows
        )
        ParticipantEvent.objects.bulk_create(
            ParticipantEvent(
                participant_id=row["pk"],
                kind=ParticipantEvent.Kind.BLACKLIST,
                reason_code=reason_code,
                note=note or legal_basis,
                actor=actor,
                created_at=now,
            )
            for row in rows
        )
    return [row["pk"] for row in rows]


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
