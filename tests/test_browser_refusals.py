"""Refusals on a 360 x 740 phone say what to do next: a wave that closed while the
dashboard was open, and a phone OTP locked after too many wrong codes. Screenshots:
test-artifacts/screenshots/refusal-*.png."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from participants import refusals
from participants.models import Wave
from tests.browser_checks import header_height, horizontal_overflow, login, small_targets
from tests.conftest import ARTIFACTS
from tests.factories import DEFAULT_PASSWORD, ParticipantFactory, WaveFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"refusal-{name}.png"), full_page=True)


def fits_a_phone(page) -> None:
    assert header_height(page) <= 80
    assert small_targets(page) == [], small_targets(page)
    assert horizontal_overflow(page) <= 0


def test_a_wave_that_closed_while_the_page_was_open_says_what_to_do_next(page, live_server):
    participant = ParticipantFactory()
    wave = WaveFactory(number=41)
    login(page, live_server.url, participant.user.email, DEFAULT_PASSWORD)
    page.goto(live_server.url + "/dasbor/")
    join = page.get_by_role("button", name="Gabung")
    expect(join).to_be_visible()
    # The wave closes while the person reads the page.
    Wave.objects.filter(pk=wave.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    join.click()
    page.wait_for_load_state()

    box = page.locator("#langkah-berikutnya")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Gelombang ini tidak sedang dibuka.")
    expect(box).to_contain_text(str(refusals.NEXT_STEPS["wave_not_open"].text))
    expect(box.get_by_role("link", name="Ke dasbor")).to_be_visible()
    fits_a_phone(page)
    shot(page, "gabung-ditutup")
    # Nothing was joined; the closed wave is not offered again.
    assert not participant.applications.exists()
    expect(page.get_by_role("button", name="Gabung")).to_have_count(0)


def test_a_locked_phone_otp_says_what_to_do_next_and_opens_the_complaint_form(
    page, live_server, sms_outbox
):
    participant = ParticipantFactory(
        phone="", phone_verified_at=None, declared_at=None, test_passed_at=None
    )
    login(page, live_server.url, participant.user.email, DEFAULT_PASSWORD)
    page.goto(live_server.url + "/profil/nomor-hp/")
    page.fill("#id_phone", "081299990002")
    page.click("main button[type=submit]")
    page.wait_for_url("**/profil/nomor-hp/verifikasi/")
    sent = re.search(r"\b(\d{6})\b", sms_outbox[-1].text).group(1)
    wrong = "000000" if sent != "000000" else "999999"
    for _ in range(settings.OTP_MAX_ATTEMPTS):  # the last wrong code locks it
        page.fill("#id_code", wrong)
        page.click("main button[type=submit]")
        page.wait_for_load_state()

    box = page.locator("#langkah-berikutnya")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-kode", "otp_locked")
    expect(box).to_contain_text("dikunci")
    # The locked code's form is gone; the way to a new code stays.
    expect(page.get_by_role("button", name="Verifikasi")).to_have_count(0)
    expect(page.get_by_role("link", name="Kirim ulang kode atau ganti nomor")).to_be_visible()
    fits_a_phone(page)
    shot(page, "otp-dikunci")

    box.get_by_role("link", name="Ajukan pengaduan").click()
    page.wait_for_url("**/pengaduan/?kategori=*")
    expect(page.locator("#id_topic")).to_have_value("registrasi:lainnya")
    fits_a_phone(page)
    shot(page, "otp-pengaduan")


def test_the_404_and_the_login_lock_pages_say_what_to_do_next_on_a_phone(
    page, live_server, request
):
    # Chromium logs the document's own 404 and 429 statuses as console errors.
    request.node.allowed_console_errors = ("status of 404", "status of 429")
    page.goto(live_server.url + "/tidak-ada/")
    box = page.locator("#langkah-berikutnya")
    expect(box).to_have_attribute("data-kode", "not_found")
    expect(box.get_by_role("link", name="Ajukan pengaduan")).to_be_visible()
    fits_a_phone(page)
    shot(page, "404")

    participant = ParticipantFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        page.goto(live_server.url + "/masuk/")
        page.fill("#id_username", participant.user.email)
        page.fill("#id_password", "bukan-sandinya")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
    box = page.locator("#langkah-berikutnya")
    expect(box).to_have_attribute("data-kode", "login_locked")
    expect(box).to_contain_text("Tunggu 15 menit")
    expect(box.get_by_role("link", name="Atur ulang kata sandi")).to_be_visible()
    fits_a_phone(page)
    shot(page, "masuk-dikunci")
