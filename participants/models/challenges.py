"""One-time password challenges (the lifecycle lives in ``participants.otp``)."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from participants.models.participant import Participant


class OtpChallenge(models.Model):
    """The fields of an SMS one-time code, shared by every use: phone verification (below),
    payment confirmation (``trainings.Payment``) and the payout-account change
    (``incentives.PayoutAccountChange``). Only ``participants.otp`` reads or writes them: it stores
    the code's keyed hash bound to ``OTP_PURPOSE`` and the row's id, counts attempts and applies
    the lock, the expiry and the per-person rate of new challenges.

    A concrete model adds a ``participant`` foreign key and a UUID primary key.
    """

    # Bound into the stored hash: a code typed for one use or row never matches another.
    OTP_PURPOSE = ""
    # Whether a person must wait OTP_RESEND_COOLDOWN_SECONDS before asking for another code.
    OTP_RESEND_COOLDOWN = True

    otp_hash = models.CharField(_("hash OTP"), max_length=64, editable=False)
    otp_expires_at = models.DateTimeField(_("OTP kedaluwarsa pada"))
    otp_attempts = models.PositiveSmallIntegerField(_("percobaan OTP"), default=0)
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        abstract = True


class PhoneOTP(OtpChallenge):
    """A phone-verification OTP: the phone is verified once the right code is typed."""

    OTP_PURPOSE = "phone"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="otps", verbose_name=_("peserta")
    )
    phone = models.CharField(_("nomor HP"), max_length=16)
    verified_at = models.DateTimeField(_("terverifikasi pada"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("OTP nomor HP")
        verbose_name_plural = _("OTP nomor HP")
