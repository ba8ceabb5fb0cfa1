"""A real phone-sized browser walks a new person from "Daftar" to the card number, with staff
closing the wave and running the selection in the admin; and a person not selected sees why."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from participants.cards import deadlines
from participants.demo import seed_question_bank, seed_videos
from participants.models import (
    Application,
    BasicTestAttempt,
    BasicTestQuestion,
    Participant,
    User,
)
from participants.registration.areas import load_areas
from participants.waves import joining, selection
from tests.conftest import ARTIFACTS
from tests.factories import DEFAULT_PASSWORD, ParticipantFactory, UserFactory, WaveFactory, make_nik
from tests.staff import staff_totp_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIRTH = dt.date(1996, 8, 17)
PAGE_LIMIT = 50 * 1024


def shot(page, name: str) -> None:
    """Extra screenshots of the journey's pages, next to the fixture's final one."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"journey-{name}.png"), full_page=True)


def login(page, base, email, password=DEFAULT_PASSWORD):
    page.goto(base + "/masuk/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")


def logout(page):
    page.click("header summary")  # the "Menu" <details>
    page.click("header form button")


def test_new_person_registers_is_selected_watches_videos_and_sees_card(
    page, live_server, sms_outbox, settings
):
    base = live_server.url
    settings.PORTAL_URL = base  # links in emails are built from PORTAL_URL
    load_areas(provinces=["31", "32"])
    seed_question_bank()
    seed_videos(duration_seconds=3)
    now = timezone.now()
    wave = WaveFactory(
        number=7,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=6),
        announces_at=now + dt.timedelta(days=7),
        # The program year announcing then: after 16 November, the next one.
        program_year=deadlines.program_year_of(now + dt.timedelta(days=7)),
    )
    UserFactory(email="staf@contoh.id", is_staff=True, is_superuser=True)

    # Daftar
    page.goto(base + "/daftar/")
    assert page.bytes_on_wire() < PAGE_LIMIT
    page.get_by_label("Nama lengkap (sesuai KTP)").fill("Wulan Sari")
    page.get_by_label("Email").fill("wulan@contoh.id")
    page.get_by_label("Kata sandi", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Daftar").click()
    assert "Cek email Anda" in page.content()

    # The email link
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="Data identitas")).to_be_visible()
    assert page.bytes_on_wire() < PAGE_LIMIT

    # Identity: the selects refresh the page (a tiny script presses "Tampilkan pilihan wilayah")
    nik = make_nik(district_code="320101", birth_date=BIRTH, gender="F", serial=321)
    page.get_by_label("NIK (16 digit, sesuai KTP)").fill(nik)
    page.get_by_label("No. KK (16 digit)").fill("3201012020200321")
    page.get_by_label("Tanggal lahir").fill(BIRTH.isoformat())
    page.get_by_label("Jenis kelamin").select_option("F")
    with page.expect_navigation():
        page.get_by_label("Provinsi").select_option("32")
    with page.expect_navigation():
        page.get_by_label("Kabupaten/kota").select_option("3201")
    page.get_by_label("Kecamatan").select_option("320101")
    assert page.get_by_label("NIK (16 digit, sesuai KTP)").input_value() == nik
    shot(page, "identity")
    page.get_by_label("Alamat (jalan, RT/RW, desa/kelurahan)").fill("Jl. Melati 5, Pakansari")
    page.get_by_label("Pendidikan terakhir").select_option("s1")
    page.get_by_label("Status pekerjaan").select_option("laid_off")
    page.get_by_role("button", name="Simpan dan lanjutkan").click()

    # Phone OTP from the locmem SMS outbox
    expect(page.get_by_role("heading", name="Verifikasi nomor HP")).to_be_visible()
    page.get_by_label("Nomor HP").fill("0813 1111 2222")
    page.get_by_role("button", name="Kirim kode OTP").click()
    code = re.search(r"\b(\d{6})\b", sms_outbox[-1].text).group(1)
    assert sms_outbox[-1].to == "+6281311112222"
    shot(page, "otp")
    page.get_by_label("Kode OTP (6 digit)").fill(code)
    page.get_by_role("button", name="Verifikasi").click()

    # Declarations
    expect(page.get_by_role("heading", name="Pernyataan Pendaftar")).to_be_visible()
    groups = page.locator("fieldset.q")
    for index, answer in enumerate(["Tidak", "Tidak", "Tidak", "Ya"]):
        groups.nth(index).get_by_label(answer, exact=True).check()
    shot(page, "declarations")
    page.locator("input[name=truthful]").check()
    page.get_by_role("button", name="Simpan pernyataan").click()

    # The basic test: answer every question right
    page.get_by_role("button", name="Mulai tes").click()
    attempt = BasicTestAttempt.objects.get(participant__user__email="wulan@contoh.id")
    answers = dict(
        BasicTestQuestion.objects.filter(pk__in=attempt.question_ids).values_list(
            "pk", "correct_option"
        )
    )
    assert page.locator("fieldset.q").count() == 18
    assert page.bytes_on_wire() < PAGE_LIMIT
    for pk, option in answers.items():
        page.check(f"input[name=q{pk}][value={option}]")
    shot(page, "test")
    page.get_by_role("button", name="Kirim jawaban").click()
    assert "Selamat, Anda lulus tes" in page.content()

    # Gabung
    shot(page, "dashboard-ready")
    page.get_by_role("button", name="Gabung").click()
    assert page.locator("#status").inner_text() == "Menunggu gelombang ditutup"
    logout(page)

    # Staff close the wave and run the selection in the admin
    page.goto(base + "/admin/login/")
    page.fill("#id_username", "staf@contoh.id")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.fill("#id_otp_token", staff_totp_token(User.objects.get(email="staf@contoh.id")))
    page.click("input[type=submit]")
    page.goto(f"{base}/admin/participants/wave/{wave.pk}/change/")
    # Close the wave now; the announcement time stays as planned (a changed announcement is
    # checked against the 16 November rule, which a suite run in late November would hit).
    closing = timezone.localtime(timezone.now() - dt.timedelta(minutes=1))
    page.fill("#id_closes_at_0", closing.strftime("%Y-%m-%d"))
    page.fill("#id_closes_at_1", closing.strftime("%H:%M:%S"))
    page.click("input[name=_save]")
    page.check(f"input[name=_selected_action][value='{wave.pk}']")
    page.select_option("select[name=action]", "run_selection_action")
    page.click("button[name=index]")
    assert "1 lolos" in page.locator(".messagelist").inner_text()
    page.click("#logout-form button")

    # The participant sees "Lolos", watches the three videos and sees the card number
    login(page, base, "wulan@contoh.id")
    assert page.locator("#status").inner_text() == "Lolos"
    shot(page, "dashboard-lolos")
    participant = Participant.objects.get(user__email="wulan@contoh.id")
    assert participant.card_number not in page.content()
    page.get_by_role("link", name="Tonton video pengenalan").click()
    shot(page, "orientation")
    for _ in range(3):
        with page.expect_navigation(timeout=15_000):
            page.locator("button.play:visible").click()
    assert page.locator("#nomor-kartu").inner_text() == participant.card_number
    shot(page, "card-number")
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ACTIVE
    page.get_by_role("link", name="Ke dasbor").click()
    assert participant.card_number in page.locator("#status ~ p b.cardno").inner_text()


def test_person_not_selected_sees_the_reason(page, live_server):
    now = timezone.now()
    wave = WaveFactory(
        opens_at=now - dt.timedelta(days=8),
        closes_at=now - dt.timedelta(days=1),
        announces_at=now - dt.timedelta(hours=1),
    )
    participant = ParticipantFactory(is_student=True)
    joining.join_wave(participant=participant, wave=wave, now=wave.opens_at)
    selection.run_selection(wave=wave, seed="uji")
    assert Application.objects.get(participant=participant).reason_code == "student"

    login(page, live_server.url, participant.user.email)
    assert page.locator("#status").inner_text() == "Belum berhasil"
    assert "Sedang menempuh pendidikan formal." in page.locator("#alasan").inner_text()
    history = page.get_by_role("table")
    assert "Belum berhasil" in history.inner_text()
    assert page.bytes_on_wire() < PAGE_LIMIT
