"""The person, waves, selection, the card and its balance ledger, and the blacklist.

Models hold data and invariants (enforced by the database where possible); every write and
state transition lives in ``participants.services``.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the program refused an action.

    ``code`` is stable (API responses, tests); ``message`` is Indonesian (for people).
    """

    code = "domain_error"
    message = _("Permintaan tidak dapat diproses.")

    def __init__(self, message: str | None = None, *, code: str | None = None, **context):
        if code is not None:
            self.code = code
        if message is not None:
            self.message = message
        self.context = context
        super().__init__(str(self.message))


class InvalidTransition(DomainError):
    code = "invalid_transition"
    message = _("Perubahan status ini tidak diizinkan.")


# --- accounts -----------------------------------------------------------------------------------


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """An account: participants and staff alike log in with their email address."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("nama lengkap"), max_length=150)
    email_verified_at = models.DateTimeField(_("email terverifikasi"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("akun")
        verbose_name_plural = _("akun")
        permissions = [("view_full_nik", _("Dapat melihat NIK lengkap"))]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


# --- reference data -----------------------------------------------------------------------------


class Province(models.Model):
    """Kemendagri province (2-digit code), loaded as data from idn-area-data."""

    code = models.CharField(_("kode BPS"), max_length=2, primary_key=True)
    name = models.CharField(_("nama"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("provinsi")
        verbose_name_plural = _("provinsi")

    def __str__(self) -> str:
        return self.name


class Regency(models.Model):
    """Kemendagri regency or city (4-digit code, e.g. ``3201``)."""

    code = models.CharField(_("kode BPS"), max_length=4, primary_key=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="regencies", verbose_name=_("provinsi")
    )
    name = models.CharField(_("nama"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("kabupaten/kota")
        verbose_name_plural = _("kabupaten/kota")

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """Kemendagri district (kecamatan, 6-digit code, e.g. ``320101``)."""

    code = models.CharField(_("kode BPS"), max_length=6, primary_key=True)
    regency = models.ForeignKey(
        Regency,
        on_delete=models.PROTECT,
        related_name="districts",
        verbose_name=_("kabupaten/kota"),
    )
    name = models.CharField(_("nama"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")

    def __str__(self) -> str:
        return self.name


# --- waves --------------------------------------------------------------------------------------


class Wave(models.Model):
    """An intake wave (gelombang). Times are stored in UTC and shown in WIB."""

    number = models.PositiveIntegerField(_("nomor gelombang"), unique=True)
    opens_at = models.DateTimeField(_("dibuka"))
    closes_at = models.DateTimeField(_("ditutup"))
    announces_at = models.DateTimeField(_("pengumuman"))
    quota_total = models.PositiveIntegerField(_("kuota total"))
    is_additional = models.BooleanField(
        _("gelombang tambahan"),
        default=False,
        help_text=_("Dibuka dari kuota yang dipulihkan dari peserta yang dicabut."),
    )
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("gelombang")
        verbose_name_plural = _("gelombang")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")) & Q(closes_at__lte=F("announces_at")),
                name="wave_times_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Gelombang {self.number}"


class WaveProvinceQuota(models.Model):
    """Optional quota per province. When a wave has any, only these provinces are admitted."""

    wave = models.ForeignKey(
        Wave, on_delete=models.CASCADE, related_name="province_quotas", verbose_name=_("gelombang")
    )
    province = models.ForeignKey(Province, on_delete=models.PROTECT, verbose_name=_("provinsi"))
    quota = models.PositiveIntegerField(_("kuota"))

    class Meta:
        verbose_name = _("kuota provinsi")
        verbose_name_plural = _("kuota provinsi")
        constraints = [
            models.UniqueConstraint(
                fields=["wave", "province"], name="one_quota_per_wave_province"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wave} / {self.province_id}: {self.quota}"


class PriorityWhitelistEntry(models.Model):
    """An agency whitelist (e.g. laid-off workers from Kemnaker): these NIKs get a better tier."""

    nik_hash = models.CharField(_("hash NIK"), max_length=64, unique=True)
    tier = models.PositiveSmallIntegerField(
        _("tingkat prioritas"), default=0, help_text=_("0 = prioritas tertinggi")
    )
    source = models.CharField(_("sumber data"), max_length=100)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("daftar prioritas")
        verbose_name_plural = _("daftar prioritas")


# --- the participant ----------------------------------------------------------------------------


class Participant(models.Model):
    """A person in the program, from completed profile to finished.

    Profile steps are timestamps (``*_at``); the program status is ``status`` and changes only
    through services, each writing a ``ParticipantEvent`` in the same transaction.
    """

    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Pendaftar")
        SELECTED = "selected", _("Lolos")
        ACTIVE = "active", _("Aktif")
        REVOKED = "revoked", _("Kepesertaan dicabut")
        FROZEN = "frozen", _("Kartu dibekukan")
        EXPIRED = "expired", _("Saldo kedaluwarsa")
        FINISHED = "finished", _("Selesai")

    # Allowed transitions are data; services check them and raise InvalidTransition.
    # A frozen card returns to the status it had before the freeze (or is revoked for fraud);
    # an expired balance is not a revocation, but staff may still revoke for fraud.
    ALLOWED_TRANSITIONS: dict[str, set[str]] = {
        Status.APPLICANT: {Status.SELECTED},
        Status.SELECTED: {Status.ACTIVE, Status.REVOKED, Status.FROZEN, Status.EXPIRED},
        Status.ACTIVE: {Status.REVOKED, Status.FINISHED, Status.FROZEN, Status.EXPIRED},
        Status.FROZEN: {Status.SELECTED, Status.ACTIVE, Status.REVOKED},
        Status.EXPIRED: {Status.REVOKED},
        Status.REVOKED: set(),
        Status.FINISHED: set(),
    }

    class Gender(models.TextChoices):
        MALE = "M", _("Laki-laki")
        FEMALE = "F", _("Perempuan")

    class Education(models.TextChoices):
        NONE = "none", _("Tidak/belum sekolah")
        SD = "sd", _("SD/sederajat")
        SMP = "smp", _("SMP/sederajat")
        SMA = "sma", _("SMA/SMK/sederajat")
        DIPLOMA = "diploma", _("Diploma (D1-D4)")
        S1 = "s1", _("Sarjana (S1)")
        S2 = "s2", _("Magister (S2)")
        S3 = "s3", _("Doktor (S3)")

    class Employment(models.TextChoices):
        UNEMPLOYED = "unemployed", _("Tidak bekerja / mencari kerja")
        LAID_OFF = "laid_off", _("Korban PHK")
        EMPLOYEE = "employee", _("Pekerja/buruh")
        SELF_EMPLOYED = "self_employed", _("Wirausaha / usaha mikro")
        INFORMAL = "informal", _("Pekerja informal / lepas")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="participant",
        verbose_name=_("akun"),
    )

    # Identity. The NIK and KK are never stored in clear: a keyed hash for lookups and
    # uniqueness, Fernet encryption for the value, and a masked copy for display.
    nik_hash = models.CharField(
        _("hash NIK"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    nik_encrypted = models.TextField(_("NIK (terenkripsi)"), blank=True, default="", editable=False)
    nik_masked = models.CharField(_("NIK"), max_length=16, blank=True, default="", editable=False)
    kk_hash = models.CharField(
        _("hash nomor KK"), max_length=64, blank=True, default="", db_index=True, editable=False
    )
    kk_encrypted = models.TextField(
        _("nomor KK (terenkripsi)"), blank=True, default="", editable=False
    )
    birth_date = models.DateField(_("tanggal lahir"), null=True, blank=True)
    gender = models.CharField(_("jenis kelamin"), max_length=1, choices=Gender, blank=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("provinsi")
    )
    regency = models.ForeignKey(
        Regency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        verbose_name=_("kabupaten/kota"),
    )
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        verbose_name=_("kecamatan"),
    )
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    education = models.CharField(_("pendidikan"), max_length=16, choices=Education, blank=True)
    employment_status = models.CharField(
        _("status pekerjaan"), max_length=16, choices=Employment, blank=True
    )
    identity_verified_at = models.DateTimeField(
        _("identitas terverifikasi pada"), null=True, blank=True
    )

    phone = models.CharField(_("nomor HP"), max_length=16, blank=True, db_index=True)
    phone_verified_at = models.DateTimeField(_("HP terverifikasi pada"), null=True, blank=True)

    # "Pernyataan Pendaftar"
    is_student = models.BooleanField(_("pelajar/mahasiswa"), null=True, blank=True)
    is_civil_servant = models.BooleanField(_("ASN/TNI/Polri"), null=True, blank=True)
    receives_social_aid = models.BooleanField(_("penerima bansos"), null=True, blank=True)
    is_unemployed = models.BooleanField(_("tidak bekerja"), null=True, blank=True)
    declared_at = models.DateTimeField(_("pernyataan diisi pada"), null=True, blank=True)

    test_passed_at = models.DateTimeField(_("lulus tes dasar pada"), null=True, blank=True)
    priority_tier = models.PositiveSmallIntegerField(_("tingkat prioritas"), default=9)

    # Program status
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.APPLICANT)
    wave = models.ForeignKey(
        Wave,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # participant_wave_status (wave, status) serves lookups by wave
        related_name="participants",
        verbose_name=_("gelombang lolos"),
    )
    selected_at = models.DateTimeField(_("lolos seleksi pada"), null=True, blank=True)
    card_number = models.CharField(
        _("nomor kartu"), max_length=16, unique=True, null=True, blank=True, editable=False
    )
    oriented_at = models.DateTimeField(_("orientasi selesai pada"), null=True, blank=True)
    # Looked up only through the partial index sweep_candidates (sweep and reminders).
    first_purchase_deadline = models.DateTimeField(
        _("batas pembelian pertama"), null=True, blank=True
    )
    first_purchase_at = models.DateTimeField(_("pembelian pertama pada"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("dicabut pada"), null=True, blank=True)
    revoke_reason = models.CharField(_("alasan pencabutan"), max_length=64, blank=True)
    # The status the card had when it was frozen; lifting the freeze restores it and clears this.
    # db_default: the set-based jobs insert and update rows in raw SQL without naming it.
    frozen_from_status = models.CharField(
        _("status sebelum dibekukan"),
        max_length=16,
        choices=Status,
        blank=True,
        default="",
        db_default="",
    )
    # When the current freeze began; lifting it moves the first-purchase deadline later by the
    # days the card could not buy (deadlines.first_purchase_deadline_after_freeze) and clears this.
    frozen_at = models.DateTimeField(_("dibekukan pada"), null=True, blank=True)
    # Days the freezes lifted so far added to the first-purchase deadline (the dashboard says so).
    # db_default: the set-based jobs insert rows in raw SQL without naming it.
    deadline_extended_days = models.PositiveSmallIntegerField(
        _("batas diperpanjang (hari)"), default=0, db_default=0
    )
    finished_at = models.DateTimeField(_("selesai pada"), null=True, blank=True)
    # Training balance, whole rupiah. Kept equal to the sum of the ledger.
    balance_idr = models.BigIntegerField(_("saldo pelatihan (Rp)"), default=0)
    balance_expires_at = models.DateTimeField(_("saldo hangus pada"), null=True, blank=True)

    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diperbarui pada"), auto_now=True)

    class Meta:
        verbose_name = _("peserta")
        verbose_name_plural = _("peserta")
        # Staff actions on a person (participants.services.fraud and .profile); README "Staff
        # permissions" lists what an officer needs.
        permissions = [
            ("freeze_participant", _("Dapat membekukan kartu dan membuka pembekuan")),
            ("revoke_participant", _("Dapat mencabut kepesertaan karena kecurangan")),
            ("correct_profile", _("Dapat mengoreksi data profil yang menentukan seleksi")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(balance_idr__gte=0), name="balance_never_negative"),
            models.CheckConstraint(
                condition=Q(card_number__isnull=True) | Q(card_number__regex=r"^[0-9]{16}$"),
                name="card_number_16_digits",
            ),
        ]
        indexes = [
            # The nightly sweep and the reminders: selectors.awaiting_first_purchase() (the
            # values of AWAITING_FIRST_PURCHASE; Meta cannot see the Status class).
            models.Index(
                fields=["first_purchase_deadline"],
                condition=Q(first_purchase_at__isnull=True, status__in=["selected", "active"]),
                name="sweep_candidates",
            ),
            models.Index(fields=["wave", "status"], name="participant_wave_status"),
        ]

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.nik_masked or '-'})"

    @property
    def profile_complete(self) -> bool:
        return bool(
            self.user.email_verified_at
            and self.identity_verified_at
            and self.phone_verified_at
            and self.declared_at
            and self.test_passed_at
        )


class Application(models.Model):
    """A participant's entry in one wave ("Gabung") and the outcome of its selection."""

    class Status(models.TextChoices):
        JOINED = "joined", _("Menunggu gelombang ditutup")
        PROCESSING = "processing", _("Sedang diproses")
        SELECTED = "selected", _("Lolos")
        NOT_SELECTED = "not_selected", _("Belum berhasil")

    class Reason(models.TextChoices):
        TOO_YOUNG = "too_young", _("Usia belum 18 tahun pada tanggal penutupan gelombang.")
        TOO_OLD = "too_old", _("Usia di atas 64 tahun pada tanggal penutupan gelombang.")
        STUDENT = "student", _("Sedang menempuh pendidikan formal.")
        CIVIL_SERVANT = (
            "civil_servant",
            _(
                "ASN, TNI, Polri, perangkat desa, anggota DPR/DPRD, "
                "atau direksi/komisaris BUMN/BUMD."
            ),
        )
        OTHER_SOCIAL_AID = "other_social_aid", _("Sedang menerima bantuan sosial lain.")
        FAMILY_CARD_LIMIT = (
            "family_card_limit",
            _("Sudah ada 2 penerima dalam satu Kartu Keluarga."),
        )
        BLACKLISTED = "blacklisted", _("NIK masuk daftar hitam program.")
        ALREADY_PARTICIPANT = "already_participant", _("Sudah pernah menjadi penerima program.")
        OUTSIDE_QUOTA_REGION = (
            "outside_quota_region",
            _("Provinsi domisili tidak mendapat kuota pada gelombang ini."),
        )
        QUOTA_FULL = "quota_full", _("Kuota gelombang di provinsi Anda sudah terpenuhi.")

    # Both foreign keys are served by the indexes below (one_application_per_wave leads with
    # participant, application_wave is the wave). No index holds the status or the outcome
    # columns, and the table keeps free space in each page (fillfactor, migration 0056): the
    # selection's update of every application of a wave is then a HOT update, written in the
    # heap page alone, without a new entry in every index for each of a million rows.
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="applications",
        db_index=False,
        verbose_name=_("peserta"),
    )
    wave = models.ForeignKey(
        Wave,
        on_delete=models.PROTECT,
        related_name="applications",
        db_index=False,
        verbose_name=_("gelombang"),
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.JOINED)
    reason_code = models.CharField(_("kode alasan"), max_length=32, choices=Reason, blank=True)
    # Snapshot at selection: the province quota it competed in, its tier and its draw position.
    # A snapshot of reference data written for every applicant at once; without a database
    # constraint so selection does not pay a million deferred foreign-key checks at COMMIT.
    province = models.ForeignKey(
        Province,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        verbose_name=_("provinsi"),
    )
    priority_tier = models.PositiveSmallIntegerField(_("tingkat prioritas"), null=True, blank=True)
    draw_rank = models.BigIntegerField(_("urutan undian"), null=True, blank=True)
    joined_at = models.DateTimeField(_("bergabung pada"))
    decided_at = models.DateTimeField(_("diputuskan pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("pendaftaran gelombang")
        verbose_name_plural = _("pendaftaran gelombang")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "wave"], name="one_application_per_wave"
            ),
        ]
        indexes = [models.Index(fields=["wave"], name="application_wave")]

    def __str__(self) -> str:
        return f"{self.participant_id} @ {self.wave_id}: {self.status}"


class SelectionRun(models.Model):
    """The record of a wave's selection: who ran it, when, with which seed, and the counts.

    One per wave (a database constraint): a second run is refused.
    """

    wave = models.OneToOneField(
        Wave, on_delete=models.PROTECT, related_name="selection_run", verbose_name=_("gelombang")
    )
    seed = models.CharField(max_length=64)
    started_at = models.DateTimeField(_("mulai pada"))
    finished_at = models.DateTimeField(_("selesai pada"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("pelaku"),
    )
    applicants = models.PositiveIntegerField(_("pendaftar"), default=0)
    eligible = models.PositiveIntegerField(_("memenuhi syarat"), default=0)
    selected = models.PositiveIntegerField(_("lolos"), default=0)
    not_selected = models.PositiveIntegerField(_("belum berhasil"), default=0)
    counts_by_reason = models.JSONField(_("jumlah per alasan"), default=dict, blank=True)

    class Meta:
        verbose_name = _("proses seleksi")
        verbose_name_plural = _("proses seleksi")

    def __str__(self) -> str:
        return f"Seleksi {self.wave}"


# --- the training balance ledger ----------------------------------------------------------------


class LedgerEntry(models.Model):
    """One movement of a participant's training balance. Every rupiah is explained here.

    Credits are positive, debits negative; ``balance_after_idr`` is the balance right after this
    entry, written in the same statement that moved ``Participant.balance_idr``.
    """

    class Kind(models.TextChoices):
        GRANT = "grant", _("Saldo pelatihan diberikan")
        PURCHASE = "purchase", _("Pembelian pelatihan")
        REVERSAL = "reversal", _("Pembatalan pembelian")
        FORFEIT = "forfeit", _("Saldo hangus (kepesertaan dicabut)")
        EXPIRY = "expiry", _("Saldo kedaluwarsa")

    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
        verbose_name=_("peserta"),
    )
    kind = models.CharField(_("jenis"), max_length=16, choices=Kind)
    amount_idr = models.BigIntegerField(_("jumlah (Rp)"))
    balance_after_idr = models.BigIntegerField(_("saldo setelahnya (Rp)"))
    # What caused it: a payment id for purchase/reversal, a sweep run for forfeit, and so on.
    reference = models.CharField(_("referensi"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        verbose_name = _("mutasi saldo")
        verbose_name_plural = _("mutasi saldo")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["grant", "reversal"], amount_idr__gt=0)
                    | Q(kind__in=["purchase", "forfeit", "expiry"], amount_idr__lt=0)
                ),
                name="ledger_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_after_idr__gte=0), name="ledger_balance_after_never_negative"
            ),
            models.UniqueConstraint(
                fields=["participant", "kind"],
                condition=Q(kind__in=["grant", "forfeit", "expiry"]),
                name="one_grant_forfeit_expiry_each",
            ),
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=Q(kind__in=["purchase", "reversal"]),
                name="one_ledger_entry_per_payment",
            ),
        ]
        indexes = [models.Index(fields=["participant", "created_at"], name="ledger_by_participant")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_idr} -> {self.balance_after_idr}"


# --- blacklist and audit ------------------------------------------------------------------------


class BlacklistEntry(models.Model):
    """A lifetime ban, by the NIK's keyed hash. Removal keeps the row (audit) and needs a reason."""

    class Reason(models.TextChoices):
        NO_FIRST_PURCHASE = "no_first_purchase", _("Tidak membeli pelatihan pertama dalam 30 hari")
        FRAUD = "fraud", _("Kecurangan / penyalahgunaan")
        OTHER = "other", _("Lainnya")

    # Looked up through the partial unique index of the active entries (is_blacklisted, the
    # sweep's ON CONFLICT); no second index over every entry, which the sweep would have to
    # update at a random place for each of its revocations (migration 0057).
    nik_hash = models.CharField(_("hash NIK"), max_length=64)
    nik_masked = models.CharField(_("NIK"), max_length=16, blank=True)
    full_name = models.CharField(_("nama"), max_length=150)
    # The ban is keyed by nik_hash; the participant link is for display. No database constraint
    # for the same reason as ParticipantEvent.participant (the sweep writes 10,000 per batch).
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="blacklist",
        db_constraint=False,
        verbose_name=_("peserta"),
    )
    reason_code = models.CharField(_("alasan"), max_length=32, choices=Reason)
    legal_basis = models.CharField(_("dasar hukum"), max_length=200, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    created_at = models.DateTimeField(_("dibuat pada"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("dibuat oleh"),
    )
    removed_at = models.DateTimeField(_("dihapus pada"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("dihapus oleh"),
    )
    removal_reason = models.TextField(_("alasan penghapusan"), blank=True)

    class Meta:
        verbose_name = _("daftar hitam")
        verbose_name_plural = _("daftar hitam")
        constraints = [
            models.UniqueConstraint(
                fields=["nik_hash"],
                condition=Q(removed_at__isnull=True),
                name="one_active_blacklist_entry_per_nik",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nik_masked} ({self.reason_code})"


class ParticipantEvent(models.Model):
    """The audit trail: every decision about a person, with its reason code, time and actor."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Perubahan status")
        PROFILE = "profile", _("Perubahan data")
        ELIGIBILITY = "eligibility", _("Kelayakan")
        SELECTION = "selection", _("Seleksi")
        BLACKLIST = "blacklist", _("Daftar hitam")
        PAYOUT = "payout", _("Pembayaran insentif")
        NOTE = "note", _("Catatan")

    # No database constraint: this append-only log takes a million rows per selection or sweep,
    # and each row's deferred foreign-key check (a KEY SHARE lock on the participant) cost more
    # than the insert itself. Rows are written only by services from participants they have just
    # selected, and participants are never deleted (PROTECT elsewhere).
    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
        db_constraint=False,
        verbose_name=_("peserta"),
    )
    kind = models.CharField(_("jenis"), max_length=16, choices=Kind)
    from_status = models.CharField(_("status lama"), max_length=16, blank=True)
    to_status = models.CharField(_("status baru"), max_length=16, blank=True)
    reason_code = models.CharField(_("kode alasan"), max_length=64, blank=True)
    note = models.TextField(_("catatan"), blank=True)
    # A profile correction: which field, its value before and after (as text). db_default: the
    # set-based jobs insert events in raw SQL without naming these columns.
    field = models.CharField(_("data"), max_length=64, blank=True, default="", db_default="")
    old_value = models.CharField(
        _("nilai lama"), max_length=255, blank=True, default="", db_default=""
    )
    new_value = models.CharField(
        _("nilai baru"), max_length=255, blank=True, default="", db_default=""
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("pelaku"),
    )
    created_at = models.DateTimeField(_("dibuat pada"))

    class Meta:
        verbose_name = _("riwayat keputusan")
        verbose_name_plural = _("riwayat keputusan")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["participant", "created_at"], name="event_by_participant")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.from_status}->{self.to_status} ({self.reason_code})"


# --- one-time passwords -------------------------------------------------------------------------


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


# --- the basic test ("Tes Motivasi & Kemampuan Dasar") -------------------------------------------


class BasicTestQuestion(models.Model):
    """One multiple-choice question of the basic test's bank, managed by staff in the admin."""

    class Option(models.TextChoices):
        A = "a", "A"
        B = "b", "B"
        C = "c", "C"
        D = "d", "D"

    text = models.TextField(_("pertanyaan"))
    option_a = models.CharField(_("pilihan A"), max_length=255)
    option_b = models.CharField(_("pilihan B"), max_length=255)
    option_c = models.CharField(_("pilihan C"), max_length=255)
    option_d = models.CharField(_("pilihan D"), max_length=255)
    correct_option = models.CharField(_("jawaban benar"), max_length=1, choices=Option)
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("soal tes")
        verbose_name_plural = _("bank soal tes")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:80]

    def options(self) -> list[tuple[str, str]]:
        return [
            ("a", self.option_a),
            ("b", self.option_b),
            ("c", self.option_c),
            ("d", self.option_d),
        ]


class BasicTestAttempt(models.Model):
    """One sitting of the basic test: the drawn questions, the server-side deadline, the grade."""

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="test_attempts",
        verbose_name=_("peserta"),
    )
    question_ids = models.JSONField(_("soal"), default=list)
    answers = models.JSONField(_("jawaban"), default=dict, blank=True)
    started_at = models.DateTimeField(_("mulai pada"))
    expires_at = models.DateTimeField(_("kedaluwarsa pada"))
    submitted_at = models.DateTimeField(_("dikumpulkan pada"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("nilai"), null=True, blank=True)
    passed = models.BooleanField(_("lulus"), null=True, blank=True)
    late = models.BooleanField(_("terlambat"), default=False)

    class Meta:
        verbose_name = _("percobaan tes")
        verbose_name_plural = _("percobaan tes")
        ordering = ["-started_at"]
        constraints = [
            # At most one unfinished attempt at a time per participant.
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(submitted_at__isnull=True),
                name="one_open_test_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} @ {self.started_at:%Y-%m-%d %H:%M}"


# --- orientation ----------------------------------------------------------------------------------


class OrientationVideo(models.Model):
    """An introduction video. Participants watch every active one, in order, to the end."""

    order = models.PositiveSmallIntegerField(_("urutan"), unique=True)
    title = models.CharField(_("judul"), max_length=150)
    description = models.TextField(_("keterangan"), blank=True)
    file = models.FileField(_("berkas video"), upload_to="orientasi/", blank=True)
    url = models.CharField(
        _("alamat video"),
        max_length=500,
        blank=True,
        help_text=_("Dipakai bila tidak ada berkas, mis. /static/video/orientasi-1.webm"),
    )
    duration_seconds = models.PositiveIntegerField(_("durasi (detik)"))
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("video orientasi")
        verbose_name_plural = _("video orientasi")
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_seconds__gt=0), name="video_has_duration"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class VideoProgress(models.Model):
    """Server-side record of one participant watching one video: started, then completed."""

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="video_progress",
        verbose_name=_("peserta"),
    )
    video = models.ForeignKey(OrientationVideo, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(_("mulai pada"))
    completed_at = models.DateTimeField(_("tuntas pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("progres video")
        verbose_name_plural = _("progres video")
        constraints = [
            models.UniqueConstraint(fields=["participant", "video"], name="one_progress_per_video"),
        ]
