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
    key = models.CharField(_("kunci"), max_length=64, unique=True)
    secret_encrypted = models.TextField(_("rahasia (terenkripsi)"), editable=False)
    created_at = models.DateTimeField(_("dibuat pada"))
    revoked_at = models.DateTimeField(_("dicabut pada"), null=True, blank=True)

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
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="trainings",
        verbose_name=_("lembaga pelatihan"),
    )
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
    training = models.ForeignKey(
        Training, on_delete=models.PROTECT, related_name="offerings", verbose_name=_("pelatihan")
    )
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
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="payments", verbose_name=_("peserta")
    )
    offering = models.ForeignKey(
        Offering,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("penawaran pelatihan"),
    )
    partner_order_id = models.CharField(_("ID pesanan mitra"), max_length=100)
    amount_idr = models.PositiveIntegerField(_("jumlah (Rp)"))
    status = models.CharField(max_length=16, choices=Status, default=Status.OTP_SENT)
    paid_at = models.DateTimeField(_("dibayar pada"), null=True, blank=True)

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

    code = models.CharField(_("kode voucher"), max_length=16, unique=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="voucher", verbose_name=_("pembayaran")
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("peserta")
    )
    training = models.ForeignKey(
        Training, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("pelatihan")
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("lembaga pelatihan"),
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.ISSUED)
    # 1 for the participant's first training, 2 for the second, ... (unique per participant).
    sequence = models.PositiveSmallIntegerField(_("urutan"))
    issued_at = models.DateTimeField(_("terbit pada"))
    redeemed_at = models.DateTimeField(_("ditukarkan pada"), null=True, blank=True)
    pretest_score = models.PositiveSmallIntegerField(_("nilai pretest"), null=True, blank=True)
    pretest_at = models.DateTimeField(_("pretest pada"), null=True, blank=True)
    completed_at = models.DateTimeField(_("tuntas pada"), null=True, blank=True)
    certificate_number = models.CharField(_("nomor sertifikat"), max_length=100, blank=True)
    certificate_url = models.URLField(_("URL sertifikat"), max_length=500, blank=True)
    score = models.PositiveSmallIntegerField(_("nilai akhir"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("penilaian"), null=True, blank=True)
    review = models.TextField(_("ulasan"), blank=True)
    reviewed_at = models.DateTimeField(_("diulas pada"), null=True, blank=True)

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
    key = models.CharField(_("kunci idempotensi"), max_length=255)
    request_hash = models.CharField(_("hash permintaan"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("status respons"))
    response_body = models.JSONField(_("isi respons"))
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        verbose_name = _("catatan idempotensi")
        verbose_name_plural = _("catatan idempotensi")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "key"], name="one_record_per_idempotency_key"
            ),
        ]


# --- the deadline sweep -------------------------------------------------------------------------


class SweepRun(models.Model):
    """One run of the nightly first-purchase sweep, for one cut-off instant."""

    cutoff = models.DateTimeField(_("batas waktu"), unique=True)
    started_at = models.DateTimeField(_("mulai pada"))
    finished_at = models.DateTimeField(_("selesai pada"), null=True, blank=True)
    revoked = models.PositiveIntegerField(_("dicabut"), default=0)
    forfeited_idr = models.PositiveBigIntegerField(_("saldo hangus (Rp)"), default=0)
    batches = models.PositiveIntegerField(_("jumlah batch"), default=0)

    class Meta:
        ordering = ["-cutoff"]
        verbose_name = _("proses pencabutan")
        verbose_name_plural = _("proses pencabutan")

    def __str__(self) -> str:
        return f"Sweep {self.cutoff:%Y-%m-%d %H:%M}"


class DeadlineReminder(models.Model):
    """A first-purchase reminder sent (or queued) to one participant, at most once per day mark."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("peserta")
    )
    days_before = models.PositiveSmallIntegerField(_("hari sebelum batas"))
    created_at = models.DateTimeField(_("dibuat pada"))
    sent_at = models.DateTimeField(_("dikirim pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengingat batas pembelian")
        verbose_name_plural = _("pengingat batas pembelian")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "days_before"], name="one_reminder_per_mark"
            ),
        ]


class RecoveredQuota(models.Model):
    """Places freed by revocation, per source wave and province, and how many an additional
    wave has taken. ``allocated <= recovered`` is enforced by the database."""

    source_wave = models.ForeignKey(
        Wave,
        on_delete=models.PROTECT,
        related_name="recovered_quota",
        verbose_name=_("gelombang asal"),
    )
    province = models.ForeignKey(Province, on_delete=models.PROTECT, verbose_name=_("provinsi"))
    recovered = models.PositiveIntegerField(_("kuota dipulihkan"), default=0)
    allocated = models.PositiveIntegerField(_("kuota dialokasikan"), default=0)

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
