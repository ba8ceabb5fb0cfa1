"""Staff corrections of decisive profile fields: the correction page of a participant and the
list of declaration corrections waiting for a second staff member (four eyes).

The page offers only the fields the staff member may see (``participants.visibility``); a post
that names any other field is refused and recorded whatever its value, so trying values tells
nothing. ``participants.services.profile`` does the work and writes every audit row."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from participants import services, visibility
from participants.admin.base import ReadOnlyMixin, run_with_reason
from participants.models import District, DomainError, Participant, ProfileCorrection

CORRECT_PERMISSION = "participants.correct_profile"

FIELD_LABELS = {
    "birth_date": _("Tanggal lahir (sesuai NIK)"),
    "gender": _("Jenis kelamin (sesuai NIK)"),
    "district": _("Kode kecamatan (6 digit, sesuai NIK)"),
    "education": _("Pendidikan"),
    "employment_status": _("Status pekerjaan"),
    "is_student": _("Sedang sekolah/kuliah"),
    "is_civil_servant": _("ASN/TNI/Polri/perangkat desa/DPR(D)/direksi BUMN(D)"),
    "receives_social_aid": _("Menerima bantuan sosial lain"),
    "is_unemployed": _("Sedang tidak bekerja"),
}
# Every name a correction post could carry: the correctable fields and the other decisive ones.
POSTABLE_FIELDS = (*services.CORRECTABLE_FIELDS, "priority_tier", "regency", "province")


def correctable_fields(user) -> list[str]:
    """The fields ``user`` may correct: those of ``CORRECTABLE_FIELDS`` they may see."""
    return [name for name in services.CORRECTABLE_FIELDS if visibility.may_see(user, name)]


class DeclarationSelect(forms.NullBooleanSelect):
    """Ya / Tidak; "Belum diisi" only while the person has not declared (a correction cannot
    make a declaration unknown)."""

    def __init__(self, *, allow_unknown: bool):
        super().__init__()
        self.choices = [("true", _("Ya")), ("false", _("Tidak"))]
        if allow_unknown:
            self.choices.insert(0, ("unknown", _("Belum diisi")))


class ProfileCorrectionForm(forms.Form):
    """The fields the staff member may correct, with their current values; only those changed
    are corrected. Declarations go to a second staff member."""

    reason = forms.CharField(label=_("Alasan koreksi"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, participant: Participant, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in fields:
            current = getattr(participant, Participant._meta.get_field(name).attname)
            if name == "district":
                field = forms.CharField(label=FIELD_LABELS[name], max_length=6, required=False)
            elif name == "birth_date":
                field = forms.DateField(
                    label=FIELD_LABELS[name],
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                )
            elif name in services.DECLARATION_FIELDS:
                field = forms.NullBooleanField(
                    label=FIELD_LABELS[name],
                    required=False,
                    widget=DeclarationSelect(allow_unknown=current is None),
                    help_text=_("Berlaku setelah disetujui petugas lain."),
                )
            else:
                field = Participant._meta.get_field(name).formfield(label=FIELD_LABELS[name])
            field.initial = current if current is not None or name != "district" else ""
            self.fields[name] = field
        self.order_fields([*fields, "reason"])

    def clean_district(self) -> District | None:
        code = self.cleaned_data["district"].strip()
        if not code:
            return None
        district = District.objects.select_related("regency__province").filter(code=code).first()
        if district is None:
            raise forms.ValidationError(_("Kode kecamatan tidak dikenal."))
        return district

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "reason"}


NOT_PERMITTED = _("Anda tidak berwenang mengoreksi data ini. Percobaan ini dicatat.")


def correction_page(model_admin, request, pk: int) -> TemplateResponse:
    """The correction page of participant ``pk`` (Admin > Peserta > Koreksi data profil)."""
    if not request.user.has_perm(CORRECT_PERMISSION):
        raise PermissionDenied
    participant = get_object_or_404(Participant.objects.select_related("user"), pk=pk)
    fields = correctable_fields(request.user)
    data = request.POST if request.method == "POST" else None
    form = ProfileCorrectionForm(data, participant=participant, fields=fields)
    forged = [name for name in POSTABLE_FIELDS if data is not None and name in data]
    forged = [name for name in forged if name not in fields]
    if forged:
        # Refused whatever the values: the answer must not depend on them.
        services.record_refused_correction(
            participant=participant,
            fields=forged,
            reason=data.get("reason", ""),
            code="field_not_permitted",
            actor=request.user,
        )
        form.is_valid()
        form.add_error(None, NOT_PERMITTED)
    elif form.is_valid():
        try:
            done = services.correct_profile(
                participant=participant,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            model_admin.message_user(
                request,
                _("%(count)d data dikoreksi dan dicatat di riwayat keputusan.")
                % {"count": len(done.events)},
                messages.SUCCESS,
            )
            if done.pending:
                model_admin.message_user(
                    request,
                    _(
                        "%(count)d koreksi pernyataan menunggu persetujuan petugas lain "
                        "(Peserta > Koreksi pernyataan)."
                    )
                    % {"count": len(done.pending)},
                    messages.INFO,
                )
            return redirect("admin:participants_participant_change", participant.pk)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Koreksi data profil"),
        "form": form,
        "participant": participant,
        "change_url": reverse("admin:participants_participant_change", args=[participant.pk]),
    }
    return TemplateResponse(request, "admin/participants/participant/correct.html", context)


@admin.register(ProfileCorrection)
class ProfileCorrectionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Declaration corrections and their decisions. Staff who may correct profiles approve or
    reject other people's requests here, each with a reason; nobody decides their own."""

    list_display = [
        "participant",
        "field_label",
        "old_value",
        "new_value",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
    ]
    list_filter = ["status"]
    list_select_related = ["participant__user", "requested_by", "decided_by"]
    actions = ["approve_corrections", "reject_corrections"]
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(CORRECT_PERMISSION)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm(CORRECT_PERMISSION)

    @admin.display(description=_("data"), ordering="field")
    def field_label(self, obj: ProfileCorrection) -> str:
        return str(FIELD_LABELS.get(obj.field, obj.field))

    @admin.action(description=_("Setujui koreksi (wajib alasan)"), permissions=["decide"])
    def approve_corrections(self, request, queryset):
        return self._decide(
            request,
            queryset,
            action="approve_corrections",
            service=services.approve_correction,
            title=_("Setujui koreksi pernyataan"),
            done=_("%(count)d koreksi disetujui dan diterapkan."),
        )

    @admin.action(description=_("Tolak koreksi (wajib alasan)"), permissions=["decide"])
    def reject_corrections(self, request, queryset):
        return self._decide(
            request,
            queryset,
            action="reject_corrections",
            service=services.reject_correction,
            title=_("Tolak koreksi pernyataan"),
            done=_("%(count)d koreksi ditolak."),
        )

    def _decide(self, request, queryset, *, action, service, title, done):
        def refused(pairs) -> None:
            for correction, exc in pairs:
                self.message_user(
                    request, f"{correction.participant}: {exc.message}", messages.ERROR
                )

        return run_with_reason(
            self,
            request,
            list(queryset.select_related("participant__user")),
            call=lambda c, data: service(correction=c, reason=data["reason"], actor=request.user),
            done=done,
            action=action,
            title=title,
            intro=_(
                "Keputusan ini berlaku untuk koreksi berikut. Alasan dicatat di riwayat keputusan "
                "peserta beserta nama Anda dan waktunya."
            ),
            label=lambda c: (
                f"{c.participant} — {FIELD_LABELS.get(c.field, c.field)}: "
                f"{c.old_value or '-'} → {c.new_value} ({c.get_status_display()})"
            ),
            on_refused=refused,
        )
