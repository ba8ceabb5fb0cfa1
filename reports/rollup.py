"""The daily rollup behind the program dashboard's trends (``reports.models.DailyCount``).

For each series, one aggregate query counts the events per WIB day (and per wave where the event
belongs to one) straight from the table that records them; the rows are then written for the
whole range at once. A run recomputes every day from ``since`` to today:

- by default from ``LOOKBACK_DAYS`` before the last day that has a count, so a late event (a
  payout callback, a catch-up sweep with ``--now``) and days the job missed are counted when it
  runs again; with no rows yet, from the first event. An event dated further back is counted
  by a run with ``since`` (``rollup_trends --since``);
- the range is deleted and written in one transaction, under a PostgreSQL advisory lock, so a
  rerun gives the same rows and two runs never write the same day twice.
"""

import dataclasses
import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from complaints.models import Complaint
from incentives.models import Installment
from participants.cards import deadlines
from participants.models import Application, Participant, ParticipantEvent
from reports.models import DailyCount

LOOKBACK_DAYS = 2
# pg_advisory_xact_lock key: one rollup at a time (any beat, worker or command).
ADVISORY_LOCK_KEY = 0x7072_6F6C_6C75_70  # "prollup"

S = DailyCount.Series


@dataclasses.dataclass(frozen=True)
class RollupResult:
    since: dt.date | None
    until: dt.date
    days: int
    rows: int
    events: int


def _sources() -> Iterable[tuple[str, QuerySet, str, str | None]]:
    """(series, rows, time field, wave field) for every series."""
    return [
        (S.REGISTRATIONS, Participant.objects.all(), "created_at", None),
        (S.JOINS, Application.objects.all(), "joined_at", "wave_id"),
        (
            S.SELECTIONS,
            Application.objects.filter(status=Application.Status.SELECTED),
            "decided_at",
            "wave_id",
        ),
        (S.FIRST_PURCHASES, Participant.objects.all(), "first_purchase_at", "wave_id"),
        (S.REVOCATIONS, Participant.objects.all(), "revoked_at", "wave_id"),
        (S.PAYOUTS_PAID, Installment.objects.all(), "paid_at", "participant__wave_id"),
        # Every failure, also of an installment paid later: the audit row of each payout outcome.
        (
            S.PAYOUTS_FAILED,
            ParticipantEvent.objects.filter(
                kind=ParticipantEvent.Kind.PAYOUT, to_status=Installment.Status.FAILED
            ),
            "created_at",
            "participant__wave_id",
        ),
        (S.COMPLAINTS, Complaint.objects.all(), "created_at", "user__participant__wave_id"),
    ]


def _counts(rows: QuerySet, *, field: str, wave: str | None, start: dt.datetime | None) -> QuerySet:
    """One GROUP BY query: the rows' count per WIB day (and wave) from ``start`` on."""
    rows = rows.filter(**{f"{field}__isnull": False})
    if start is not None:
        rows = rows.filter(**{f"{field}__gte": start})
    group = {"day": TruncDate(field, tzinfo=deadlines.WIB)}
    if wave is not None:
        group["wave_key"] = F(wave)
    return rows.values(**group).annotate(value=Count("pk")).order_by().values(*group, "value")


def default_since() -> dt.date | None:
    """``LOOKBACK_DAYS`` before the last day with a count, or ``None`` (everything) when
    there is none."""
    last = DailyCount.objects.aggregate(last=Max("day"))["last"]
    return last - dt.timedelta(days=LOOKBACK_DAYS) if last is not None else None


def rollup_daily_counts(
    *, now: dt.datetime | None = None, since: dt.date | None = None
) -> RollupResult:
    """Recompute the daily counts of every WIB day from ``since`` (default:
    :func:`default_since`) to ``now``'s day, in one transaction. Idempotent: a rerun writes the
    same rows. Events after ``now`` are left for a later run."""
    now = now or timezone.now()
    until = deadlines.wib_date(now)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        since = since if since is not None else default_since()
        start = deadlines.start_of_wib_day(since) if since else None
        day_range = Q(day__lte=until) & (Q(day__gte=since) if since else Q())
        DailyCount.objects.filter(day_range).delete()
        counts = []
        for series, rows, field, wave in _sources():
            rows = rows.filter(**{f"{field}__lte": now})
            for row in _counts(rows, field=field, wave=wave, start=start):
                counts.append(
                    DailyCount(
                        day=row["day"],
                        series=series,
                        wave_id=row.get("wave_key"),
                        value=row["value"],
                    )
                )
        DailyCount.objects.bulk_create(counts, batch_size=5000)
    first = since or min((c.day for c in counts), default=until)
    return RollupResult(
        since=since,
        until=until,
        days=(until - first).days + 1,
        rows=len(counts),
        events=sum(c.value for c in counts),
    )
