"""Exceptions to the state's lists: a person named on a list wrongly contests it through a
complaint ("Keberatan data instansi"), staff check with the agency and record an exception for
that NIK and source, until a date. Selection and the re-check leave the person alone for that
source while it lasts. Each exception is audited: the row keeps who, when, why and the complaint,
the person's decision history gets an entry, and ending one early needs a reason too."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.eligibility.sources import Source
from participants.models import DomainError, ListException, Participant, ParticipantEvent
from participants.registration import nik
from participants.services.status import record_event
from prakerja import crypto

# Permissions of a staff member who records exceptions (README, "Staff permissions").
EXCEPTION_OFFICER_PERMISSIONS = [
    "participants.view_listexception",
    "participants.add_listexception",
    "participants.change_listexception",
]


class ExceptionRefused(DomainError):
    code = "list_exception_refused"


def active_exceptions(*, on: dt.date):
    """Exceptions in force on the WIB day ``on``."""
    return ListException.objects.filter(ended_at__isnull=True, valid_until__gte=on)


def record_exception(
    *,
    nik_value: str,
    source: str,
    reason: str,
    valid_until: dt.date,
    actor,
    complaint_ticket: str = "",
    now: dt.datetime | None = None,
) -> ListException:
    """Record that ``source``'s list does not apply to the NIK ``nik_value`` until
    ``valid_until`` (inclusive). Stores the keyed hash and the masked NIK only; writes an
    ``eligibility`` entry in the decision history of the participant with that NIK, if any.

    Raises :class:`ExceptionRefused` (``nik_format``, ``list_source_unknown``,
    ``reason_required``, ``valid_until_past``).
    """
    now = now or timezone.now()
    nik_value = (nik_value or "").strip()
    reason = (reason or "").strip()
    if not nik.is_16_digits(nik_value):
        raise ExceptionRefused(_("NIK harus terdiri dari 16 digit angka."), code="nik_format")
    if source not in Source.values:
        raise ExceptionRefused(_("Sumber daftar tidak dikenal."), code="list_source_unknown")
    if not reason:
        raise ExceptionRefused(_("Alasan wajib diisi."), code="reason_required")
    if valid_until < timezone.localdate(now):
        raise ExceptionRefused(
            _("Tanggal berlaku sampai tidak boleh sebelum hari ini."), code="valid_until_past"
        )
    nik_hash = crypto.keyed_hash(nik_value)
    with transaction.atomic():
        exception = ListException.objects.create(
            nik_hash=nik_hash,
            nik_masked=crypto.mask_nik(nik_value),
            source=source,
            reason=reason,
            complaint_ticket=(complaint_ticket or "").strip()[:16],
            valid_until=valid_until,
            created_at=now,
            created_by=actor,
        )
        _audit(exception, reason_code="list_exception_recorded", note=reason, actor=actor, now=now)
    return exception


def end_exception(
    *, exception: ListException, reason: str, actor, now: dt.datetime | None = None
) -> ListException:
    """End an exception before its date (the agency confirmed the list after all); the row keeps
    who ended it, when and why. Raises :class:`ExceptionRefused` (``reason_required``,
    ``already_ended``)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ExceptionRefused(_("Alasan wajib diisi."), code="reason_required")
    with transaction.atomic():
        ended = ListException.objects.filter(pk=exception.pk, ended_at__isnull=True).update(
            ended_at=now, ended_by=actor, end_reason=reason
        )
        if not ended:
            raise ExceptionRefused(_("Pengecualian ini sudah diakhiri."), code="already_ended")
        exception.refresh_from_db()
        _audit(exception, reason_code="list_exception_ended", note=reason, actor=actor, now=now)
    return exception


def _audit(exception: ListException, *, reason_code: str, note: str, actor, now) -> None:
    participant = Participant.objects.filter(nik_hash=exception.nik_hash).first()
    if participant is not None:
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.ELIGIBILITY,
            reason_code=reason_code,
            note=f"{exception.source}: {note}",
            actor=actor,
            now=now,
        )
