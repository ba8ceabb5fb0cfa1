"""The staff queue for complaints. Status and assignment change only through services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from complaints import selectors, services
from complaints.canned import canned_choices, canned_text
from complaints.models import Complaint, ComplaintEvent, ComplaintReply
from complaints.selectors import AGE_BUCKETS, FIRST_RESPONSE_SLA, SLA_FILTERS
from participants.models import DomainError

# What a complaint officer needs, exactly (documented in the README; tests log in with these).
# The replies and the audit trail are shown read-only on the ticket page.
COMPLAINT_OFFICER_PERMISSIONS = [
    "complaints.view_complaint",
    "complaints.change_complaint",
    "complaints.view_complaintreply",
    "complaints.view_complaintevent",
]


class AgeFilter(admin.SimpleListFilter):
    title = _("umur pengaduan")
    parameter_name = "umur"

    def lookups(self, request, model_admin):
        return [(key, label) for key, label, _lo, _hi in AGE_BUCKETS]

    def queryset(self, request, queryset):
        now = timezone.now()
        for key, _label, lower, upper in AGE_BUCKETS:
            if self.value() == key:
                if lower is not None:
                    queryset = queryset.filter(created_at__lte=now - lower)
                if upper is not None:
                    queryset = queryset.filter(created_at__gt=now - upper)
                return queryset
        return queryset


class FirstResponseFilter(admin.SimpleListFilter):
    title = _("respons pertama (batas %(hours)d jam)") % {
        "hours": FIRST_RESPONSE_SLA.total_seconds() // 3600
    }
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return SLA_FILTERS

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return selectors.filter_by_sla(queryset, key=self.value(), now=timezone.now())


def _duration(delta) -> str:
    if delta.days >= 1:
        return _("%(n)d hari") % {"n": delta.days}
    if delta.seconds >= 3600:
        return _("%(n)d jam") % {"n": delta.seconds // 3600}
    return _("%(n)d menit") % {"n": delta.seconds // 60}


class ComplaintAdminForm(forms.ModelForm):
    """No model field is editable here: staff act through the three fields below."""

    reply = forms.CharField(
        label=_("Balasan untuk pelapor"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_("Dikirim ke email pelapor dan tampil di halaman status pengaduannya."),
    )
    canned_reply = forms.ChoiceField(
        label=_("Balasan siap pakai"),
        required=False,
        help_text=_("Dikirim bila kolom balasan di atas dikosongkan."),
    )
    new_status = forms.ChoiceField(label=_("Ubah status"), required=False)
    assign_to = forms.ModelChoiceField(
        label=_("Tugaskan ke"),
        required=False,
        queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email"),
    )

    class Meta:
        model = Complaint
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = Complaint.ALLOWED_TRANSITIONS.get(self.instance.status, set())
        self.fields["new_status"].choices = [("", _("(tidak diubah)"))] + [
            (value, label) for value, label in Complaint.Status.choices if value in allowed
        ]
        self.fields["assign_to"].initial = self.instance.assigned_to_id
        self.fields["canned_reply"].choices = [
            ("", _("(tidak dipakai)")),
            *canned_choices(self.instance.category),
        ]

    def reply_text(self) -> str:
        """What to send: the typed reply, else the chosen canned reply, else nothing."""
        typed = self.cleaned_data.get("reply", "").strip()
        if typed:
            return typed
        key = self.cleaned_data.get("canned_reply")
        return canned_text(self.instance.category, key) if key else ""


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReplyInline(ReadOnlyInline):
    model = ComplaintReply
    fields = ["created_at", "author", "body", "emailed_at"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = ComplaintEvent
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    verbose_name_plural = _("riwayat perubahan")


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    form = ComplaintAdminForm
    list_display = [
        "ticket_number",
        "category",
        "subcategory",
        "status",
        "age",
        "first_response",
        "assigned_to",
        "created_at",
    ]
    list_filter = [
        "status",
        "category",
        AgeFilter,
        FirstResponseFilter,
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["assigned_to"]
    search_fields = ["ticket_number", "email", "name", "phone"]
    ordering = ["created_at", "id"]
    show_full_result_count = False
    readonly_fields = [
        "ticket_number",
        "status",
        "assigned_to",
        "created_at",
        "resolved_at",
        "age",
        "user",
        "name",
        "phone",
        "email",
        "category",
        "subcategory",
        "description",
        "screenshot",
    ]
    fieldsets = [
        (None, {"fields": ["ticket_number", "status", "assigned_to", "created_at", "age"]}),
        (
            _("Pelapor"),
            {"fields": ["name", "email", "phone", "user"]},
        ),
        (
            _("Pengaduan"),
            {"fields": ["category", "subcategory", "description", "screenshot", "resolved_at"]},
        ),
        (
            _("Tindak lanjut"),
            {"fields": ["reply", "canned_reply", "new_status", "assign_to"]},
        ),
    ]
    inlines = [ReplyInline, EventInline]
    actions = ["assign_to_me", "mark_in_progress", "mark_done"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return selectors.with_first_reply(super().get_queryset(request))

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("umur"), ordering="created_at")
    def age(self, obj: Complaint) -> str:
        delta = timezone.now() - obj.created_at
        if delta.days >= 1:
            return _("%(n)d hari") % {"n": delta.days}
        return _("%(n)d jam") % {"n": delta.seconds // 3600}

    @admin.display(description=_("respons pertama"), ordering="first_reply_at")
    def first_response(self, obj: Complaint) -> str:
        first = getattr(obj, "first_reply_at", None)
        if first is not None:
            waited = first - obj.created_at
            text = _duration(waited)
            return text if waited <= FIRST_RESPONSE_SLA else f"{text} ⚠"
        if timezone.now() - obj.created_at > FIRST_RESPONSE_SLA:
            return _("belum, lewat batas ⚠")
        return _("belum")

    @admin.display(description=_("tangkapan layar"))
    def screenshot(self, obj: Complaint) -> str:
        if not obj.attachment:
            return "-"
        url = reverse("admin:complaints_complaint_screenshot", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Lihat"))

    def get_urls(self):
        view = self.admin_site.admin_view(self.screenshot_view)
        return [
            path("<int:pk>/tangkapan-layar/", view, name="complaints_complaint_screenshot"),
            *super().get_urls(),
        ]

    def screenshot_view(self, request, pk: int) -> TemplateResponse:
        """The screenshot inside an admin page: the file itself is served as an image under a
        policy that allows nothing (prakerja.uploads), so it is shown here in an ``<img>``."""
        complaint = get_object_or_404(Complaint, pk=pk)
        if not self.has_view_permission(request, complaint) or not complaint.attachment:
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Tangkapan layar %(ticket)s") % {"ticket": complaint.ticket_number},
            "complaint": complaint,
            "image_url": reverse(
                "complaints:attachment", kwargs={"ticket": complaint.ticket_number}
            ),
            "change_url": reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        }
        return TemplateResponse(request, "admin/complaints/complaint/screenshot.html", context)

    def save_model(self, request, obj, form, change):
        # Nothing on the model is edited directly; each follow-up is one service call.
        data = form.cleaned_data
        try:
            if "assign_to" in form.changed_data:
                services.assign_complaint(
                    complaint=obj, assignee=data["assign_to"], actor=request.user
                )
            reply = form.reply_text()
            if reply:
                services.reply_to_complaint(complaint=obj, body=reply, actor=request.user)
                obj.refresh_from_db()
            if data.get("new_status") and data["new_status"] != obj.status:
                services.change_status(complaint=obj, to=data["new_status"], actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description=_("Tugaskan ke saya"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        count = 0
        for complaint in queryset:
            services.assign_complaint(
                complaint=complaint, assignee=request.user, actor=request.user
            )
            count += 1
        self.message_user(request, _("%(n)d pengaduan ditugaskan ke Anda.") % {"n": count})

    def _bulk_status(self, request, queryset, to: str) -> None:
        done, refused = 0, 0
        for complaint in queryset:
            try:
                services.change_status(complaint=complaint, to=to, actor=request.user)
                done += 1
            except DomainError:
                refused += 1
        self.message_user(
            request,
            _("%(done)d pengaduan diubah, %(refused)d tidak dapat diubah.")
            % {"done": done, "refused": refused},
            messages.SUCCESS if not refused else messages.WARNING,
        )

    @admin.action(description=_("Tandai diproses"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._bulk_status(request, queryset, Complaint.Status.IN_PROGRESS)

    @admin.action(description=_("Tandai selesai"), permissions=["change"])
    def mark_done(self, request, queryset):
        self._bulk_status(request, queryset, Complaint.Status.DONE)
