"""The reports app's data: the daily rollup behind the trends. ``ProgramReport`` has no table;
it only carries the reports permissions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from participants.models import Wave


class ProgramReport(models.Model):
    """No table. Holds ``reports.view_program_dashboard`` and ``reports.export_program_data``."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("laporan program")
        verbose_name_plural = _("laporan program")
        permissions = [
            ("view_program_dashboard", _("Dapat melihat dasbor program")),
            ("export_program_data", _("Dapat mengunduh ekspor CSV program")),
        ]


class DailyCount(models.Model):
    """How many times one program event happened on one WIB day, per wave where the event
    belongs to one (``wave`` empty: registrations, and events of people in no wave).

    Written only by ``reports.rollup.rollup_daily_counts``, which recomputes whole days from the
    source tables, so a row is always the count as of its last rollup.
    """

    class Series(models.TextChoices):
        REGISTRATIONS = "registrations", _("Pendaftaran akun")
        JOINS = "joins", _("Gabung gelombang")
        SELECTIONS = "selections", _("Lolos seleksi")
        FIRST_PURCHASES = "first_purchases", _("Pembelian pelatihan pertama")
        REVOCATIONS = "revocations", _("Kepesertaan dicabut")
        PAYOUTS_PAID = "payouts_paid", _("Insentif dibayar")
        PAYOUTS_FAILED = "payouts_failed", _("Pencairan insentif gagal")
        COMPLAINTS = "complaints", _("Pengaduan masuk")

    day = models.DateField(_("tanggal (WIB)"))
    series = models.CharField(_("deret"), max_length=32, choices=Series)
    wave = models.ForeignKey(
        Wave,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gelombang"),
    )
    value = models.PositiveIntegerField(_("jumlah"))

    class Meta:
        verbose_name = _("hitungan harian")
        verbose_name_plural = _("hitungan harian")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "series", "wave"],
                nulls_distinct=False,
                name="one_daily_count_per_series_and_wave",
            ),
        ]
        indexes = [models.Index(fields=["wave", "day"], name="daily_count_by_wave")]

    def __str__(self) -> str:
        return f"{self.day} {self.series} {self.wave_id or '-'}: {self.value}"
