"""A person refused because a BSU list names them, on a 360 x 740 phone: the "Belum berhasil"
page names the source in plain Indonesian and what to do, and its complaint link opens the form
with the "Keberatan data instansi: BSU" category chosen; the complaint is filed in it.
Screenshots: test-artifacts/screenshots/kelayakan-*.png."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from complaints.models import Complaint
from participants.eligibility import lists
from participants.waves.selection import run_selection
from tests.browser_checks import horizontal_overflow, login, small_targets
from tests.conftest import ARTIFACTS
from tests.factories import DEFAULT_PASSWORD, ParticipantFactory, WaveFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def list_rows_deleted():
    """This test commits a list version, whose rows are in a table the flush does not empty."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM participants_agencylistentry")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"kelayakan-{name}.png"), full_page=True)


def test_a_person_refused_for_a_bsu_entry_walks_to_the_prefilled_complaint_form(
    page, live_server, list_rows_deleted
):
    now = timezone.now()
    wave = WaveFactory(
        number=31,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=3),
        announces_at=now - dt.timedelta(days=1),
    )
    person = ParticipantFactory(user__full_name="Rahmat Hidayat")
    person.applications.create(wave=wave, joined_at=wave.opens_at)
    today = timezone.localdate()
    lists.import_list(
        source="bsu",
        stream=io.BytesIO(f"nik\n{person._nik}\n".encode()),
        list_date=today,
        valid_until=today + dt.timedelta(days=90),
    )
    run_selection(wave=wave)

    login(page, live_server.url, person.user.email, DEFAULT_PASSWORD)
    page.goto(live_server.url + "/dasbor/")
    expect(page.locator("#status")).to_have_text("Belum berhasil")
    why = page.locator("#penjelasan")
    expect(why).to_contain_text(
        "Terdaftar sebagai penerima BSU (Bantuan Subsidi Upah) menurut data BPJS Ketenagakerjaan."
    )
    expect(page.locator("#langkah-seleksi")).to_contain_text("ajukan keberatan")
    assert small_targets(page) == [], small_targets(page)
    assert horizontal_overflow(page) <= 0
    shot(page, "belum-berhasil")

    page.locator("#ajukan-pengaduan").click()
    page.wait_for_load_state()
    topic = page.locator("#id_topic")
    expect(topic).to_have_value("kelayakan:bsu")
    expect(topic.locator("option:checked")).to_have_text("Keberatan: penerima BSU")
    assert horizontal_overflow(page) <= 0
    shot(page, "pengaduan")

    page.fill("#id_name", "Rahmat Hidayat")
    page.fill("#id_phone", "081234567890")
    page.fill("#id_email", person.user.email)
    page.fill(
        "#id_description",
        "Saya tidak pernah menerima BSU; saya tidak bekerja sejak 2025. Mohon diperiksa.",
    )
    page.check("#id_consent")
    page.get_by_role("button", name="Kirim pengaduan").click()
    page.wait_for_load_state()
    complaint = Complaint.objects.get()
    assert (complaint.category, complaint.subcategory) == ("kelayakan", "bsu")
    assert complaint.topic_display == "Keberatan data instansi: penerima BSU"
