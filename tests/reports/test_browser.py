"""The program dashboard in a real browser: charts are inline SVG, no script and no console
errors."""

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
