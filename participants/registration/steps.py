"""The participant's profile steps: account, email, identity, phone, declarations.

Services are keyword-only, take ``now=None``, raise :class:`DomainError` subclasses with a stable
``code`` and an Indonesian message, and write an audit row for every decision about the person.
"""

import datetime as dt

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import otp, services
from participants.models import (
    DomainError,
    Participant,
    ParticipantEvent,
    PhoneOTP,
    User,
)
from participants.registration import nik as nik_rules
from participants.registration import registry
from participants.services import registry_checks
from prakerja import crypto, links, sms

EMAIL_SALT = "participants.verify-email"


class RegistrationError(DomainError):
    code = "registration_refused"


# --- account and email --------------------------------------------------------------------------


def register_user(*, full_name: str, email: str, password: str, now=None) -> User:
    """Create the account and its (empty) participant record. Raises ``email_taken``."""
    now = now or timezone.now()
    email = User.objects.normalize_email(email).strip().lower()
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name.strip(), date_joined=now
            )
            participant = Participant.objects.create(user=user)
            services.record_event(
                participant=participant,
                kind=ParticipantEvent.Kind.PROFILE,
                reason_code="registered",
                now=now,
            )
    except IntegrityError:
        raise RegistrationError(
            _("Email ini sudah terdaftar. Silakan masuk atau atur ulang kata sandi."),
            code="email_taken",
        ) from None
    return user


def email_verification_token(*, user: User) -> str:
    # Bound to the address: changing the email invalidates earlier links.
    return signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_SALT)


def verification_url(*, user: User) -> str:
    """The confirmation link for ``user``'s email, on ``PORTAL_URL``."""
    return links.portal_url_for("verify_email", email_verification_token(user=user))


def send_verification_email(*, user: User, verify_url: str) -> None:
    """Email the confirmation link (call it outside any transaction: it sends at once)."""
    subject = _("Konfirmasi email Kartu Prakerja")
    body = _(
        "Halo %(name)s,\n\nKlik tautan berikut untuk mengonfirmasi email Anda:\n%(url)s\n\n"
        "Tautan berlaku 3 hari. Abaikan email ini jika Anda tidak mendaftar."
    ) % {"name": user.full_name, "url": verify_url}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def send_already_registered_email(*, email: str, login_url: str, reset_url: str) -> None:
    """Tell the owner of an already registered email that someone tried to register with it.

    The registration page answers the same whether an email is new or not (so it cannot be used
    to find out who has an account); the owner learns it here instead."""
    user = User.objects.filter(email=User.objects.normalize_email(email).strip().lower()).first()
    if user is None:
        return
    subject = _("Pendaftaran Kartu Prakerja dengan email Anda")
    body = _(
        "Halo %(name)s,\n\nSeseorang (mungkin Anda) mencoba mendaftar Kartu Prakerja dengan email "
        "ini, padahal email ini sudah memiliki akun.\n\nMasuk: %(login)s\nLupa kata sandi: "
        "%(reset)s\n\nAbaikan email ini jika bukan Anda yang mendaftar; akun Anda tidak berubah."
    ) % {"name": user.full_name, "login": login_url, "reset": reset_url}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def verify_email(*, token: str, now=None) -> User:
    """Mark the email of the token's account verified. Raises ``email_link_invalid``/``expired``."""
    now = now or timezone.now()
    try:
        data = signing.loads(
            token, salt=EMAIL_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired:
        raise RegistrationError(
            _("Tautan konfirmasi sudah kedaluwarsa. Minta tautan baru."), code="email_link_expired"
        ) from None
    except signing.BadSignature:
        raise RegistrationError(
            _("Tautan konfirmasi tidak valid."), code="email_link_invalid"
        ) from None
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise RegistrationError(_("Tautan konfirmasi tidak valid."), code="email_link_invalid")
    if user.email_verified_at is None:
        User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
            email_verified_at=now
        )
        user.refresh_from_db()
    return user


# --- identity -----------------------------------------------------------------------------------


def _lock_family_card(kk_hash: str) -> None:
    """Serialize registrations on one family card until the transaction ends, so two people
    cannot both become its third member: a transaction-scoped advisory lock on the hash."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(kk_hash[:15], 16)])


def submit_identity(
    *,
    participant: Participant,
    nik: str,
    kk: str,
    birth_date: dt.date,
    gender: str,
    district,
    address: str,
    education: str,
    employment_status: str,
    full_name: str | None = None,
    now=None,
) -> Participant:
    """Check and store the identity once: the NIK rules (``participants.registration.nik``),
    then the civil registry (``participants.services.registry_checks``) with the account's name,
    or ``full_name`` when given (it then becomes the account's name).

    A registry mismatch refuses the step (:class:`~participants.services.registry_checks.
    RegistryMismatch`, naming the field); an unavailable registry stores the identity with the
    check ``pending`` for the worker to repeat. An identity the registry later found not to match
    may be entered again. Raises :class:`~participants.registration.nik.InvalidNik`, or
    :class:`RegistrationError` with ``kk_format``, ``nik_blacklisted``, ``nik_taken``,
    ``family_card_limit``, ``identity_locked``, ``email_not_verified``.
    """
    now = now or timezone.now()
    if participant.user.email_verified_at is None:
        raise RegistrationError(
            _("Konfirmasi email Anda terlebih dahulu."), code="email_not_verified"
        )
    if (
        participant.identity_verified_at is not None
        and participant.registry_status != Participant.RegistryStatus.MISMATCH
    ):
        raise RegistrationError(
            _("Data identitas sudah terverifikasi dan tidak dapat diubah."),
            code="identity_locked",
        )
    nik_rules.validate_nik(
        nik=nik,
        birth_date=birth_date,
        gender=gender,
        district_code=district.code,
        today=timezone.localdate(now),
    )
    if not nik_rules.is_16_digits(kk):
        raise RegistrationError(_("No. KK harus terdiri dari 16 digit angka."), code="kk_format")
    nik_hash = crypto.keyed_hash(nik)
    if services.is_blacklisted(nik_hash=nik_hash):
        raise RegistrationError(
            _("NIK Anda tercatat dalam daftar hitam program."), code="nik_blacklisted"
        )
    taken = RegistrationError(_("NIK sudah terdaftar."), code="nik_taken")
    if Participant.objects.filter(nik_hash=nik_hash).exclude(pk=participant.pk).exists():
        raise taken
    kk_hash = crypto.keyed_hash(kk)
    name = (full_name or "").strip() or participant.user.full_name
    attempt = participant.registry_attempts + 1
    # Asked before the transaction: no lock is held while the registry answers.
    answer = registry_checks.ask(
        participant=participant,
        query=registry.Query(nik=nik, kk=kk, name=name, birth_date=birth_date),
        attempt=attempt,
        now=now,
    )
    if answer.result == registry.MISMATCH:
        registry_checks.count_refused_attempt(participant=participant, attempt=attempt)
        raise registry_checks.mismatch_error(answer.field)
    try:
        with transaction.atomic():
            _lock_family_card(kk_hash)
            same_kk = Participant.objects.filter(kk_hash=kk_hash).exclude(pk=participant.pk)
            if same_kk.count() >= 2:
                raise RegistrationError(
                    _("Satu Kartu Keluarga hanya dapat didaftarkan oleh paling banyak 2 orang."),
                    code="family_card_limit",
                )
            services.record_identity(
                participant=participant,
                nik=nik,
                kk=kk,
                birth_date=birth_date,
                gender=gender,
                district=district,
                address=address,
                education=education,
                employment_status=employment_status,
                full_name=name,
                registry=registry_checks.status_fields(answer=answer, attempt=attempt, now=now),
                now=now,
            )
            services.record_event(
                participant=participant,
                kind=ParticipantEvent.Kind.ELIGIBILITY,
                reason_code=f"registry_{answer.result}",
                note=answer.detail,
                now=now,
            )
    except IntegrityError:
        # The unique nik_hash constraint: another account registered this NIK meanwhile.
        participant.refresh_from_db()
        raise taken from None
    return participant


REASON_IDENTITY_REFUSED = "identity_refused"
REASON_IDENTITY_RATE_LIMITED = "identity_rate_limited"


def record_identity_refusal(
    *, participant: Participant, code: str, address: str, now=None
) -> ParticipantEvent:
    """The audit row of a refused identity submission: its code (``nik_taken``, ...) or, over
    the hourly limit, ``rate_limited``, and the client address. The NIK typed is not kept.
    Several refusals from one account or one address are someone testing other people's NIKs."""
    limited = code == "rate_limited"
    return services.record_event(
        participant=participant,
        kind=ParticipantEvent.Kind.PROFILE,
        reason_code=REASON_IDENTITY_RATE_LIMITED if limited else REASON_IDENTITY_REFUSED,
        field="nik",
        note=f"{code}\n{address}",
        actor=participant.user,
        now=now,
    )


# --- phone --------------------------------------------------------------------------------------


def request_phone_otp(*, participant: Participant, phone: str, now=None) -> PhoneOTP:
    """Send a 6-digit code to ``phone`` (the lifecycle and its rate limits: ``participants.otp``).

    Raises ``identity_required``, ``phone_invalid``, ``phone_taken``, ``sms_failed``, and
    :class:`~participants.otp.OtpRateLimited`.
    """
    now = now or timezone.now()
    if participant.identity_verified_at is None:
        raise RegistrationError(
            _("Lengkapi data identitas terlebih dahulu."), code="identity_required"
        )
    phone = sms.normalize_phone(phone)
    if not (phone.startswith("+628") and phone[1:].isdigit() and 11 <= len(phone) <= 15):
        raise RegistrationError(
            _("Nomor HP tidak valid. Gunakan nomor seluler Indonesia, mis. 081234567890."),
            code="phone_invalid",
        )
    if (
        Participant.objects.filter(phone=phone, phone_verified_at__isnull=False)
        .exclude(pk=participant.pk)
        .exists()
    ):
        raise RegistrationError(
            _("Nomor HP ini sudah digunakan oleh akun lain."), code="phone_taken"
        )
    record = PhoneOTP(participant=participant, phone=phone)
    code = otp.issue(record, now=now)
    text = _(
        "Kode OTP Kartu Prakerja: %(code)s. Berlaku %(minutes)d menit. JANGAN berikan kode ini "
        "kepada siapa pun."
    ) % {"code": code, "minutes": settings.OTP_TTL_SECONDS // 60}
    # Sent once the row is committed, so the code a person receives always exists.
    try:
        sms.send_sms(to=phone, text=text)
    except sms.SmsError:
        # Nothing was delivered: drop the code so the rate limit does not block a retry.
        PhoneOTP.objects.filter(pk=record.pk).delete()
        raise RegistrationError(
            _("SMS gagal dikirim. Silakan coba lagi beberapa saat lagi."), code="sms_failed"
        ) from None
    return record


def verify_phone_otp(*, participant: Participant, code: str, now=None) -> Participant:
    """Check the latest code (``participants.otp.verify``); on success the phone is verified.

    Raises ``otp_missing``, and :class:`~participants.otp.OtpLocked`,
    :class:`~participants.otp.OtpExpired`, :class:`~participants.otp.OtpInvalid`.
    """
    now = now or timezone.now()
    pending = PhoneOTP.objects.filter(participant=participant, verified_at__isnull=True)
    latest = pending.order_by("-created_at").values_list("pk", flat=True).first()
    if latest is None:
        raise RegistrationError(_("Minta kode OTP terlebih dahulu."), code="otp_missing")
    record = otp.verify(challenges=pending, pk=latest, code=code, now=now)
    with transaction.atomic():
        if not pending.filter(pk=record.pk).update(verified_at=now):
            raise otp.OtpExpired()  # a concurrent request used this code first
        services.record_verified_phone(participant=participant, phone=record.phone, now=now)
    participant.refresh_from_db()
    return participant


# --- declarations -------------------------------------------------------------------------------


def submit_declarations(
    *,
    participant: Participant,
    is_student: bool,
    is_civil_servant: bool,
    receives_social_aid: bool,
    is_unemployed: bool,
    now=None,
) -> Participant:
    """Record the "Pernyataan Pendaftar". Refused while an application awaits its selection
    (``declarations_locked``): the answers are what selection judges."""
    from participants.models import Application

    now = now or timezone.now()
    if participant.phone_verified_at is None:
        raise RegistrationError(_("Verifikasi nomor HP terlebih dahulu."), code="phone_required")
    if participant.applications.filter(
        status__in=[Application.Status.JOINED, Application.Status.PROCESSING]
    ).exists():
        raise RegistrationError(
            _("Pernyataan tidak dapat diubah selama proses seleksi gelombang."),
            code="declarations_locked",
        )
    with transaction.atomic():
        services.record_declarations(
            participant=participant,
            is_student=is_student,
            is_civil_servant=is_civil_servant,
            receives_social_aid=receives_social_aid,
            is_unemployed=is_unemployed,
            now=now,
        )
    participant.refresh_from_db()
    return participant
