"""Staff corrections of the profile fields that decide eligibility or selection.

These fields are read-only in the admin's plain change form: a correction goes through
:func:`correct_profile`, which needs a reason and records the old and new value of each field.
"""

import datetime as dt
from collections.abc import Mapping

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants import crypto, nik
from participants.models import District, DomainError, Participant, ParticipantEvent
from participants.services.fraud import required_reason
from participants.services.status import record_event

# Fields that decide eligibility (docs/program.md section 2). The NIK encodes the birth date, the
# gender and the district; the regency and province follow the district. The draw's priority tier
# is not among them: it comes only from the laid-off workers' list (participants.eligibility).
CORRECTABLE_FIELDS = (
    "birth_date",
    "gender",
    "district",
    "education",
    "employment_status",
    "is_student",
    "is_civil_servant",
    "receives_social_aid",
    "is_unemployed",
)
DECISIVE_FIELDS = (*CORRECTABLE_FIELDS, "regency", "province")
REASON_CORRECTED = "profile_corrected"


class FieldNotCorrectable(DomainError):
    code = "field_not_correctable"
    message = _("Data ini tidak dapat dikoreksi di sini.")


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


def correct_profile(
    *,
    participant: Participant,
    changes: Mapping[str, object],
    reason: str,
    actor,
    now: dt.datetime | None = None,
) -> list[ParticipantEvent]:
    """Correct decisive profile fields (``CORRECTABLE_FIELDS``; a district brings its regency and
    province) in one transaction under the participant's row lock, with one audit row per field
    that really changed (field, old value, new value, actor, time, reason).

    A new birth date, gender or district must agree with the NIK. Returns the audit rows (none
    when nothing changed). Raises :class:`ReasonRequired`, :class:`FieldNotCorrectable` or
    :class:`~participants.nik.InvalidNik`.
    """
    reason = required_reason(reason)
    if set(changes) - set(CORRECTABLE_FIELDS):
        raise FieldNotCorrectable()
    now = now or timezone.now()
    updates = dict(changes)
    district = updates.get("district")
    if isinstance(district, District):
        updates["regency"] = district.regency
        updates["province"] = district.regency.province
    with transaction.atomic():
        current = Participant.objects.select_for_update().get(pk=participant.pk)
        changed = {
            name: value
            for name, value in updates.items()
            if as_text(_current_value(current, name)) != as_text(value)
        }
        if not changed:
            return []
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
        Participant.objects.filter(pk=current.pk).update(**changed, updated_at=now)
        events = [
            record_event(
                participant=current,
                kind=ParticipantEvent.Kind.PROFILE,
                reason_code=REASON_CORRECTED,
                note=reason,
                field=name,
                old_value=as_text(_current_value(current, name)),
                new_value=as_text(value),
                actor=actor,
                now=now,
            )
            for name, value in changed.items()
        ]
    participant.refresh_from_db()
    return events


def _current_value(participant: Participant, name: str):
    field = Participant._meta.get_field(name)
    return getattr(participant, field.attname)
