"""Reads for complaints; each owns its select_related/prefetch_related."""

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, ComplaintReply

# How long a complaint has waited: (key, label, at least, less than). The admin queue's filter and
# the program dashboard share these.
AGE_BUCKETS = [
    ("lt1", _("< 1 hari"), None, dt.timedelta(days=1)),
    ("1to3", _("1–3 hari"), dt.timedelta(days=1), dt.timedelta(days=3)),
    ("3to7", _("3–7 hari"), dt.timedelta(days=3), dt.timedelta(days=7)),
    ("gt7", _("> 7 hari"), dt.timedelta(days=7), None),
]


def _replies() -> Prefetch:
    return Prefetch("replies", queryset=ComplaintReply.objects.order_by("created_at", "id"))


def complaints_for_user(*, user) -> QuerySet[Complaint]:
    """A user's own complaints, newest first, with replies prefetched."""
    return (
        Complaint.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .prefetch_related(_replies())
    )


def complaint_by_ticket(*, ticket_number: str) -> Complaint:
    """One complaint with its replies; 404 when there is none."""
    complaint = (
        Complaint.objects.filter(ticket_number=ticket_number).prefetch_related(_replies()).first()
    )
    if complaint is None:
        raise Http404
    return complaint


def complaint_for_owner(*, user, ticket_number: str) -> Complaint:
    """The complaint if ``user`` filed it; 404 for anyone else's (never 403: no enumeration)."""
    complaint = complaint_by_ticket(ticket_number=ticket_number)
    if not user.is_authenticated or complaint.user_id != user.pk:
        raise Http404
    return complaint


def latest_for_user(*, user, limit: int = 3) -> list[Complaint]:
    if not user.is_authenticated:
        return []
    return list(Complaint.objects.filter(user=user).order_by("-created_at", "-id")[:limit])
