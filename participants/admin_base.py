"""What the participants admin pages share (and the trainings and incentives admins use):
read-only records, the page that asks a reason for an action, the NIK search."""

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from participants import crypto, nik


class ReadOnlyMixin:
    """Records written only by services (audit rows, runs, ledgers): staff may look, never
    add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NikSearchMixin:
    """A 16-digit search term is a NIK: matched exactly through its keyed hash (the clear NIK is
    not in the database); any other term searches the ``search_fields``."""

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if nik.is_16_digits(term):
            return queryset.filter(nik_hash=crypto.keyed_hash(term)), False
        return super().get_search_results(request, queryset, search_term)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionReasonForm(forms.Form):
    """A decision about a person's card: a note for staff and the words the person is told."""

    reason = forms.CharField(
        label=_("Catatan internal (hanya untuk petugas)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Tersimpan di riwayat keputusan; tidak pernah ditampilkan kepada peserta."),
    )
    participant_reason = forms.CharField(
        label=_("Alasan untuk peserta"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Dikirim kepada peserta lewat SMS dan email dan tampil di dasbornya. Tulis dengan "
            "bahasa yang sopan dan jelas, tanpa nama pelapor atau catatan pemeriksaan."
        ),
    )


def action_with_reason_page(
    model_admin, request, *, form, action: str, title, intro, items
) -> TemplateResponse:
    """The intermediate page of an admin action that asks a reason: ``items`` are the selected
    rows as ``(object, label)``; the form posts back to ``action`` with ``apply``."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "intro": intro,
        "form": form,
        "items": items,
        "action": action,
        "submit_label": title,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/participants/action_with_reason.html", context)
