"""Waves and their quotas per province."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from participants.models.regions import Province


class Wave(models.Model):
    """An intake wave (gelombang). Times are stored in UTC and shown in WIB."""

    number = models.PositiveIntegerField(_("nomor gelombang"), unique=True)
    opens_at = models.DateTimeField(_("dibuka"))
    closes_at = models.DateTimeField(_("ditutup"))
    announces_at = models.DateTimeField(_("pengumuman"))
    # The budget year the wave belongs to: its balances expire on 15 December of it, and it is
    # announced between 17 November of the year before and 16 November of it
    # (participants.cards.deadlines). Empty on waves from before waves named it: the announcement's
    # calendar year (deadlines.wave_program_year).
    program_year = models.PositiveSmallIntegerField(
        _("tahun program"),
        null=True,
        blank=True,
        help_text=_("Tahun anggaran gelombang: saldo pesertanya berlaku sampai 15 Desember."),
    )
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
