"""What the participants admin pages share (and the trainings and incentives admins use):
read-only records, the page that asks a reason for an action, the NIK search, and the
visibility policy every admin page applies (``PersonalDataAdminMixin``)."""

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, OrderBy
from django.db.models.constants import LOOKUP_SEP
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited

from participants import visibility
from participants.models import DomainError
from participants.registration import nik
from prakerja import crypto

logger = logging.getLogger(__name__)


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
    not in the database); any other term searches the ``search_fields``.

    A NIK search confirms whether a NIK is registered, so it needs its own permission
    (``visibility.NIK_SEARCH_PERMISSION``) and is throttled per staff account
    (``settings.NIK_SEARCH_RATE``); every one is logged. Refused: an empty list and a message."""

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not nik.is_16_digits(term):
            return super().get_search_results(request, queryset, search_term)
        allowed = visibility.may_search_by_nik(request.user)
        limited = allowed and is_ratelimited(
            request,
            group="admin-nik-search",
            key="user",
            rate=settings.NIK_SEARCH_RATE,
            method=is_ratelimited.ALL,
            increment=True,
        )
        logger.info(
            "admin NIK search",
            extra={
                "user": request.user.pk,
                "model": self.model._meta.label,
                "allowed": allowed,
                "throttled": bool(limited),
            },
        )
        if not allowed:
            self.message_user(
                request,
                _("Anda tidak berwenang mencari dengan NIK lengkap."),
                messages.ERROR,
            )
            return queryset.none(), False
        if limited:
            self.message_user(
                request,
                _("Batas pencarian dengan NIK lengkap tercapai. Coba lagi nanti."),
                messages.ERROR,
            )
            return queryset.none(), False
        return queryset.filter(nik_hash=crypto.keyed_hash(term)), False


def _ordering_path(order_field) -> str | None:
    """The field path an admin ordering names (a string, ``F`` or ``OrderBy(F)``), if any."""
    if isinstance(order_field, str):
        return order_field
    if isinstance(order_field, OrderBy):
        order_field = order_field.expression
    if isinstance(order_field, F):
        return order_field.name
    return None


def _column_order(model_admin, column):
    """What a list column sorts by, resolved as ``ChangeList.get_ordering_field`` does."""
    if callable(column):
        return getattr(column, "admin_order_field", None)
    try:
        return model_admin.model._meta.get_field(column).name
    except FieldDoesNotExist:
        pass
    attr = getattr(model_admin, column, None) or getattr(model_admin.model, column, None)
    if isinstance(attr, property):
        attr = attr.fget
    return getattr(attr, "admin_order_field", column if LOOKUP_SEP in column else None)


class PolicyChangeList(ChangeList):
    """A change list that never sorts by a hidden field (``?o=`` picks any column, whatever
    ``sortable_by`` says) and drops a date hierarchy over one."""

    def __init__(self, request, model, list_display, list_display_links, list_filter,
                 date_hierarchy, *args, **kwargs):  # fmt: skip
        if date_hierarchy and visibility.path_reaches_hidden(model, date_hierarchy, request.user):
            date_hierarchy = None
        self._user = request.user
        super().__init__(
            request,
            model,
            list_display,
            list_display_links,
            list_filter,
            date_hierarchy,
            *args,
            **kwargs,
        )

    def get_ordering_field(self, field_name):
        order_field = super().get_ordering_field(field_name)
        path = _ordering_path(order_field)
        if path and visibility.path_reaches_hidden(self.model, path, self._user):
            return None
        return order_field


class PersonalDataAdminMixin:
    """The visibility policy (``participants.visibility``) on every list surface of a model
    admin: a lookup on a field the staff member may not see is refused (400), whatever the
    lookup, across any relation; such fields leave the columns, filters, search fields, the
    sortable columns and the default ordering. ``prakerja.admin_site.StaffAdminSite`` gives this
    to every model admin it registers, ours and third parties' alike."""

    def _hidden(self, request, path) -> bool:
        if not isinstance(path, str):
            return False
        return visibility.path_reaches_hidden(self.model, path, request.user)

    def lookup_allowed(self, lookup, value, request):
        if self._hidden(request, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_list_display(self, request):
        return [c for c in super().get_list_display(request) if not self._column_hidden(request, c)]

    def _column_hidden(self, request, column) -> bool:
        if not isinstance(column, str):
            return False
        try:
            self.model._meta.get_field(column.split(LOOKUP_SEP)[0])
        except FieldDoesNotExist:
            return False  # a method or an attribute: the admin decides what it shows
        return self._hidden(request, column)

    def get_list_filter(self, request):
        def path(spec):
            if isinstance(spec, (tuple, list)):
                return spec[0]
            return spec if isinstance(spec, str) else None

        return [f for f in super().get_list_filter(request) if not self._hidden(request, path(f))]

    def get_search_fields(self, request):
        return [f for f in super().get_search_fields(request) if not self._hidden(request, f)]

    def get_ordering(self, request):
        return [
            o
            for o in (super().get_ordering(request) or ())
            if not self._hidden(request, _ordering_path(o))
        ]

    def get_sortable_by(self, request):
        return [
            column
            for column in super().get_sortable_by(request)
            if not self._hidden(request, _ordering_path(_column_order(self, column)))
        ]

    def get_changelist(self, request, **kwargs):
        return PolicyChangeList


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 3}))


def run_with_reason(
    model_admin,
    request,
    rows,
    *,
    call,
    done,
    action: str,
    title,
    intro,
    label,
    on_refused=None,
    form_class=ReasonForm,
) -> TemplateResponse | None:
    """An admin action that asks a reason first. Without one, the intermediate page lists
    ``rows`` (each shown as ``label(row)``). With it, ``call(row, reason)`` runs for each row
    (each its own transaction, a service); ``done`` (with ``%(count)d``) reports those that went
    through, and ``on_refused`` gets the ``(row, DomainError)`` pairs refused on the way.
    ``call`` gets the form's cleaned data (``reason``, and whatever else ``form_class`` asks)."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return action_with_reason_page(
            model_admin,
            request,
            form=form,
            action=action,
            title=title,
            intro=intro,
            items=[(row, label(row)) for row in rows],
        )
    count, refused = 0, []
    for row in rows:
        try:
            call(row, form.cleaned_data)
        except DomainError as exc:
            refused.append((row, exc))
            continue
        count += 1
    model_admin.message_user(request, done % {"count": count}, messages.SUCCESS)
    if refused and on_refused is not None:
        on_refused(refused)
    return None


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
