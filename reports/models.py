"""The reports app owns no data: this unmanaged model only carries its permissions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
