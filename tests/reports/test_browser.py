"""The program dashboard in a real browser: charts are inline SVG, no script and no console
errors."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from participants.models import Application
from tests.factories import DEFAULT_PASSWORD, WaveFactory
from tests.reports.conftest import apply, staff_with
from tests.staff import staff_totp_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_the_funnel_chart_and_export_links(browser, live_server):
    wave = WaveFactory(number=3)
    for _ in range(3):
        apply(wave)
    apply(wave, status=Application.Status.SELECTED, oriented_at=timezone.now())
    staff = staff_with("view_program_dashboard", "export_program_data")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live_server.url + "/admin/login/?next=/admin/laporan/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label(re.compile("[Ss]andi")).fill(DEFAULT_PASSWORD)
    page.fill("#id_otp_token", staff_totp_token(staff))
    page.get_by_role("button", name=re.compile("Masuk|Log in")).click()
    page.wait_for_url(re.compile(r"/admin/laporan/$"))
    chart = page.get_by_role("img", name="Corong peserta")
    expect(chart.count() == 1 and chart).to_be_visible()
    assert page.locator("#gelombang-3 svg.bars rect").count() == 8
    expect(page.get_by_role("link", name="Unduh CSV peserta")).to_be_visible()
    page.screenshot(path="test-artifacts/screenshots/reports_dashboard.png", full_page=True)
    context.close()
    assert not errors


def _log_in_staff(page, live_server, staff, next_url: str) -> None:
    page.goto(live_server.url + "/admin/login/?next=" + next_url)
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label(re.compile("[Ss]andi")).fill(DEFAULT_PASSWORD)
    page.fill("#id_otp_token", staff_totp_token(staff))
    page.get_by_role("button", name=re.compile("Masuk|Log in")).click()


@pytest.mark.parametrize("width", [360, 1280])
def test_staff_read_the_daily_trends_at_phone_and_desktop_width(browser, live_server, width):
    import io

    from django.core.management import call_command

    from tests.reports.test_trends import _registered

    wave = WaveFactory(number=5)
    now = timezone.localtime()
    # Within this year, whatever today is: at most as many days back as the year has had.
    days_back = [min(n, now.timetuple().tm_yday - 1) for n in (0, 1, 1, 3, 10, 10, 10)]
    for days_ago in days_back:
        person = _registered(now - dt.timedelta(days=days_ago), wave=wave)
        Application.objects.create(
            participant=person, wave=wave, joined_at=now - dt.timedelta(days=days_ago)
        )
    call_command("rollup_trends", stdout=io.StringIO())
    staff = staff_with("view_program_dashboard")
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="id-ID")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    _log_in_staff(page, live_server, staff, "/admin/laporan/")
    page.wait_for_url(re.compile(r"/admin/laporan/$"))

    trends = page.locator("#tren")
    expect(trends.get_by_role("heading", name="Tren harian")).to_be_visible()
    year = str(now.year)
    chart = trends.get_by_role("img", name=f"Pendaftaran akun Tahun {year}")
    expect(chart).to_be_visible()
    assert trends.locator("svg polyline").count() == 8
    box = trends.bounding_box()
    assert box["width"] <= width
    assert chart.bounding_box()["width"] > 200
    assert "Total 7" in trends.locator("figure.trend").first.inner_text()

    # The same numbers in a table, without JavaScript: <details> opens on a click.
    table = trends.locator("details table")
    expect(table).to_be_hidden()
    trends.get_by_text("Tabel harian").click()
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() == len(set(days_back))
    trends.screenshot(path=f"test-artifacts/screenshots/reports_trends_year_{width}.png")

    # A wave's trends, chosen with the form (GET, no script).
    trends.get_by_label("Periode").select_option(label="Gelombang 5")
    trends.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url(re.compile(r"tren=g5"))
    expect(
        page.locator("#tren").get_by_role("img", name="Gabung gelombang Gelombang 5")
    ).to_be_visible()
    assert page.locator("#tren svg polyline").count() == 7
    assert page.locator("script:not([src])").count() == 0
    page.screenshot(path=f"test-artifacts/screenshots/reports_trends_{width}.png", full_page=True)
    context.close()
    assert not errors, errors
