"""Reads for complaints; each owns its select_related/prefetch_related."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from complaints.models import Complaint, ComplaintReply


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
