"""What a person states about themselves at registration: the protected identity numbers (NIK
and KK), the identity that selection judges (birth date, gender, district, education, work),
the verified phone and the declarations.

The registration flow (``participants.registration.steps``) checks the input (NIK rules, blacklist,
the family card limit, OTPs, locks); these functions write it, each with its PROFILE audit row,
in the caller's transaction. Staff corrections of the same fields are ``profile``'s.
"""

import datetime as dt

from participants.models import District, Participant, ParticipantEvent, User
from participants.services.status import record_event
from prakerja import crypto

REASON_IDENTITY = "identity_verified"
REASON_PHONE = "phone_verified"
REASON_DECLARATIONS = "declarations"


def set_identity_numbers(*, participant: Participant, nik: str, kk: str) -> None:
    """Fill the protected NIK/KK fields on an unsaved or to-be-saved participant."""
    participant.nik_hash = crypto.keyed_hash(nik)
    participant.nik_encrypted = crypto.encrypt(nik)
    participant.nik_masked = crypto.mask_nik(nik)
    participant.kk_hash = crypto.keyed_hash(kk)
    participant.kk_encrypted = crypto.encrypt(kk)


def record_identity(
    *,
    participant: Participant,
    nik: str,
    kk: str,
    birth_date: dt.date,
    gender: str,
    district: District,
    address: str,
    education: str,
    employment_status: str,
    now: dt.datetime,
    full_name: str | None = None,
    registry: dict | None = None,
) -> None:
    """Store the checked identity on ``participant`` (its regency and province follow the
    district) as verified at ``now``, with the civil registry's answer (``registry``: the
    ``registry_*`` fields, ``participants.services.registry_checks.status_fields``) and the
    account's name as the registry was asked about it, and audit it. Raises ``IntegrityError``
    when another account holds the NIK (the unique ``nik_hash``)."""
    set_identity_numbers(participant=participant, nik=nik, kk=kk)
    participant.birth_date = birth_date
    participant.gender = gender
    participant.district = district
    participant.regency_id = district.regency_id
    participant.province_id = district.regency.province_id
    participant.address = address
    participant.education = education
    participant.employment_status = employment_status
    participant.identity_verified_at = now
    for name, value in (registry or {}).items():
        setattr(participant, name, value)
    participant.save()
    if full_name and full_name != participant.user.full_name:
        User.objects.filter(pk=participant.user_id).update(full_name=full_name)
        participant.user.full_name = full_name
    record_event(
        participant=participant,
        kind=ParticipantEvent.Kind.PROFILE,
        reason_code=REASON_IDENTITY,
        now=now,
    )


def record_verified_phone(*, participant: Participant, phone: str, now: dt.datetime) -> None:
    """``phone`` (E.164) is the participant's, proven by an OTP at ``now``; audited."""
    Participant.objects.filter(pk=participant.pk).update(phone=phone, phone_verified_at=now)
    record_event(
        participant=participant,
        kind=ParticipantEvent.Kind.PROFILE,
        reason_code=REASON_PHONE,
        now=now,
    )


def record_declarations(
    *,
    participant: Participant,
    is_student: bool,
    is_civil_servant: bool,
    receives_social_aid: bool,
    is_unemployed: bool,
    now: dt.datetime,
) -> None:
    """The "Pernyataan Pendaftar" as answered at ``now``, with the answers in the audit row."""
    Participant.objects.filter(pk=participant.pk).update(
        is_student=is_student,
        is_civil_servant=is_civil_servant,
        receives_social_aid=receives_social_aid,
        is_unemployed=is_unemployed,
        declared_at=now,
    )
    record_event(
        participant=participant,
        kind=ParticipantEvent.Kind.PROFILE,
        reason_code=REASON_DECLARATIONS,
        note=(
            f"student={is_student} civil_servant={is_civil_servant} "
            f"social_aid={receives_social_aid} unemployed={is_unemployed}"
        ),
        now=now,
    )
