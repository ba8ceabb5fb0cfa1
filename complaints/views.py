"""Complaint pages. Views are thin: authorize, select, validate, call one service."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django_ratelimit.decorators import ratelimit

from complaints import forms, notifications, selectors, services
from complaints.models import Complaint
from participants import refusals
from participants import selectors as participant_selectors
from participants.models import DomainError
from prakerja import uploads


def _rate_per_ip(group, request) -> str:
    return settings.COMPLAINT_RATE_PER_IP


def _rate_per_email(group, request) -> str:
    return settings.COMPLAINT_RATE_PER_EMAIL


def _email_key(group, request) -> str:
    return (request.POST.get("email") or "").strip().lower() or "-"


def _initial_for(user) -> dict:
    if not user.is_authenticated:
        return {}
    initial = {"name": user.full_name, "email": user.email}
    participant = participant_selectors.participant_for_user(user=user)
    if participant is not None and participant.phone:
        initial["phone"] = participant.phone
    return initial


@never_cache
@ratelimit(key="ip", rate=_rate_per_ip, method="POST", block=False)
@ratelimit(key=_email_key, rate=_rate_per_email, method="POST", block=False)
def file_complaint(request: HttpRequest) -> HttpResponse:
    """Formulir Pengaduan, for guests and participants alike."""
    if request.method == "POST":
        form = forms.ComplaintForm(request.POST, request.FILES)
        if getattr(request, "limited", False):
            form.is_valid()
            form.add_error(None, _("Terlalu banyak pengaduan dikirim."))
            refusal = refusals.resolve(
                "complaint_rate_limited",
                context={"wait": refusals.rate_window_text(settings.COMPLAINT_RATE_PER_IP)},
            )
            return render(
                request, "complaints/form.html", {"form": form, "refusal": refusal}, status=429
            )
        if form.is_valid():
            category, subcategory = form.topic_parts()
            try:
                complaint = services.submit_complaint(
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    email=form.cleaned_data["email"],
                    category=category,
                    subcategory=subcategory,
                    description=form.cleaned_data["description"],
                    attachment=form.cleaned_data.get("screenshot"),
                    attachment_type=getattr(form, "attachment_type", ""),
                    user=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Pengaduan terkirim. Nomor tiket Anda: %(ticket)s. Salinannya kami kirim "
                        "ke email Anda."
                    )
                    % {"ticket": complaint.ticket_number},
                )
                if complaint.user_id:
                    return redirect("complaints:detail", ticket=complaint.ticket_number)
                return redirect("complaints:track", token=notifications.tracking_token(complaint))
    else:
        initial = _initial_for(request.user)
        # Pages that refuse something link here with the fitting category (``?kategori=``).
        if forms.is_topic(request.GET.get("kategori", "")):
            initial["topic"] = request.GET["kategori"]
        form = forms.ComplaintForm(initial=initial)
    return render(request, "complaints/form.html", {"form": form})


@login_required
def my_complaints(request: HttpRequest) -> HttpResponse:
    complaints = selectors.complaints_for_user(user=request.user)
    return render(request, "complaints/list.html", {"complaints": complaints})


@login_required
def complaint_detail(request: HttpRequest, ticket: str) -> HttpResponse:
    complaint = selectors.complaint_for_owner(user=request.user, ticket_number=ticket)
    return render(
        request,
        "complaints/detail.html",
        {"complaint": complaint, "attachment_url": _owner_attachment_url(complaint)},
    )


@never_cache
def track(request: HttpRequest, token: str) -> HttpResponse:
    """A guest's view of one complaint, reached through the signed link in their email. An
    expired or altered link is a 404 that says how to get a fresh one."""
    if notifications.ticket_from_token(token) is None:
        context = {"refusal_code": "tracking_link_invalid"}
        return render(request, "404.html", context, status=404)
    complaint = _by_token(token)
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "token": token,
            "attachment_url": (
                reverse("complaints:track_attachment", kwargs={"token": token})
                if complaint.attachment
                else ""
            ),
        },
    )


@login_required
def attachment(request: HttpRequest, ticket: str) -> FileResponse:
    """The screenshot, for the staff who handle complaints and for its owner only."""
    complaint = selectors.complaint_by_ticket(ticket_number=ticket)
    is_handler = request.user.is_staff and request.user.has_perm("complaints.view_complaint")
    if not (is_handler or complaint.user_id == request.user.pk):
        raise Http404
    return _serve(complaint)


def track_attachment(request: HttpRequest, token: str) -> FileResponse:
    return _serve(_by_token(token))


def _by_token(token: str) -> Complaint:
    ticket = notifications.ticket_from_token(token)
    if ticket is None:
        raise Http404
    return selectors.complaint_by_ticket(ticket_number=ticket)


def _owner_attachment_url(complaint: Complaint) -> str:
    if not complaint.attachment:
        return ""
    return reverse("complaints:attachment", kwargs={"ticket": complaint.ticket_number})


def _serve(complaint: Complaint) -> FileResponse:
    return uploads.serve(complaint.attachment, uploads.SCREENSHOT, filename=complaint.ticket_number)
