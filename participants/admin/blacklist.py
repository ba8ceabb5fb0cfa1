"""Staff pages of the lifetime blacklist: add an entry (a card holder's card is revoked with
it), lift one with a reason. Entries are never edited or deleted."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from participants import services
from participants.admin.base import NikSearchMixin, ReadOnlyMixin, run_with_reason
from participants.models import BlacklistEntry


class BlacklistAddForm(forms.ModelForm):
    """Staff add an entry for fraud (or another reason) through ``add_to_blacklist``."""

    reason_code = forms.ChoiceField(
        label=_("alasan"),
        choices=[
            (BlacklistEntry.Reason.FRAUD, BlacklistEntry.Reason.FRAUD.label),
            (BlacklistEntry.Reason.OTHER, BlacklistEntry.Reason.OTHER.label),
        ],
    )
    note = forms.CharField(
        label=_("Catatan internal (hanya untuk petugas)"), widget=forms.Textarea, required=True
    )
    participant_reason = forms.CharField(
        label=_("Alasan untuk peserta"),
        widget=forms.Textarea,
        required=False,
        help_text=_(
            "Wajib bila peserta memegang kartu: kartunya dicabut, dan kalimat ini dikirim "
            "kepadanya lewat SMS dan email dan tampil di dasbornya."
        ),
    )

    class Meta:
        model = BlacklistEntry
        fields = ["participant", "reason_code", "note"]

    # Set per request by BlacklistAdmin.get_form: the staff member adding the entry.
    requesting_user = None

    def clean_participant(self):
        participant = self.cleaned_data["participant"]
        if participant is None:
            raise forms.ValidationError(_("Pilih peserta."))
        if services.is_blacklisted(nik_hash=participant.nik_hash):
            raise forms.ValidationError(services.AlreadyBlacklisted.message)
        # Blacklisting a card holder revokes the card (add_to_blacklist): the same permission
        # as the revoke action.
        may_revoke = self.requesting_user.has_perm("participants.revoke_participant")
        if services.blacklisting_revokes(participant=participant) and not may_revoke:
            raise forms.ValidationError(
                _(
                    "Peserta ini memegang kartu: memasukkannya ke daftar hitam mencabut "
                    "kepesertaannya, dan Anda tidak berwenang mencabut kepesertaan."
                )
            )
        return participant

    def clean(self):
        cleaned = super().clean()
        participant = cleaned.get("participant")
        words = (cleaned.get("participant_reason") or "").strip()
        holds_card = participant is not None and services.blacklisting_revokes(
            participant=participant
        )
        if holds_card and not words:
            self.add_error("participant_reason", services.ParticipantReasonRequired.message)
        return cleaned


class BlacklistRemoveForm(forms.Form):
    reason = forms.CharField(label=_("Alasan penghapusan"), widget=forms.Textarea, required=True)


@admin.register(BlacklistEntry)
class BlacklistAdmin(NikSearchMixin, ReadOnlyMixin, admin.ModelAdmin):
    """Entries are never edited or deleted: staff add one (``add_to_blacklist``) or lift one with
    a reason (``remove_from_blacklist``); both write an audit event. NIKs are shown masked; a full
    16-digit NIK typed in the search box is matched by its keyed hash."""

    list_display = ["nik_masked", "full_name", "reason_code", "created_at", "removed_at"]
    list_filter = ["reason_code"]
    exclude = ["nik_hash"]
    show_full_result_count = False
    search_fields = ["full_name"]
    raw_id_fields = ["participant"]
    actions = ["remove_entries"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("participants.add_blacklistentry")

    def has_remove_permission(self, request) -> bool:
        return request.user.has_perm("participants.change_blacklistentry")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["participant", "reason_code", "note", "participant_reason"]
        return super().get_fields(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = BlacklistAddForm
        form = super().get_form(request, obj, **kwargs)
        form.requesting_user = request.user  # a class made for this request by modelform_factory
        return form

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        entry = services.add_to_blacklist(
            participant=form.cleaned_data["participant"],
            reason_code=form.cleaned_data["reason_code"],
            note=form.cleaned_data["note"],
            participant_reason=form.cleaned_data["participant_reason"],
            actor=request.user,
        )
        # The admin goes on with ``obj`` (log entry, redirect): make it the saved row.
        obj.__dict__.update({k: v for k, v in entry.__dict__.items() if k != "_state"})
        obj._state.adding = False

    @admin.action(description=_("Hapus dari daftar hitam (wajib alasan)"), permissions=["remove"])
    def remove_entries(self, request, queryset):
        # An entry already lifted (by someone else meanwhile) is refused by the service and
        # simply not counted.
        return run_with_reason(
            self,
            request,
            list(queryset.select_related("participant")),
            call=lambda entry, data: services.remove_from_blacklist(
                entry=entry, reason=data["reason"], actor=request.user
            ),
            done=_("%(count)d entri dihapus dari daftar hitam."),
            action="remove_entries",
            title=_("Hapus dari daftar hitam"),
            intro=_(
                "Entri berikut akan dihapus dari daftar hitam. Barisnya tetap disimpan beserta "
                "siapa, kapan dan alasannya."
            ),
            label=lambda entry: (
                f"{entry.nik_masked} — {entry.full_name} ({entry.get_reason_code_display()})"
                + (f" — {_('sudah dihapus')}" if entry.removed_at else "")
            ),
            form_class=BlacklistRemoveForm,
        )
