"""A participant's entry in a wave and the record of each wave's draw."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from participants.models.participant import Participant
from participants.models.regions import Province
from participants.models.waves import Wave


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
        IDENTITY_NOT_VERIFIED = (
            "identity_not_verified",
            _("Data identitas belum terverifikasi sesuai data Dukcapil."),
        )
        # The state's lists (participants/eligibility/sources.py names each source's code).
        EXCLUDED_ASN = "excluded_asn", _("Terdaftar sebagai ASN menurut data BKN.")
        EXCLUDED_TNI = "excluded_tni", _("Terdaftar sebagai anggota TNI.")
        EXCLUDED_POLRI = "excluded_polri", _("Terdaftar sebagai anggota Polri.")
        EXCLUDED_VILLAGE_OFFICIAL = (
            "excluded_village_official",
            _("Terdaftar sebagai kepala desa atau perangkat desa menurut data Kemendagri."),
        )
        EXCLUDED_LEGISLATOR = "excluded_legislator", _("Terdaftar sebagai anggota DPR/DPRD.")
        EXCLUDED_STATE_ENTERPRISE = (
            "excluded_state_enterprise",
            _("Terdaftar sebagai direksi atau komisaris BUMN/BUMD."),
        )
        OTHER_AID_BSU = (
            "other_aid_bsu",
            _(
                "Terdaftar sebagai penerima BSU (Bantuan Subsidi Upah) menurut data BPJS "
                "Ketenagakerjaan."
            ),
        )
        OTHER_AID_BPUM = (
            "other_aid_bpum",
            _(
                "Terdaftar sebagai penerima BPUM (Banpres Produktif Usaha Mikro) menurut data "
                "KemenkopUKM."
            ),
        )
        OTHER_AID_KEMENSOS = (
            "other_aid_kemensos",
            _("Terdaftar sebagai penerima bantuan sosial menurut data Kemensos."),
        )

    # Both foreign keys are served by the indexes below (one_application_per_wave leads with
    # participant, application_wave is the wave). No index holds the status or the outcome
    # columns, and the table keeps free space in each page (fillfactor, migration 0004): the
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
