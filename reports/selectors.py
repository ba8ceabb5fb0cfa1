"""The program's numbers for staff. Every figure is an aggregate query (COUNT/SUM with GROUP BY
and FILTER); Python only merges the few grouped rows (one per wave, platform or category).

Each function issues a fixed number of queries, whatever the number of participants.
"""

import datetime as dt

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from complaints.selectors import AGE_BUCKETS
from incentives.models import Installment
from participants.eligibility import sources
from participants.models import Application, EligibilityReview, Participant, SelectionRun, Wave
from participants.waves import schedule
from participants.waves.labels import stage_label
from reports.models import DailyCount
from trainings.models import Payment, RecoveredQuota

FUNNEL_STAGES = [
    ("joined", _("Gabung gelombang")),
    ("eligible", _("Memenuhi syarat")),
    ("selected", _("Lolos")),
    ("oriented", _("Menonton video pengenalan")),
    ("bought", _("Membeli pelatihan pertama")),
    ("completed", _("Menyelesaikan pelatihan")),
    ("reviewed", _("Memberi ulasan")),
    ("revoked", _("Kepesertaan dicabut")),
]


def wave_funnels(*, now: dt.datetime | None = None) -> list[dict]:
    """Per wave, newest first: its stage ("Sedang diproses", ...) and the number of people at
    each funnel stage (3 queries)."""
    now = now or timezone.now()
    selected = Q(status=Application.Status.SELECTED)
    eligible = selected | Q(
        status=Application.Status.NOT_SELECTED, reason_code=Application.Reason.QUOTA_FULL
    )
    by_wave: dict[int, dict] = {}
    for row in Application.objects.values("wave_id").annotate(
        joined=Count("id"),
        eligible=Count("id", filter=eligible),
        selected=Count("id", filter=selected),
    ):
        by_wave.setdefault(row.pop("wave_id"), {}).update(row)
    # One pass over the wave's participants, joined to at most one voucher each (the first
    # training's, by the unique (participant, sequence)), so no count is doubled.
    first = Q(first_voucher__isnull=False)
    for row in (
        Participant.objects.filter(wave__isnull=False)
        .annotate(first_voucher=FilteredRelation("vouchers", condition=Q(vouchers__sequence=1)))
        .values("wave_id")
        .annotate(
            oriented=Count("id", filter=Q(oriented_at__isnull=False)),
            bought=Count("id", filter=Q(first_purchase_at__isnull=False)),
            revoked=Count("id", filter=Q(status=Participant.Status.REVOKED)),
            completed=Count("id", filter=first & Q(first_voucher__completed_at__isnull=False)),
            reviewed=Count("id", filter=first & Q(first_voucher__reviewed_at__isnull=False)),
        )
    ):
        by_wave.setdefault(row.pop("wave_id"), {}).update(row)
    funnels = []
    for wave in (
        Wave.objects.order_by("-number")
        .annotate(has_run=Exists(SelectionRun.objects.filter(wave=OuterRef("pk"))))
        .values(
            "id",
            "number",
            "quota_total",
            "is_additional",
            "opens_at",
            "closes_at",
            "announces_at",
            "program_year",
            "has_run",
        )
    ):
        counts = by_wave.get(wave["id"], {})
        funnels.append(
            {
                **wave,
                # Why the wave breaks the late-wave rule, or "" (participants.waves.schedule).
                "late": schedule.announcement_problem(
                    announces_at=wave["announces_at"], program_year=wave["program_year"]
                ),
                "stage": stage_label(
                    opens_at=wave["opens_at"],
                    closes_at=wave["closes_at"],
                    has_run=wave["has_run"],
                    now=now,
                ),
                "stages": [
                    {"key": key, "label": label, "value": counts.get(key, 0)}
                    for key, label in FUNNEL_STAGES
                ],
            }
        )
    return funnels


def recovered_quota() -> dict:
    """The pool of places freed by revocation, per source wave, and its totals (1 query)."""
    rows = list(
        RecoveredQuota.objects.values("source_wave__number")
        .annotate(recovered=Sum("recovered"), allocated=Sum("allocated"))
        .order_by("-source_wave__number")
    )
    for row in rows:
        row["available"] = row["recovered"] - row["allocated"]
    return {
        "rows": rows,
        "recovered": sum(r["recovered"] for r in rows),
        "allocated": sum(r["allocated"] for r in rows),
        "available": sum(r["available"] for r in rows),
    }


def purchases_by_platform() -> list[dict]:
    """Paid purchases per platform: count and rupiah (1 query)."""
    return list(
        Payment.objects.filter(status=Payment.Status.PAID)
        .values("platform__name")
        .annotate(purchases=Count("id"), amount_idr=Sum("amount_idr"))
        .order_by("-purchases", "platform__name")
    )


def complaints_by_category_and_age(*, now: dt.datetime | None = None) -> list[dict]:
    """Per category: total, still open, and open ones by age bucket (1 query)."""
    now = now or timezone.now()
    open_ = ~Q(status=Complaint.Status.DONE)
    buckets = {}
    for key, _label, lower, upper in AGE_BUCKETS:
        key = f"age_{key}"
        condition = open_
        if lower is not None:
            condition &= Q(created_at__lte=now - lower)
        if upper is not None:
            condition &= Q(created_at__gt=now - upper)
        buckets[key] = Count("id", filter=condition)
    counts = {
        row["category"]: row
        for row in Complaint.objects.values("category").annotate(
            total=Count("id"), open=Count("id", filter=open_), **buckets
        )
    }
    return [
        {
            "category": value,
            "label": label,
            **{k: counts.get(value, {}).get(k, 0) for k in ["total", "open", *buckets]},
        }
        for value, label in Complaint.Category.choices
    ]


def incentives_summary() -> dict:
    """Installments owed (not yet paid), paid, and failed by reason, in count and rupiah
    (2 queries)."""
    by_status = {
        row["status"]: row
        for row in Installment.objects.values("status").annotate(
            count=Count("id"), amount_idr=Sum("amount_idr")
        )
    }
    statuses = [
        {
            "status": value,
            "label": label,
            "count": by_status.get(value, {}).get("count", 0),
            "amount_idr": by_status.get(value, {}).get("amount_idr") or 0,
        }
        for value, label in Installment.Status.choices
    ]
    owed = [s for s in statuses if s["status"] != Installment.Status.PAID]
    paid = next(s for s in statuses if s["status"] == Installment.Status.PAID)
    labels = dict(Installment._meta.get_field("reason_code").choices)
    failed_by_reason = [
        {**row, "label": labels.get(row["reason_code"], row["reason_code"] or "-")}
        for row in Installment.objects.filter(status=Installment.Status.FAILED)
        .values("reason_code")
        .annotate(count=Count("id"), amount_idr=Sum("amount_idr"))
        .order_by("-count", "reason_code")
    ]
    return {
        "statuses": statuses,
        "owed_count": sum(s["count"] for s in owed),
        "owed_idr": sum(s["amount_idr"] for s in owed),
        "paid_count": paid["count"],
        "paid_idr": paid["amount_idr"],
        "failed_by_reason": failed_by_reason,
    }


def eligibility_by_wave_and_source() -> list[dict]:
    """Per wave (newest first) and per list source, in the lists' fixed order: how many
    applicants the list excluded at selection, and how many of the wave's participants it
    flagged after selection, of them revoked, cleared and still open (2 queries)."""
    reasons = sources.REASON_SOURCES
    rows: dict[tuple[int, str], dict] = {}

    def row(wave: int, source: str) -> dict:
        return rows.setdefault(
            (wave, source),
            {"excluded": 0, "flagged": 0, "revoked": 0, "cleared": 0, "open": 0},
        )

    for entry in (
        Application.objects.filter(reason_code__in=list(reasons))
        .values("wave__number", "reason_code")
        .annotate(n=Count("id"))
    ):
        row(entry["wave__number"], reasons[entry["reason_code"]])["excluded"] = entry["n"]
    R = EligibilityReview.Status
    for entry in (
        EligibilityReview.objects.filter(wave__isnull=False)
        .values("wave__number", "source")
        .annotate(
            flagged=Count("id"),
            revoked=Count("id", filter=Q(status=R.REVOKED)),
            cleared=Count("id", filter=Q(status=R.CLEARED)),
            open=Count("id", filter=Q(status__in=EligibilityReview.OPEN_STATUSES)),
        )
    ):
        row(entry.pop("wave__number"), entry.pop("source")).update(entry)
    order = list(sources.RULES)
    return [
        {"wave": wave, "source": source, "label": sources.Source(source).label, **counts}
        for (wave, source), counts in sorted(
            rows.items(), key=lambda item: (-item[0][0], order.index(item[0][1]))
        )
    ]


TREND_SERIES = [(value, label) for value, label in DailyCount.Series.choices]
# Registrations belong to no wave: a wave's trends leave them out.
WAVE_TREND_SERIES = [
    (value, label) for value, label in TREND_SERIES if value != DailyCount.Series.REGISTRATIONS
]


def daily_trends(*, year: int | None = None, wave_id: int | None = None, today: dt.date) -> dict:
    """The daily counts (``DailyCount``) of a WIB year (every wave, and events in none), up to
    ``today``, or of one wave, from its first counted day to its last (1 query).

    Returns ``{"days": [date, ...], "series": [{"key", "label", "values", "total", "peak",
    "peak_day"}], "rows": [(date, [value per series]) for days with any event]}``."""
    if wave_id is not None:
        series = WAVE_TREND_SERIES
        rows = DailyCount.objects.filter(wave_id=wave_id).values_list("day", "series", "value")
    else:
        series = TREND_SERIES
        rows = (
            DailyCount.objects.filter(
                day__gte=dt.date(year, 1, 1), day__lte=min(dt.date(year, 12, 31), today)
            )
            .values("day", "series")
            .annotate(total=Sum("value"))
            .values_list("day", "series", "total")
        )
    counts: dict[tuple[dt.date, str], int] = {(day, key): value for day, key, value in rows}
    if wave_id is not None:
        first = min((day for day, _key in counts), default=None)
        last = max((day for day, _key in counts), default=None)
    else:
        first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    days = []
    if first is not None and last is not None and first <= last:
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    result = []
    for key, label in series:
        values = [counts.get((day, key), 0) for day in days]
        peak = max(values, default=0)
        result.append(
            {
                "key": key,
                "label": label,
                "values": values,
                "total": sum(values),
                "peak": peak,
                "peak_day": days[values.index(peak)] if peak else None,
            }
        )
    table = [
        (day, [s["values"][index] for s in result])
        for index, day in enumerate(days)
        if any(s["values"][index] for s in result)
    ]
    return {"days": days, "series": result, "rows": table}


def trends_updated_at() -> dt.datetime | None:
    """When the trends rollup last finished (``trends-rollup``; 1 query)."""
    from prakerja.models import JobStatus

    return (
        JobStatus.objects.filter(job="trends-rollup")
        .values_list("last_success_at", flat=True)
        .first()
    )
