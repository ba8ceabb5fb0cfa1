"""The wave page's stage and selection preview: staff see what the draw of a closed wave would
decide (counts per province and reason, and how the seed is chosen) before it runs."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from participants.models import Application, DomainError, Wave
from participants.waves.labels import wave_stage
from participants.waves.selection import SELECTED_REASON, preview_selection


class WaveStageMixin:
    """Mixed into ``WaveAdmin``: a stage column and field, and the preview page."""

    @admin.display(description=_("tahap"))
    def stage(self, obj: Wave) -> str:
        if obj.pk is None:
            return "-"  # the add page
        return wave_stage(obj, now=timezone.now()).text

    @admin.display(description=_("pratinjau seleksi"))
    def preview_link(self, obj: Wave) -> str:
        if obj.pk is None or wave_stage(obj, now=timezone.now()).code != "processing":
            return "-"
        url = reverse("admin:participants_wave_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Lihat pratinjau hasil seleksi"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        return [
            path("<int:pk>/pratinjau-seleksi/", view, name="participants_wave_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk: int):
        wave = get_object_or_404(Wave, pk=pk)
        if not self.has_view_permission(request, wave):
            raise PermissionDenied
        try:
            preview = preview_selection(wave=wave)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:participants_wave_change", wave.pk)
        labels = dict(Application.Reason.choices)
        labels[SELECTED_REASON] = _("Lolos")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": wave,
            "title": _("Pratinjau seleksi %(wave)s") % {"wave": wave},
            "preview": preview,
            "rows": [(row, labels.get(row.reason, row.reason)) for row in preview.rows],
            "reasons": [
                (labels.get(reason, reason), count)
                for reason, count in preview.counts_by_reason.items()
            ],
        }
        return TemplateResponse(request, "admin/participants/wave/preview.html", context)
