"""Staff pages of eligibility beyond the declarations: the state's lists and their versions (and
the page that imports one), the exceptions recorded after a complaint, the review queue of people
flagged after selection (four eyes), the civil registry's answers. Everything goes through
``participants.eligibility`` services; rows are never edited."""

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.admin.base import ReadOnlyMixin, action_with_reason_page
from participants.eligibility import exceptions, lists, reviews
from participants.eligibility.sources import Source
from participants.models import (
    AgencyList,
    DomainError,
    EligibilityReview,
    EligibilityReviewEvent,
    ListException,
    RegistryCheck,
)
from participants.registration import nik as nik_rules


class ListImportForm(forms.Form):
    source = forms.ChoiceField(label=_("Sumber daftar"), choices=Source.choices)
    file = forms.FileField(
        label=_("Berkas CSV"),
        help_text=_(
            "NIK pada kolom pertama; baris judul dan kolom lain boleh ada. Satu baris yang salah "
            "menolak seluruh berkas. Hanya hash NIK yang disimpan."
        ),
    )
    list_date = forms.DateField(
        label=_("Tanggal data"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Berlaku sampai"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list_date"].initial = today
        self.fields["valid_until"].initial = today + dt.timedelta(
            days=settings.LIST_DEFAULT_VALIDITY_DAYS
        )


@admin.register(AgencyList)
class AgencyListAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The versions of each source's list: which is in force, from when, how many NIKs. A new
    version comes only from the import page (or ``import_exclusion_list``)."""

    list_display = [
        "source",
        "version",
        "status",
        "list_date",
        "valid_until",
        "rows",
        "file_name",
        "imported_at",
        "imported_by",
    ]
    list_filter = ["status", "source"]
    list_select_related = ["imported_by"]
    change_list_template = "admin/participants/agencylist/change_list.html"

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("participants.add_agencylist")

    def get_urls(self):
        return [
            path(
                "impor/",
                self.admin_site.admin_view(self.import_view),
                name="participants_agencylist_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload a CSV as the next version of a source's list (``lists.import_list``)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        form = ListImportForm(request.POST or None, request.FILES or None, today=today)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = lists.import_list(
                    source=form.cleaned_data["source"],
                    stream=upload.open("rb"),
                    list_date=form.cleaned_data["list_date"],
                    valid_until=form.cleaned_data["valid_until"],
                    file_name=upload.name,
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                new, old = result.agency_list, result.replaced
                text = _("%(source)s versi %(version)d berlaku: %(rows)s NIK diimpor.") % {
                    "source": new.get_source_display(),
                    "version": new.version,
                    "rows": f"{new.rows:,}".replace(",", "."),
                }
                if old is not None:
                    text += " " + _("Versi %(version)d diganti.") % {"version": old.version}
                self.message_user(request, text, messages.SUCCESS)
                return redirect("admin:participants_agencylist_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Impor daftar instansi"),
            "form": form,
        }
        return TemplateResponse(request, "admin/participants/agencylist/import.html", context)


class ExceptionAddForm(forms.ModelForm):
    nik = forms.CharField(
        label=_("NIK (16 digit)"),
        min_length=16,
        max_length=16,
        help_text=_("Disimpan sebagai hash dan NIK tersamar; NIK lengkap tidak disimpan."),
    )

    class Meta:
        model = ListException
        fields = ["source", "reason", "complaint_ticket", "valid_until"]
        widgets = {"valid_until": forms.DateInput(attrs={"type": "date"})}

    def clean_nik(self) -> str:
        value = self.cleaned_data["nik"].strip()
        if not nik_rules.is_16_digits(value):
            raise forms.ValidationError(_("NIK harus terdiri dari 16 digit angka."))
        return value

    def clean_valid_until(self) -> dt.date:
        value = self.cleaned_data["valid_until"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Tanggal berlaku sampai tidak boleh sebelum hari ini."))
        return value


class ExceptionEndForm(forms.Form):
    reason = forms.CharField(label=_("Alasan diakhiri"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(ListException)
class ListExceptionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Exceptions are recorded (``exceptions.record_exception``) and may be ended early with a
    reason (``exceptions.end_exception``); never edited or deleted."""

    list_display = [
        "nik_masked",
        "source",
        "valid_until",
        "complaint_ticket",
        "created_by",
        "created_at",
        "ended_at",
    ]
    list_filter = ["source"]
    list_select_related = ["created_by"]
    exclude = ["nik_hash"]
    actions = ["end_exceptions"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("participants.add_listexception")

    def has_end_permission(self, request) -> bool:
        return request.user.has_perm("participants.change_listexception")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["nik", "source", "reason", "complaint_ticket", "valid_until"]
        return super().get_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ExceptionAddForm
            kwargs["fields"] = None
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        data = form.cleaned_data
        saved = exceptions.record_exception(
            nik_value=data["nik"],
            source=data["source"],
            reason=data["reason"],
            valid_until=data["valid_until"],
            complaint_ticket=data.get("complaint_ticket", ""),
            actor=request.user,
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved row.
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
        obj._state.adding = False

    @admin.action(description=_("Akhiri pengecualian (wajib alasan)"), permissions=["end"])
    def end_exceptions(self, request, queryset):
        form = ExceptionEndForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            ended = 0
            for exception in queryset.filter(ended_at__isnull=True):
                try:
                    exceptions.end_exception(
                        exception=exception, reason=form.cleaned_data["reason"], actor=request.user
                    )
                except DomainError:
                    continue  # ended by someone else meanwhile
                ended += 1
            self.message_user(
                request,
                _("%(count)d pengecualian diakhiri.") % {"count": ended},
                messages.SUCCESS,
            )
            return None
        return action_with_reason_page(
            self,
            request,
            form=form,
            action="end_exceptions",
            title=_("Akhiri pengecualian"),
            intro=_("Pengecualian berikut diakhiri; barisnya tetap disimpan beserta alasannya."),
            items=[(e, f"{e.nik_masked} — {e.get_source_display()}") for e in queryset],
        )


@admin.register(RegistryCheck)
class RegistryCheckAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Every answer of the civil registry: result, field, backend, attempt, time."""

    list_display = ["participant", "result", "field", "detail", "backend", "attempt", "checked_at"]
    list_filter = ["result", "backend"]
    list_select_related = ["participant__user"]
    raw_id_fields = ["participant"]
    show_full_result_count = False


class ReviewEventInline(ReadOnlyMixin, admin.TabularInline):
    model = EligibilityReviewEvent
    fields = ["created_at", "action", "decision", "actor", "note"]
    readonly_fields = fields
    extra = 0

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("participants.view_eligibilityreview")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class ProposalForm(forms.Form):
    decision = forms.ChoiceField(label=_("Keputusan yang diusulkan"))
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, decisions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [
            (value, EligibilityReview.Decision(value).label) for value in decisions
        ]


class RejectionForm(forms.Form):
    reason = forms.CharField(label=_("Alasan penolakan"), widget=forms.Textarea(attrs={"rows": 2}))


def review_steps_for(review: EligibilityReview, user) -> dict[str, str]:
    """For each step (``propose``, ``approve``, ``reject``): "" when ``user`` may take it now,
    else why not (shown beside the missing button)."""
    closed = review.status not in EligibilityReview.OPEN_STATUSES
    pending = bool(review.proposed_decision)
    own = pending and review.proposed_by_id == user.pk
    steps = {}
    if closed:
        steps["propose"] = str(_("Tinjauan ini sudah diputuskan."))
    elif pending:
        steps["propose"] = str(_("Sudah ada usulan yang menunggu persetujuan."))
    elif not user.has_perm("participants.propose_eligibilityreview"):
        steps["propose"] = str(_("Anda tidak berwenang mengusulkan keputusan."))
    else:
        steps["propose"] = ""
    for step in ("approve", "reject"):
        if not pending:
            steps[step] = str(_("Belum ada usulan keputusan."))
        elif own:
            steps[step] = str(_("Usulan Anda sendiri harus diputuskan petugas lain (empat mata)."))
        elif not user.has_perm("participants.approve_eligibilityreview"):
            steps[step] = str(_("Anda tidak berwenang menyetujui atau menolak usulan."))
        else:
            steps[step] = ""
    return steps


@admin.register(EligibilityReview)
class EligibilityReviewAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The queue of participants found on an exclusion list after selection. The change page
    shows what the staff member may do now: propose a decision (freeze, revoke, clear) with a
    reason, or approve or reject someone else's proposal (four eyes); each missing step says
    why. Nothing is decided by the list alone."""

    change_form_template = "admin/participants/eligibilityreview/change_form.html"
    list_display = [
        "participant",
        "source",
        "agency_list",
        "wave",
        "status",
        "flagged_at",
        "proposed_decision",
        "proposed_by",
        "decided_at",
    ]
    list_filter = ["status", "source", "wave"]
    list_select_related = ["participant__user", "agency_list", "wave", "proposed_by"]
    fields = [
        "participant",
        "source",
        "agency_list",
        "wave",
        "status",
        "flagged_at",
        "proposed_decision",
        "proposed_reason",
        "proposed_by",
        "proposed_at",
        "decision",
        "decision_reason",
        "decided_by",
        "approved_by",
        "decided_at",
    ]
    readonly_fields = fields
    inlines = [ReviewEventInline]
    show_full_result_count = False

    def get_urls(self):
        return [
            path(
                "<int:pk>/keputusan/<str:step>/",
                self.admin_site.admin_view(self.step_view),
                name="participants_eligibilityreview_step",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if review is not None:
            steps = review_steps_for(review, request.user)
            labels = {
                "propose": _("Usulkan keputusan"),
                "approve": _("Setujui dan jalankan usulan"),
                "reject": _("Tolak usulan"),
            }
            extra_context.update(
                review_steps=steps,
                missing_steps=[(key, labels[key], why) for key, why in steps.items() if why],
                proposal_form=ProposalForm(decisions=reviews.allowed_decisions(review)),
                rejection_form=RejectionForm(),
                step_labels=labels,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def step_view(self, request, pk: int, step: str):
        """POST only: ``usulkan`` (propose), ``setujui`` (approve) or ``tolak`` (reject)."""
        review = get_object_or_404(EligibilityReview.objects.select_related("participant"), pk=pk)
        back = redirect("admin:participants_eligibilityreview_change", pk)
        key = {"usulkan": "propose", "setujui": "approve", "tolak": "reject"}.get(step)
        if request.method != "POST" or key is None:
            return back
        if not request.user.has_perm("participants.view_eligibilityreview"):
            raise PermissionDenied
        refusal = review_steps_for(review, request.user)[key]
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return back
        try:
            if key == "propose":
                form = ProposalForm(request.POST, decisions=reviews.allowed_decisions(review))
                if not form.is_valid():
                    self.message_user(
                        request, _("Pilih keputusan dan tulis alasannya."), messages.ERROR
                    )
                    return back
                reviews.propose(
                    review=review,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
                text = _("Usulan dicatat; menunggu persetujuan petugas lain.")
            elif key == "approve":
                reviews.approve(review=review, actor=request.user)
                text = _("Usulan disetujui dan dijalankan.")
            else:
                form = RejectionForm(request.POST)
                if not form.is_valid():
                    self.message_user(request, _("Tulis alasan penolakan."), messages.ERROR)
                    return back
                reviews.reject(
                    review=review, reason=form.cleaned_data["reason"], actor=request.user
                )
                text = _("Usulan ditolak.")
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return back
        self.message_user(request, text, messages.SUCCESS)
        return back
