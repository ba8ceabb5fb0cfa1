"""Staff pages: the program dashboard and CSV exports. Each checks its own permission (403)."""

import datetime as dt
import logging

from django.contrib import admin
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from incentives.models import Installment
from participants import visibility
from participants.models import Wave
from reports import charts, exports, selectors

logger = logging.getLogger(__name__)

DASHBOARD_PERMISSION = "reports.view_program_dashboard"
EXPORT_PERMISSION = "reports.export_program_data"


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _trend_choices(funnels: list[dict], today: dt.date) -> list[tuple[str, str]]:
    """The trends' periods: each year a wave opened in (and this year), then each wave."""
    years = sorted({timezone.localtime(f["opens_at"]).year for f in funnels} | {today.year})
    return [(str(year), _("Tahun %(year)d") % {"year": year}) for year in reversed(years)] + [
        (f"g{f['number']}", _("Gelombang %(n)d") % {"n": f["number"]}) for f in funnels
    ]


def _describe(series: dict, days: list[dt.date]) -> str:
    if not days:
        return _("Belum ada data.")
    text = _("Total %(total)s") % {"total": intcomma(series["total"])}
    if series["peak"]:
        text += _("; tertinggi %(peak)s pada %(day)s") % {
            "peak": intcomma(series["peak"]),
            "day": date_format(series["peak_day"], "j M Y"),
        }
    return text + "."


def _trends(request: HttpRequest, funnels: list[dict]) -> dict:
    """The daily trends of the period chosen with ``?tren=`` (a year, or ``g<wave number>``);
    this year when nothing (or nothing known) is chosen."""
    today = timezone.localdate()
    choices = _trend_choices(funnels, today)
    chosen = request.GET.get("tren", "")
    if chosen not in dict(choices):
        chosen = str(today.year)
    if chosen.startswith("g"):
        wave = next(f for f in funnels if f"g{f['number']}" == chosen)
        data = selectors.daily_trends(wave_id=wave["id"], today=today)
    else:
        data = selectors.daily_trends(year=int(chosen), today=today)
    period = dict(choices)[chosen]
    for series in data["series"]:
        series["chart"] = charts.daily_line(series["values"])
        series["description"] = _describe(series, data["days"])
    return {
        **data,
        "choices": choices,
        "chosen": chosen,
        "period": period,
        "first": data["days"][0] if data["days"] else None,
        "last": data["days"][-1] if data["days"] else None,
        "updated_at": selectors.trends_updated_at(),
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    _require(request, DASHBOARD_PERMISSION)
    funnels = selectors.wave_funnels()
    for funnel in funnels:
        stages = funnel["stages"]
        funnel["chart"] = charts.bar_chart(
            [(s["label"], s["value"]) for s in stages], scale_to=stages[0]["value"]
        )
    platforms = selectors.purchases_by_platform()
    complaints = selectors.complaints_by_category_and_age()
    incentives = selectors.incentives_summary()
    context = {
        **admin.site.each_context(request),
        "title": "Dasbor program",
        "funnels": funnels,
        "late_waves": [funnel for funnel in funnels if funnel["late"]],
        "quota": selectors.recovered_quota(),
        "platforms": platforms,
        "platform_chart": charts.bar_chart(
            [(p["platform__name"], p["purchases"]) for p in platforms]
        ),
        "incentives": incentives,
        "incentive_chart": charts.bar_chart(
            [(r["label"], r["count"]) for r in incentives["failed_by_reason"]]
        ),
        "complaints": complaints,
        "eligibility": selectors.eligibility_by_wave_and_source(),
        "complaint_chart": charts.bar_chart([(c["label"], c["open"]) for c in complaints]),
        "trends": _trends(request, funnels),
        "can_export": request.user.has_perm(EXPORT_PERMISSION),
        "generated_at": timezone.now(),
    }
    return render(request, "reports/dashboard.html", context)


def _csv_response(name: str, lines) -> StreamingHttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def export_wave_participants(request: HttpRequest, number: int) -> StreamingHttpResponse:
    _require(request, EXPORT_PERMISSION)
    wave = get_object_or_404(Wave, number=number)
    full_nik = visibility.sees_full_identity(request.user)
    logger.info(
        "export wave participants",
        extra={"user": request.user.pk, "wave": wave.number, "full_nik": full_nik},
    )
    rows = exports.wave_participant_rows(wave_id=wave.pk, full_nik=full_nik)
    return _csv_response(
        f"peserta-gelombang-{wave.number}", exports.csv_lines(exports.PARTICIPANT_HEADER, rows)
    )


def export_complaints(request: HttpRequest) -> StreamingHttpResponse:
    _require(request, EXPORT_PERMISSION)
    logger.info("export complaints", extra={"user": request.user.pk})
    return _csv_response(
        "pengaduan", exports.csv_lines(exports.COMPLAINT_HEADER, exports.complaint_rows())
    )


def export_installments(request: HttpRequest) -> StreamingHttpResponse:
    """All installments, or those of one status (``?status=failed``)."""
    _require(request, EXPORT_PERMISSION)
    status = request.GET.get("status", "")
    if status and status not in Installment.Status.values:
        raise Http404
    full_nik = visibility.sees_full_identity(request.user)
    logger.info(
        "export installments",
        extra={"user": request.user.pk, "status": status, "full_nik": full_nik},
    )
    rows = exports.installment_rows(status=status, full_nik=full_nik)
    return _csv_response(
        f"cicilan-insentif{'-' + status if status else ''}",
        exports.csv_lines(exports.INSTALLMENT_HEADER, rows),
    )
