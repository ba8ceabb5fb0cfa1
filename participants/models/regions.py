"""Kemendagri reference data: provinces, regencies, districts."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
