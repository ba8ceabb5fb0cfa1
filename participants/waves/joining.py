"""Joining a wave ("Gabung"): who may, and the one entry per person and wave."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import services
from participants.models import Application, DomainError, Participant, ParticipantEvent, Wave

WAITING = [Application.Status.JOINED, Application.Status.PROCESSING]


class JoinRefused(DomainError):
    code = "join_refused"


def join_wave(*, participant: Participant, wave: Wave, now: dt.datetime | None = None):
    """Enter ``participant`` in ``wave``; returns the new :class:`Application`.

    Refused (``JoinRefused`` with code) when the wave is not open (``wave_not_open``), the
    profile is incomplete (``profile_incomplete``), the NIK is blacklisted (``blacklisted``), the
    person was ever selected (``already_participant``), already waits in a wave
    (``already_waiting``) or already joined this one (``already_joined``; the database's unique
    constraint decides between simultaneous joins).
    """
    now = now or timezone.now()
    if not (wave.opens_at <= now < wave.closes_at):
        raise JoinRefused(_("Gelombang ini tidak sedang dibuka."), code="wave_not_open")
    participant = Participant.objects.select_related("user").get(pk=participant.pk)
    if not participant.profile_complete:
        raise JoinRefused(
            _("Lengkapi semua langkah pendaftaran sebelum bergabung."),
            code="profile_incomplete",
        )
    if services.is_blacklisted(nik_hash=participant.nik_hash):
        raise JoinRefused(_("NIK Anda tercatat dalam daftar hitam program."), code="blacklisted")
    if (
        participant.status != Participant.Status.APPLICANT
        or participant.selected_at is not None
        or participant.applications.filter(status=Application.Status.SELECTED).exists()
    ):
        raise JoinRefused(
            _("Anda sudah pernah menjadi penerima Kartu Prakerja."), code="already_participant"
        )
    if participant.applications.filter(wave=wave).exists():
        raise JoinRefused(_("Anda sudah bergabung di gelombang ini."), code="already_joined")
    if participant.applications.filter(status__in=WAITING).exclude(wave=wave).exists():
        raise JoinRefused(_("Anda masih menunggu hasil gelombang lain."), code="already_waiting")
    try:
        with transaction.atomic():
            application = Application.objects.create(
                participant=participant, wave=wave, joined_at=now
            )
            services.record_event(
                participant=participant,
                kind=ParticipantEvent.Kind.SELECTION,
                reason_code="joined_wave",
                note=f"wave={wave.number}",
                now=now,
            )
    except IntegrityError:
        raise JoinRefused(
            _("Anda sudah bergabung di gelombang ini."), code="already_joined"
        ) from None
    return application
