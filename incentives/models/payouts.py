"""Payout accounts, installments, batches, payout requests, callbacks and reconciliation.

Models hold data and invariants, enforced by the database where it can: one installment per
(participant, kind, number), one paid payout request per installment, a unique idempotency key
per payout request. Every write lives in ``incentives.services``.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participants.models import OtpChallenge, Participant


class Reason(models.TextChoices):
    """Why a payout did not go through. Codes are stable; labels are what the participant sees
    (docs/program.md section 3)."""

    ACCOUNT_CLOSED = "account_closed", _("Rekening/E-Wallet telah ditutup di Bank/E-Wallet")
    NAME_MISMATCH = "name_mismatch", _("Nama pemilik rekening tidak sesuai")
    EWALLET_NOT_PREMIUM = "ewallet_not_premium", _("Akun e-wallet belum premium")
    ACCOUNT_NOT_FOUND = "account_not_found", _("Rekening tidak ditemukan")
    NO_ACCOUNT = "no_account", _("Rekening/e-wallet belum didaftarkan")
    GATEWAY_UNAVAILABLE = (
        "gateway_unavailable",
        _("Layanan pembayaran sedang terganggu; pembayaran akan dicoba lagi oleh petugas"),
    )
    TEMPORARY_ERROR = "temporary_error", _("Gangguan sementara; pembayaran akan dicoba lagi")
    TIMEOUT = "timeout", _("Menunggu konfirmasi dari bank/e-wallet")


# Failures the participant fixes by changing the account; fixing it retries automatically.
ACCOUNT_REASONS = frozenset(
    {
        Reason.ACCOUNT_CLOSED,
        Reason.NAME_MISMATCH,
        Reason.EWALLET_NOT_PREMIUM,
        Reason.ACCOUNT_NOT_FOUND,
        Reason.NO_ACCOUNT,
    }
)


class PayoutAccount(models.Model):
    """The one bank account (BNI) or e-wallet a participant's incentives are paid into."""

    class Kind(models.TextChoices):
        BNI = "bni", _("Rekening Bank BNI")
        OVO = "ovo", _("OVO")
        GOPAY = "gopay", _("GoPay")
        LINKAJA = "linkaja", _("LinkAja")
        DANA = "dana", _("DANA")

    EWALLETS = frozenset({Kind.OVO, Kind.GOPAY, Kind.LINKAJA, Kind.DANA})

    participant = models.OneToOneField(
        Participant,
        on_delete=models.PROTECT,
        related_name="payout_account",
        verbose_name=_("peserta"),
    )
    kind = models.CharField(_("jenis"), max_length=16, choices=Kind)
    number = models.CharField(_("nomor rekening/e-wallet"), max_length=20)
    holder_name = models.CharField(_("nama pemilik"), max_length=150)
    # Set when the payout backend confirmed the account exists, the name matches and (for an
    # e-wallet) it is upgraded; cleared by every change.
    validated_at = models.DateTimeField(_("tervalidasi"), null=True, blank=True)
    validation_reason = models.CharField(
        _("alasan validasi"), max_length=32, choices=Reason, blank=True
    )
    validation_checked_at = models.DateTimeField(
        _("validasi diperiksa pada"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("dibuat pada"))
    updated_at = models.DateTimeField(_("diperbarui pada"))

    class Meta:
        verbose_name = _("rekening insentif")
        verbose_name_plural = _("rekening insentif")
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{8,16}$"), name="payout_account_number_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} …{self.number[-4:]}"

    @property
    def masked_number(self) -> str:
        return "•" * max(len(self.number) - 4, 0) + self.number[-4:]


class PayoutAccountChange(OtpChallenge):
    """A requested change of payout account, waiting for its SMS OTP (``participants.otp``); the
    change applies once, when the right code is typed in time."""

    OTP_PURPOSE = "payout-account"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="payout_account_changes",
        verbose_name=_("peserta"),
    )
    kind = models.CharField(_("jenis rekening"), max_length=16, choices=PayoutAccount.Kind)
    number = models.CharField(_("nomor rekening"), max_length=20)
    holder_name = models.CharField(_("nama pemilik rekening"), max_length=150)
    confirmed_at = models.DateTimeField(_("dikonfirmasi pada"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("perubahan rekening")
        verbose_name_plural = _("perubahan rekening")


class DisbursementBatch(models.Model):
    """Due installments grouped for sending. Above ``PAYOUT_APPROVAL_THRESHOLD_IDR`` a batch needs
    two different people before anything is sent: one who submits it (for a batch the job made,
    the staff member who takes responsibility) and one who approves it (four eyes)."""

    class Status(models.TextChoices):
        AWAITING_SUBMISSION = "awaiting_submission", _("Menunggu pengajuan")
        PENDING_APPROVAL = "pending_approval", _("Menunggu persetujuan")
        APPROVED = "approved", _("Disetujui")
        SENDING = "sending", _("Sedang dikirim")
        DONE = "done", _("Selesai")
        REJECTED = "rejected", _("Ditolak")

    ALLOWED_TRANSITIONS: dict[str, set[str]] = {
        Status.AWAITING_SUBMISSION: {Status.PENDING_APPROVAL, Status.REJECTED},
        Status.PENDING_APPROVAL: {Status.APPROVED, Status.REJECTED},
        Status.APPROVED: {Status.SENDING},
        Status.SENDING: {Status.DONE},
        Status.DONE: set(),
        Status.REJECTED: set(),
    }

    status = models.CharField(max_length=24, choices=Status, db_index=True)
    created_at = models.DateTimeField(_("dibuat pada"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dibuat oleh"),
    )
    installment_count = models.PositiveIntegerField(_("jumlah cicilan"), default=0)
    total_idr = models.PositiveBigIntegerField(_("total (Rp)"), default=0)
    submitted_at = models.DateTimeField(_("diajukan pada"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diajukan oleh"),
    )
    approved_at = models.DateTimeField(_("disetujui pada"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disetujui oleh"),
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ditolak oleh"),
    )
    started_at = models.DateTimeField(_("mulai pada"), null=True, blank=True)
    finished_at = models.DateTimeField(_("selesai pada"), null=True, blank=True)
    # The last sending's summary line (what the worker did), shown on the batch page.
    result = models.CharField(_("hasil pengiriman"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("batch pencairan")
        verbose_name_plural = _("batch pencairan")
        permissions = [
            ("submit_disbursementbatch", _("Dapat mengajukan batch pencairan")),
            ("approve_disbursementbatch", _("Dapat menyetujui atau menolak batch pencairan")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(approved_by=models.F("submitted_by")),
                name="batch_approver_is_not_submitter",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True)
                | Q(created_by__isnull=True)
                | ~Q(approved_by=models.F("created_by")),
                name="batch_checker_is_not_maker",
            ),
        ]

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.installment_count} / Rp{self.total_idr:,})"


class DisbursementBatchEvent(models.Model):
    """The audit trail of a batch: who created, submitted, approved, rejected or sent it, when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Dibuat")
        SUBMITTED = "submitted", _("Diajukan")
        APPROVED = "approved", _("Disetujui")
        REJECTED = "rejected", _("Ditolak")
        SEND_STARTED = "send_started", _("Mulai dikirim")
        SENT = "sent", _("Selesai dikirim")

    batch = models.ForeignKey(
        DisbursementBatch,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("batch pencairan"),
    )
    action = models.CharField(_("tindakan"), max_length=16, choices=Action)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oleh"),
    )
    created_at = models.DateTimeField(_("waktu"))
    note = models.CharField(_("catatan"), max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("jejak batch pencairan")
        verbose_name_plural = _("jejak batch pencairan")

    def __str__(self) -> str:
        return self.get_action_display()


class Installment(models.Model):
    """One incentive payment owed to a participant: a monthly post-training incentive or a
    survey incentive."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Insentif pasca pelatihan")
        SURVEY = "survey", _("Insentif survei evaluasi")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Terjadwal")
        PROCESSING = "processing", _("Sedang diproses")
        PAID = "paid", _("Dibayar")
        FAILED = "failed", _("Gagal")
        UNKNOWN = "unknown", _("Menunggu konfirmasi")

    ALLOWED_TRANSITIONS: dict[str, set[str]] = {
        Status.SCHEDULED: {Status.PROCESSING},
        Status.PROCESSING: {Status.PAID, Status.FAILED, Status.UNKNOWN, Status.SCHEDULED},
        Status.UNKNOWN: {Status.PAID, Status.FAILED, Status.SCHEDULED, Status.PROCESSING},
        Status.FAILED: {Status.SCHEDULED},
        Status.PAID: set(),
    }

    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="installments",
        verbose_name=_("peserta"),
    )
    kind = models.CharField(_("jenis"), max_length=16, choices=Kind)
    number = models.PositiveSmallIntegerField(_("ke-"))
    amount_idr = models.PositiveBigIntegerField(_("jumlah (Rp)"))
    due_at = models.DateTimeField(_("jatuh tempo"))
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.SCHEDULED)
    reason_code = models.CharField(_("alasan"), max_length=32, choices=Reason, blank=True)
    # Payout requests made so far; the next one gets number attempts + 1 in its key.
    attempts = models.PositiveSmallIntegerField(_("jumlah percobaan"), default=0)
    temporary_failures = models.PositiveSmallIntegerField(_("kegagalan sementara"), default=0)
    next_attempt_at = models.DateTimeField(_("dicoba lagi"))
    batch = models.ForeignKey(
        DisbursementBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="installments",
        verbose_name=_("batch pencairan"),
    )
    claimed_at = models.DateTimeField(_("diklaim pada"), null=True, blank=True)
    # The outcome (paid/failed) of the current attempt already announced to the participant by
    # SMS and email; cleared when a new attempt is claimed, so every failure is told.
    notified_status = models.CharField(
        _("hasil yang sudah diberitahukan"), max_length=16, blank=True, editable=False
    )
    claim_token = models.UUIDField(_("token klaim"), null=True, blank=True, editable=False)
    paid_at = models.DateTimeField(_("dibayar"), null=True, blank=True)
    failed_at = models.DateTimeField(_("gagal pada"), null=True, blank=True)
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        ordering = ["due_at", "kind", "number"]
        verbose_name = _("cicilan insentif")
        verbose_name_plural = _("cicilan insentif")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "kind", "number"], name="one_installment_per_number"
            ),
            models.CheckConstraint(
                condition=Q(amount_idr__gt=0), name="installment_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="paid_installment_has_paid_at",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(reason_code=""),
                name="failed_installment_has_reason",
            ),
        ]
        indexes = [
            # The disbursement claim: scheduled and due.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="scheduled"),
                name="installment_claimable",
            ),
            models.Index(fields=["status", "claimed_at"], name="installment_status_claimed"),
            # Claims walk a batch's scheduled rows in id order (SKIP LOCKED, LIMIT n).
            models.Index(fields=["batch", "status", "id"], name="installment_batch_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number} ({self.status})"


class PayoutRequest(models.Model):
    """One request to the payout backend, stored (and committed) before the call is made.

    The idempotency key is deterministic (installment and attempt number), so asking the backend
    about it, or sending it again, can never move money twice.
    """

    class Status(models.TextChoices):
        CREATED = "created", _("Dibuat")
        SENT = "sent", _("Terkirim, menunggu hasil")
        PAID = "paid", _("Dibayar")
        FAILED = "failed", _("Gagal")
        TEMPORARY_ERROR = "temporary_error", _("Gangguan sementara")
        UNKNOWN = "unknown", _("Tidak diketahui (batas waktu)")
        # The gateway paid this key although another request of the installment is already
        # paid (left by an older double payout): kept for reconciliation, never counted twice.
        CONFLICT = "conflict", _("Ganda, periksa rekonsiliasi")

    OPEN = frozenset({Status.CREATED, Status.SENT, Status.UNKNOWN})

    installment = models.ForeignKey(
        Installment,
        on_delete=models.PROTECT,
        related_name="payout_requests",
        verbose_name=_("termin insentif"),
    )
    batch = models.ForeignKey(
        DisbursementBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payout_requests",
        verbose_name=_("batch pencairan"),
    )
    attempt = models.PositiveSmallIntegerField(_("percobaan ke"))
    idempotency_key = models.CharField(_("kunci idempotensi"), max_length=64, unique=True)
    amount_idr = models.PositiveBigIntegerField(_("jumlah (Rp)"))
    account_kind = models.CharField(_("jenis rekening"), max_length=16, choices=PayoutAccount.Kind)
    account_number = models.CharField(_("nomor rekening"), max_length=20)
    status = models.CharField(max_length=16, choices=Status, default=Status.CREATED)
    reason_code = models.CharField(_("kode alasan"), max_length=32, blank=True)
    gateway_reference = models.CharField(_("referensi gateway"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("dibuat pada"))
    sent_at = models.DateTimeField(_("dikirim pada"), null=True, blank=True)
    finished_at = models.DateTimeField(_("selesai pada"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("permintaan pembayaran")
        verbose_name_plural = _("permintaan pembayaran")
        constraints = [
            models.UniqueConstraint(
                fields=["installment"],
                condition=Q(status="paid"),
                name="one_paid_request_per_installment",
            ),
            models.UniqueConstraint(
                fields=["installment", "attempt"], name="one_request_per_attempt"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payout_request_status"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class PayoutCallback(models.Model):
    """A callback received from the payout gateway. Its id is unique: a replayed callback is
    refused before it touches any installment."""

    callback_id = models.CharField(_("ID callback"), max_length=100, unique=True)
    idempotency_key = models.CharField(_("kunci idempotensi"), max_length=64, db_index=True)
    status = models.CharField(max_length=16)
    reason_code = models.CharField(_("kode alasan"), max_length=32, blank=True)
    received_at = models.DateTimeField(_("diterima pada"))
    outcome = models.CharField(_("hasil"), max_length=32, blank=True)
    # The request's X-Signature: an exact signed callback seen before is a replay, whatever
    # its X-Callback-Id (the id is not signed).
    signature = models.CharField(_("tanda tangan"), max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("callback pembayaran")
        verbose_name_plural = _("callback pembayaran")
        constraints = [
            models.UniqueConstraint(
                fields=["signature"], condition=~Q(signature=""), name="callback_signature_once"
            ),
        ]


class ReconciliationReport(models.Model):
    """A day's comparison of what the portal believes was paid with what the backend reports."""

    day = models.DateField(_("tanggal (WIB)"), unique=True)
    created_at = models.DateTimeField(_("dibuat pada"))
    portal_paid_count = models.PositiveIntegerField(_("jumlah dibayar menurut portal"), default=0)
    portal_paid_idr = models.PositiveBigIntegerField(_("dibayar menurut portal (Rp)"), default=0)
    backend_paid_count = models.PositiveIntegerField(_("jumlah dibayar menurut gateway"), default=0)
    backend_paid_idr = models.PositiveBigIntegerField(_("dibayar menurut gateway (Rp)"), default=0)
    mismatch_count = models.PositiveIntegerField(_("jumlah selisih"), default=0)
    # [{"key": ..., "portal": status, "backend": status}, ...] (first 1000)
    mismatches = models.JSONField(_("rincian selisih"), default=list, blank=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("laporan rekonsiliasi")
        verbose_name_plural = _("laporan rekonsiliasi")

    def __str__(self) -> str:
        return f"Rekonsiliasi {self.day}"
