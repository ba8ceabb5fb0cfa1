"""Reads for complaints; each owns its select_related/prefetch_related."""

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, ComplaintReply
from prakerja.prepared import PreparedQuery

# How long a complaint has waited: (key, label, at least, less than). The admin queue's filter and
# the program dashboard share these.
AGE_BUCKETS = [
    ("lt1", _("< 1 hari"), None, dt.timedelta(days=1)),
    ("1to3", _("1–3 hari"), dt.timedelta(days=1), dt.timedelta(days=3)),
    ("3to7", _("3–7 hari"), dt.timedelta(days=3), dt.timedelta(days=7)),
    ("gt7", _("> 7 hari"), dt.timedelta(days=7), None),
]


# First-response service level: a staff reply within this time of filing.
FIRST_RESPONSE_SLA = dt.timedelta(hours=24)

# The queue's SLA filter: (key, label).
SLA_FILTERS = [
    ("terpenuhi", _("Dibalas tepat waktu")),
    ("terlambat", _("Melewati batas (dibalas terlambat atau belum dibalas)")),
    ("lewat", _("Belum dibalas, lewat batas")),
    ("menunggu", _("Belum dibalas, masih dalam batas")),
]


def with_first_reply(queryset: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """Annotate ``first_reply_at``: when staff first answered (``None`` if not yet).

    A correlated subquery, evaluated only for the rows a page returns (the queue is paginated),
    rather than a GROUP BY over every complaint.
    """
    first = ComplaintReply.objects.filter(complaint=OuterRef("pk")).order_by("created_at", "id")
    return queryset.annotate(first_reply_at=Subquery(first.values("created_at")[:1]))


def filter_by_sla(queryset: QuerySet[Complaint], *, key: str, now: dt.datetime) -> QuerySet:
    """Complaints in one :data:`SLA_FILTERS` bucket as of ``now``; unknown keys filter nothing."""
    queryset = with_first_reply(queryset)
    answered = Q(first_reply_at__isnull=False)
    in_time = answered & Q(first_reply_at__lte=F("created_at") + FIRST_RESPONSE_SLA)
    overdue = Q(first_reply_at__isnull=True, created_at__lt=now - FIRST_RESPONSE_SLA)
    conditions = {
        "terpenuhi": in_time,
        "terlambat": (answered & ~in_time) | overdue,
        "lewat": overdue,
        "menunggu": Q(first_reply_at__isnull=True, created_at__gte=now - FIRST_RESPONSE_SLA),
    }
    return queryset.filter(conditions[key]) if key in conditions else queryset


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


# The dashboard's complaints section: the person's latest few (its SQL is built once per
# process, prakerja.prepared).
LATEST_COMPLAINTS = 3
_latest_for_user = PreparedQuery(
    lambda user_id: Complaint.objects.filter(user_id=user_id).order_by("-created_at", "-id")[
        :LATEST_COMPLAINTS
    ]
)


def latest_for_user(*, user) -> list[Complaint]:
    if not user.is_authenticated:
        return []
    return _latest_for_user.fetch(user.pk)


def open_counts(*, now: dt.datetime) -> dict[str, int]:
    """Complaints not done, and of those the ones still without a staff reply past
    :data:`FIRST_RESPONSE_SLA` (one query)."""
    answered = ComplaintReply.objects.filter(complaint=OuterRef("pk"))
    return Complaint.objects.exclude(status=Complaint.Status.DONE).aggregate(
        open=Count("id"),
        overdue=Count(
            "id",
            filter=Q(created_at__lt=now - FIRST_RESPONSE_SLA) & ~Q(Exists(answered)),
        ),
    )
