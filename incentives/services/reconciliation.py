"""Daily reconciliation of payouts against the gateway."""

import datetime as dt
import logging

from django.utils import timezone

from incentives import payouts
from incentives.models import (
    Installment,
    PayoutRequest,
    ReconciliationReport,
)
from participants.cards import deadlines

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


# --- reconciliation -------------------------------------------------------------------------------


def reconcile(*, day: dt.date, now: dt.datetime | None = None) -> ReconciliationReport:
    """Compare, for one WIB day, the payout requests the portal made with what the backend
    reports, key by key. Re-running replaces the day's report."""
    now = now or timezone.now()
    since = dt.datetime.combine(day, dt.time.min, tzinfo=deadlines.WIB)
    until = since + dt.timedelta(days=1)
    portal = {
        key: (status, amount)
        for key, status, amount in PayoutRequest.objects.filter(
            created_at__gte=since, created_at__lt=until
        ).values_list("idempotency_key", "status", "amount_idr")
    }
    backend = payouts.get_backend().report(since=since, until=until)
    mismatches = []
    for key in sorted(set(portal) | set(backend)):
        portal_status = portal.get(key, ("absent", 0))[0]
        line = backend.get(key)
        backend_status = line.status if line else "absent"
        if (portal_status == R.PAID) != (backend_status == payouts.PAID):
            mismatches.append({"key": key, "portal": portal_status, "backend": backend_status})
    report, _ = ReconciliationReport.objects.update_or_create(
        day=day,
        defaults={
            "created_at": now,
            "portal_paid_count": sum(1 for s, _ in portal.values() if s == R.PAID),
            "portal_paid_idr": sum(a for s, a in portal.values() if s == R.PAID),
            "backend_paid_count": sum(
                1 for line in backend.values() if line.status == payouts.PAID
            ),
            "backend_paid_idr": sum(
                line.amount_idr for line in backend.values() if line.status == payouts.PAID
            ),
            "mismatch_count": len(mismatches),
            "mismatches": mismatches[:1000],
        },
    )
    return report
