"""Staff corrections of the profile fields that decide eligibility or selection.

These fields are read-only in the admin's plain change form: a correction goes through
:func:`correct_profile`, which needs a reason and records the old and new value of each field.
A declaration ("Pernyataan Pendaftar") changes only when a second staff member approves it
(:func:`approve_correction`; four eyes), and never to "unknown", which selection reads as "no".
Every attempt is in the decision history: the corrections, the refused ones (which field, why,
never the value tried) and those that changed nothing.

The priority tier is not corrected here: it follows the agencies' lists.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import (
    District,
    DomainError,
    Participant,
    ParticipantEvent,
    ProfileCorrection,
)
from participants.registration import nik
from participants.services.fraud import required_reason
from participants.services.status import record_event
from prakerja import crypto

# The "Pernyataan Pendaftar": each decides eligibility, so each correction needs a second person.
DECLARATION_FIELDS = ("is_student", "is_civil_servant", "receives_social_aid", "is_unemployed")
# Fields that decide eligibility (docs/program.md section 2). The NIK encodes the birth date, the
# gender and the district; the regency and province follow the district. The draw's priority tier
# is not among them: it comes only from the laid-off workers' list (participants.eligibility).
CORRECTABLE_FIELDS = (
    "birth_date",
    "gender",
    "district",
    "education",
    "employment_status",
    *DECLARATION_FIELDS,
)
DECISIVE_FIELDS = (*CORRECTABLE_FIELDS, "regency", "province")
REASON_CORRECTED = "profile_corrected"
REASON_REQUESTED = "profile_correction_requested"
REASON_REJECTED = "profile_correction_rejected"
REASON_REFUSED = "profile_correction_refused"
REASON_UNCHANGED = "profile_correction_unchanged"


class FieldNotCorrectable(DomainError):
    code = "field_not_correctable"
    message = _("Data ini tidak dapat dikoreksi di sini.")


class UnknownDeclaration(DomainError):
    code = "declaration_unknown"
    message = _(
        'Pernyataan tidak dapat dikoreksi menjadi "tidak diketahui": seleksi membacanya sebagai '
        '"tidak". Pilih Ya atau Tidak.'
    )


class CorrectionPending(DomainError):
    code = "correction_pending"
    message = _("Sudah ada koreksi pernyataan ini yang menunggu persetujuan.")


class CorrectionNotPending(DomainError):
    code = "correction_not_pending"
    message = _("Koreksi ini sudah diputuskan.")


class SameStaffMember(DomainError):
    code = "four_eyes"
    message = _("Koreksi pernyataan harus diputuskan oleh petugas lain, bukan yang mengajukannya.")


class CorrectionOutdated(DomainError):
    code = "correction_outdated"
    message = _("Data peserta sudah berubah sejak koreksi diajukan. Ajukan koreksi baru.")


@dataclass
class Correction:
    """What :func:`correct_profile` did: fields changed now (their audit rows) and declaration
    corrections waiting for a second staff member."""

    events: list[ParticipantEvent] = field(default_factory=list)
    pending: list[ProfileCorrection] = field(default_factory=list)


def as_text(value) -> str:
    """How a value is written in the audit row: a code, an ISO date, ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def record_refused_correction(
    *,
    participant: Participant,
    fields: Iterable[str],
    reason: str,
    code: str,
    actor,
    now: dt.datetime | None = None,
) -> ParticipantEvent:
    """The audit row of a refused correction: which fields, the reason typed and the refusal's
    code, never the value tried (it may be a hidden one)."""
    return record_event(
        participant=participant,
        kind=ParticipantEvent.Kind.PROFILE,
        reason_code=REASON_REFUSED,
        field=",".join(sorted(fields))[:64],
        note=f"{(reason or '').strip()}\n{code}".strip(),
        actor=actor,
        now=now,
    )


def correct_profile(
    *,
    participant: Participant,
    changes: Mapping[str, object],
    reason: str,
    actor,
    now: dt.datetime | None = None,
) -> Correction:
    """Correct decisive profile fields (``CORRECTABLE_FIELDS``; a district brings its regency and
    province) in one transaction under the participant's row lock. A field that really changed
    gets an audit row (field, old value, new value, actor, time, reason); a declaration is not
    changed but put to a second staff member (a pending :class:`ProfileCorrection` and an audit
    row of the request). A new birth date, gender or district must agree with the NIK.

    A refusal is recorded (which fields and why, not the value) and raised:
    :class:`ReasonRequired`, :class:`FieldNotCorrectable`, :class:`UnknownDeclaration`,
    :class:`CorrectionPending` or :class:`~participants.registration.nik.InvalidNik`. A
    correction that changes nothing is recorded too.
    """
    now = now or timezone.now()
    try:
        reason = required_reason(reason)
        with transaction.atomic():
            result = _correct(
                participant=participant, changes=changes, reason=reason, actor=actor, now=now
            )
    except DomainError as exc:
        record_refused_correction(
            participant=participant,
            fields=changes,
            reason=reason,
            code=exc.code,
            actor=actor,
            now=now,
        )
        raise
    if not result.events and not result.pending:
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.PROFILE,
            reason_code=REASON_UNCHANGED,
            note=reason,
            actor=actor,
            now=now,
        )
    participant.refresh_from_db()
    return result


def _correct(
    *, participant: Participant, changes: Mapping[str, object], reason: str, actor, now
) -> Correction:
    if set(changes) - set(CORRECTABLE_FIELDS):
        raise FieldNotCorrectable()
    if any(changes[name] is None for name in DECLARATION_FIELDS if name in changes):
        raise UnknownDeclaration()
    updates = dict(changes)
    district = updates.get("district")
    if isinstance(district, District):
        updates["regency"] = district.regency
        updates["province"] = district.regency.province
    current = Participant.objects.select_for_update().get(pk=participant.pk)
    changed = {
        name: value
        for name, value in updates.items()
        if as_text(_current_value(current, name)) != as_text(value)
    }
    declared = {name: changed.pop(name) for name in DECLARATION_FIELDS if name in changed}
    encoded = {"birth_date", "gender", "district"} & set(changed)
    if any(changed[name] in (None, "") for name in encoded):
        raise FieldNotCorrectable(
            _("Tanggal lahir, jenis kelamin dan kecamatan tidak boleh dikosongkan."),
            code="nik_field_required",
        )
    if encoded and current.nik_encrypted:
        nik.check_encoded_fields(
            nik=crypto.decrypt(current.nik_encrypted),
            birth_date=changed.get("birth_date"),
            gender=changed.get("gender"),
            district_code=as_text(changed["district"]) if "district" in changed else None,
        )
    result = Correction()
    if changed:
        Participant.objects.filter(pk=current.pk).update(**changed, updated_at=now)
    for name, value in changed.items():
        result.events.append(
            _record_correction(
                participant=current,
                name=name,
                old=as_text(_current_value(current, name)),
                new=as_text(value),
                note=reason,
                actor=actor,
                now=now,
            )
        )
    for name, value in declared.items():
        result.pending.append(
            _request_correction(
                participant=current,
                name=name,
                old=as_text(_current_value(current, name)),
                new=as_text(value),
                reason=reason,
                actor=actor,
                now=now,
            )
        )
    return result


def _record_correction(*, participant, name, old, new, note, actor, now) -> ParticipantEvent:
    return record_event(
        participant=participant,
        kind=ParticipantEvent.Kind.PROFILE,
        reason_code=REASON_CORRECTED,
        note=note,
        field=name,
        old_value=old,
        new_value=new,
        actor=actor,
        now=now,
    )


def _request_correction(*, participant, name, old, new, reason, actor, now) -> ProfileCorrection:
    try:
        with transaction.atomic():
            correction = ProfileCorrection.objects.create(
                participant=participant,
                field=name,
                old_value=old,
                new_value=new,
                reason=reason,
                requested_by=actor,
                requested_at=now,
            )
    except IntegrityError:
        raise CorrectionPending() from None
    record_event(
        participant=participant,
        kind=ParticipantEvent.Kind.PROFILE,
        reason_code=REASON_REQUESTED,
        note=reason,
        field=name,
        old_value=old,
        new_value=new,
        actor=actor,
        now=now,
    )
    return correction


def approve_correction(
    *, correction: ProfileCorrection, reason: str, actor, now: dt.datetime | None = None
) -> ProfileCorrection:
    """Apply a pending declaration correction, approved by ``actor``, who must not be the one
    who asked (also a database constraint). One transaction: the participant's field, the audit
    row (old and new value, the approver as actor, both reasons) and the decision.

    Raises :class:`ReasonRequired`, :class:`CorrectionNotPending`, :class:`SameStaffMember`, or
    :class:`CorrectionOutdated` when the field no longer holds the value the request saw.
    """
    reason = required_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        current = _pending(correction, actor)
        person = Participant.objects.select_for_update().get(pk=current.participant_id)
        if as_text(_current_value(person, current.field)) != current.old_value:
            raise CorrectionOutdated()
        value = current.new_value == "true"
        Participant.objects.filter(pk=person.pk).update(**{current.field: value}, updated_at=now)
        _record_correction(
            participant=person,
            name=current.field,
            old=current.old_value,
            new=current.new_value,
            note=f"{current.reason}\n{_('Disetujui')}: {reason}",
            actor=actor,
            now=now,
        )
        return _decide(current, ProfileCorrection.Status.APPROVED, reason, actor, now)


def reject_correction(
    *, correction: ProfileCorrection, reason: str, actor, now: dt.datetime | None = None
) -> ProfileCorrection:
    """Refuse a pending declaration correction (another staff member than the one who asked),
    with the reason and an audit row; the participant's field stays as it is.

    Raises :class:`ReasonRequired`, :class:`CorrectionNotPending`, :class:`SameStaffMember`."""
    reason = required_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        current = _pending(correction, actor)
        record_event(
            participant=current.participant,
            kind=ParticipantEvent.Kind.PROFILE,
            reason_code=REASON_REJECTED,
            note=reason,
            field=current.field,
            old_value=current.old_value,
            new_value=current.new_value,
            actor=actor,
            now=now,
        )
        return _decide(current, ProfileCorrection.Status.REJECTED, reason, actor, now)


def _pending(correction: ProfileCorrection, actor) -> ProfileCorrection:
    current = (
        ProfileCorrection.objects.select_for_update()
        .select_related("participant")
        .get(pk=correction.pk)
    )
    if current.status != ProfileCorrection.Status.PENDING:
        raise CorrectionNotPending()
    if actor is None or current.requested_by_id == actor.pk:
        raise SameStaffMember()
    return current


def _decide(current: ProfileCorrection, status, reason: str, actor, now) -> ProfileCorrection:
    current.status = status
    current.decided_by = actor
    current.decided_at = now
    current.decision_note = reason
    current.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return current


def _current_value(participant: Participant, name: str):
    field = Participant._meta.get_field(name)
    return getattr(participant, field.attname)
