"""The person in the program: identity, declarations, status, card and balance."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participants.models.regions import District, Province, Regency
from participants.models.waves import Wave


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

    class RegistryStatus(models.TextChoices):
        PENDING = "pending", _("Sedang diverifikasi")
        MATCH = "match", _("Sesuai data Dukcapil")
        MISMATCH = "mismatch", _("Tidak sesuai data Dukcapil")

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
    # The civil registry's (Dukcapil) answer about NIK + KK + name + birth date
    # (participants.services.registry_checks): only a match may be selected. db_default: the
    # set-based jobs insert rows in raw SQL without naming these columns.
    registry_status = models.CharField(
        _("verifikasi Dukcapil"),
        max_length=16,
        choices=RegistryStatus,
        blank=True,
        default="",
        db_default="",
    )
    registry_field = models.CharField(
        _("data yang tidak sesuai"), max_length=16, blank=True, default="", db_default=""
    )
    registry_attempts = models.PositiveSmallIntegerField(
        _("percobaan verifikasi Dukcapil"), default=0, db_default=0
    )
    registry_checked_at = models.DateTimeField(
        _("diverifikasi Dukcapil pada"), null=True, blank=True
    )
    # While pending: when the worker asks the registry again (backoff).
    registry_next_check_at = models.DateTimeField(
        _("verifikasi Dukcapil berikutnya"), null=True, blank=True
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
            # The worker's catch-up of civil-registry checks still waiting for an answer.
            models.Index(
                fields=["registry_next_check_at"],
                condition=Q(registry_status="pending"),
                name="registry_checks_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.nik_masked or '-'})"

    @property
    def identity_done(self) -> bool:
        """The identity step is done: stored, and not found to differ from the civil registry
        (a check still pending counts as done: the person goes on meanwhile)."""
        return bool(
            self.identity_verified_at and self.registry_status != self.RegistryStatus.MISMATCH
        )

    @property
    def profile_complete(self) -> bool:
        return bool(
            self.user.email_verified_at
            and self.identity_done
            and self.phone_verified_at
            and self.declared_at
            and self.test_passed_at
        )
