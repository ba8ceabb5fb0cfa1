import datetime as dt

import pytest
from django.utils import timezone

from complaints import services as complaint_services
from participants.models import Application, Participant
from reports import charts
from tests.factories import OfferingFactory, PlatformFactory, ProvinceFactory, WaveFactory
from tests.reports.conftest import apply, installment, purchase, staff_with
from trainings.models import RecoveredQuota

pytestmark = pytest.mark.django_db

URL = "/admin/laporan/"
S = Application.Status
P = Participant.Status


@pytest.fixture
def program():
    """Wave 1 with 8 applicants, every funnel stage populated, plus platforms and complaints."""
    now = timezone.now()
    wave = WaveFactory(
        number=1,
        opens_at=now - dt.timedelta(days=40),
        closes_at=now - dt.timedelta(days=35),
        announces_at=now - dt.timedelta(days=34),
    )
    WaveFactory(number=2)  # open, nobody yet
    apply(wave)  # still joined
    apply(wave, status=S.NOT_SELECTED, reason="student")
    apply(wave, status=S.NOT_SELECTED, reason="quota_full")
    selected = {"status": S.SELECTED}
    apply(wave, **selected)  # selected, never oriented
    apply(wave, **selected, oriented_at=now)
    revoked = apply(wave, **selected, oriented_at=now)
    Participant.objects.filter(pk=revoked.pk).update(status=P.REVOKED, revoked_at=now)
    tokopedia = PlatformFactory(code="tokopedia", name="Tokopedia")
    pijar = PlatformFactory(code="pijar", name="Pijar Mahir")
    buyers = []
    for done, reviewed, platform in [
        (False, False, tokopedia),
        (True, False, tokopedia),
        (True, True, pijar),
    ]:
        buyer = apply(wave, **selected, oriented_at=now, first_purchase_at=now)
        purchase(buyer, OfferingFactory(platform=platform), completed=done, reviewed=reviewed)
        buyers.append(buyer)
    # A second training is not a first purchase and must not count in the funnel.
    purchase(buyers[2], OfferingFactory(platform=pijar), completed=True, sequence=2)
    reviewer = buyers[2]
    installment(reviewer, number=1, status="paid")
    installment(reviewer, number=2, status="failed", reason="name_mismatch")
    installment(reviewer, number=3, status="failed", reason="name_mismatch")
    installment(buyers[1], number=1, status="failed", reason="account_closed")
    installment(reviewer, number=4, status="scheduled")
    RecoveredQuota.objects.create(
        source_wave=wave, province=ProvinceFactory(), recovered=11, allocated=4
    )
    for days, category in [(0, "insentif"), (2, "insentif"), (9, "registrasi"), (9, "lainnya")]:
        complaint = complaint_services.submit_complaint(
            name="A",
            phone="+6281200000000",
            email="a@contoh.id",
            category=category,
            description="x" * 30,
            now=now - dt.timedelta(days=days),
        )
    staff = staff_with("view_complaint")
    complaint_services.change_status(complaint=complaint, to="selesai", actor=staff)
    return wave


def test_guests_go_to_the_admin_login_and_staff_without_the_permission_get_403(client):
    assert client.get(URL).status_code == 302
    client.force_login(staff_with("view_complaint", "export_program_data"))
    assert client.get(URL).status_code == 403


def test_the_dashboard_shows_each_wave_funnel_pool_platforms_and_complaints_in_few_queries(
    client, program, django_assert_max_num_queries
):
    client.force_login(staff_with("view_program_dashboard"))
    # Session, user and 2 permission lookups; then 3 funnel, pool, platforms, 2 incentive and
    # 1 complaint aggregates, the trends' daily counts and their last rollup, and 2 eligibility
    # aggregates: 16, whatever the number of participants.
    with django_assert_max_num_queries(16):
        response = client.get(URL)
    assert response.status_code == 200
    funnels = {f["number"]: f for f in response.context["funnels"]}
    counts = {s["key"]: s["value"] for s in funnels[1]["stages"]}
    assert counts == {
        "joined": 9,
        "eligible": 7,
        "selected": 6,
        "oriented": 5,
        "bought": 3,
        "completed": 2,
        "reviewed": 1,
        "revoked": 1,
    }
    assert all(s["value"] == 0 for s in funnels[2]["stages"])
    quota = response.context["quota"]
    assert (quota["recovered"], quota["allocated"], quota["available"]) == (11, 4, 7)
    platforms = {p["platform__name"]: p["purchases"] for p in response.context["platforms"]}
    assert platforms == {"Tokopedia": 2, "Pijar Mahir": 2}
    complaints = {c["category"]: c for c in response.context["complaints"]}
    assert complaints["insentif"]["open"] == 2
    assert complaints["insentif"]["age_lt1"] == 1 and complaints["insentif"]["age_1to3"] == 1
    assert complaints["registrasi"]["age_gt7"] == 1
    assert complaints["lainnya"]["total"] == 1 and complaints["lainnya"]["open"] == 0
    incentives = response.context["incentives"]
    assert (incentives["owed_count"], incentives["owed_idr"]) == (4, 2_400_000)
    assert (incentives["paid_count"], incentives["paid_idr"]) == (1, 600_000)
    assert [(r["reason_code"], r["count"]) for r in incentives["failed_by_reason"]] == [
        ("name_mismatch", 2),
        ("account_closed", 1),
    ]
    assert incentives["failed_by_reason"][0]["label"] == "Nama pemilik rekening tidak sesuai"
    body = response.content.decode()
    # A funnel per wave, then platforms, failed incentives and complaints.
    assert body.count('<svg class="bars"') == 2 + 3
    assert "<script" not in body.split('<div class="dash">')[1]
    # No export links for someone who may not export.
    assert "/admin/laporan/ekspor/" not in body


def test_the_query_count_does_not_grow_with_the_data(client, program, django_assert_num_queries):
    client.force_login(staff_with("view_program_dashboard"))
    client.get(URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(URL)
    apply(program)
    apply(program, status=S.SELECTED, oriented_at=timezone.now())
    with CaptureQueriesContext(connection) as after:
        client.get(URL)
    assert len(after) == len(before)


def test_the_dashboard_is_linked_from_the_admin_index_for_permitted_staff(client):
    client.force_login(staff_with("view_program_dashboard"))
    response = client.get("/admin/reports/programreport/")
    assert response.status_code == 302 and response["Location"] == URL
    assert "/admin/reports/programreport/" in client.get("/admin/").content.decode()


def test_bars_scale_to_the_first_stage():
    chart = charts.bar_chart([("a", 100), ("b", 50), ("c", 0)], scale_to=100)
    widths = [b["width"] for b in chart["bars"]]
    assert widths == [260, 130, 0]
    assert [b["percent"] for b in chart["bars"]] == [100.0, 50.0, 0]
    assert charts.bar_chart([])["height"] == 0
    long = charts.bar_chart([("Rekening/E-Wallet telah ditutup di Bank/E-Wallet", 3)])
    assert long["bars"][0]["short"] == "Rekening/E-Wallet telah di…"
