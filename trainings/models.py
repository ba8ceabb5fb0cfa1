"""The catalog, the partner API's records, payments, vouchers and the deadline sweep."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participants.models import OtpChallenge, Participant, Province, Wave


class Platform(models.Model):
    """A digital platform (mitra platform digital) that sells trainings and calls our API."""

    code = models.SlugField(_("kode"), max_length=32, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    website = models.URLField(_("situs"), blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("platform digital")
        verbose_name_plural = _("platform digital")

    def __str__(self) -> str:
        return self.name


class PartnerCredential(models.Model):
    """An API key pair. The secret is shown once and stored only encrypted (Fernet)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="credentials")
    key = models.CharField(max_length=64, unique=True)
    secret_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kredensial API mitra")
        verbose_name_plural = _("kredensial API mitra")

    def __str__(self) -> str:
        return f"{self.platform.code}:{self.key[:8]}…"


class Provider(models.Model):
    """A training provider (lembaga pelatihan, LP)."""

    code = models.SlugField(_("kode"), max_length=32, unique=True)
    name = models.CharField(_("nama"), max_length=150)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lembaga pelatihan")
        verbose_name_plural = _("lembaga pelatihan")

    def __str__(self) -> str:
        return self.name


class Training(models.Model):
    class Mode(models.TextChoices):
        SELF_PACED = "self_paced", _("Video mandiri")
        WEBINAR = "webinar", _("Webinar")
        OFFLINE = "offline", _("Luring (tatap muka)")

    title = models.CharField(_("judul"), max_length=200)
    category = models.CharField(_("kategori"), max_length=64, db_index=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="trainings")
    description = models.TextField(_("deskripsi"), blank=True)
    price_idr = models.PositiveIntegerField(_("harga (Rp)"))
    duration_hours = models.PositiveSmallIntegerField(_("durasi (jam)"))
    mode = models.CharField(_("metode"), max_length=16, choices=Mode)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("pelatihan")
        verbose_name_plural = _("pelatihan")

    def __str__(self) -> str:
        return self.title


class Offering(models.Model):
    """A training sold on one platform, at that platform's price and URL."""

    code = models.SlugField(_("kode"), max_length=64, unique=True)
    training = models.ForeignKey(Training, on_delete=models.PROTECT, related_name="offerings")
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="offerings")
    price_idr = models.PositiveIntegerField(_("harga (Rp)"))
    url = models.URLField(_("tautan"), max_length=500)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("penawaran")
        verbose_name_plural = _("penawaran")
        constraints = [
            models.UniqueConstraint(
                fields=["training", "platform"], name="one_offering_per_training_platform"
            ),
            models.CheckConstraint(condition=Q(price_idr__gt=0), name="offering_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.training} @ {self.platform}"


class Payment(OtpChallenge):
    """A purchase attempt started by a platform; paid once its OTP (``participants.otp``) is
    confirmed."""

    OTP_PURPOSE = "payment"
    # Each payment is a new order, not a resend: only the per-card rate of new codes applies.
    OTP_RESEND_COOLDOWN = False

    class Status(models.TextChoices):
        OTP_SENT = "otp_sent", _("Menunggu OTP")
        PAID = "paid", _("Pembayaran berhasil")
        LOCKED = "locked", _("Terkunci (OTP salah berulang kali)")
        CANCELLED = "cancelled", _("Dibatalkan")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="payments")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="payments")
    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="payments")
    partner_order_id = models.CharField(max_length=100)
    amount_idr = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status, default=Status.OTP_SENT)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pembayaran")
        verbose_name_plural = _("pembayaran")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "partner_order_id"], name="one_payment_per_partner_order"
            ),
        ]
        indexes = [models.Index(fields=["participant", "status"], name="payment_by_participant")]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class Voucher(models.Model):
    """The single-use code a paid purchase yields, bound to its training provider."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Belum digunakan")
        REDEEMED = "redeemed", _("Sudah ditukarkan")
        COMPLETED = "completed", _("Pelatihan selesai")
        CANCELLED = "cancelled", _("Dibatalkan")

    code = models.CharField(max_length=16, unique=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="voucher")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="vouchers")
    training = models.ForeignKey(Training, on_delete=models.PROTECT, related_name="vouchers")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="vouchers")
    status = models.CharField(max_length=16, choices=Status, default=Status.ISSUED)
    # 1 for the participant's first training, 2 for the second, ... (unique per participant).
    sequence = models.PositiveSmallIntegerField()
    issued_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    pretest_score = models.PositiveSmallIntegerField(null=True, blank=True)
    pretest_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    certificate_number = models.CharField(max_length=100, blank=True)
    certificate_url = models.URLField(max_length=500, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    review = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("voucher")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "sequence"], name="one_voucher_per_sequence"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="rating_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["participant", "status"], name="voucher_by_participant")]

    def __str__(self) -> str:
        return self.code


class IdempotencyRecord(models.Model):
    """The first response to a POST with a given Idempotency-Key, replayed on retries."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "key"], name="one_record_per_idempotency_key"
            ),
        ]


# --- the deadline sweep -------------------------------------------------------------------------


class SweepRun(models.Model):
    """One run of the nightly first-purchase sweep, for one cut-off instant."""

    cutoff = models.DateTimeField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    revoked = models.PositiveIntegerField(default=0)
    forfeited_idr = models.PositiveBigIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-cutoff"]
        verbose_name = _("proses pencabutan")
        verbose_name_plural = _("proses pencabutan")

    def __str__(self) -> str:
        return f"Sweep {self.cutoff:%Y-%m-%d %H:%M}"


class DeadlineReminder(models.Model):
    """A first-purchase reminder sent (or queued) to one participant, at most once per day mark."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "days_before"], name="one_reminder_per_mark"
            ),
        ]


class RecoveredQuota(models.Model):
    """Places freed by revocation, per source wave and province, and how many an additional
    wave has taken. ``allocated <= recovered`` is enforced by the database."""

    source_wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="recovered_quota")
    province = models.ForeignKey(Province, on_delete=models.PROTECT)
    recovered = models.PositiveIntegerField(default=0)
    allocated = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("kuota dipulihkan")
        verbose_name_plural = _("kuota dipulihkan")
        constraints = [
            models.UniqueConstraint(
                fields=["source_wave", "province"], name="one_pool_per_wave_province"
            ),
            models.CheckConstraint(
                condition=Q(allocated__lte=models.F("recovered")), name="allocated_within_pool"
            ),
        ]
