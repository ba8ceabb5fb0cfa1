"""The demo's late-joining person, in Chromium at 360 x 740: seed_demo runs on 6 December, the
demo applicant presses "Gabung" on the open wave (announced after 16 November, so it belongs
to the next program year), is selected, gets the reminders that fire on the way and buys a
training through the sandbox before the last day. A person of a wave that broke the late-wave
rule gets a clear explanation instead: the real last day is the balance expiry. Screenshots:
test-artifacts/screenshots/late_joiner_*.png."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from participants.cards import deadlines
from participants.demo import DEMO_PASSWORD
from participants.models import Participant, Wave
from participants.waves.joining import join_wave
from prakerja import sms
from tests.browser_checks import login
from tests.conftest import ARTIFACTS
from tests.factories import DEFAULT_PASSWORD, ParticipantFactory, ProvinceFactory
from tests.sandbox.conftest import sandbox_on  # noqa: F401 (the fixture)
from trainings.models import DeadlineReminder, Voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIB = deadlines.WIB
PAGE_LIMIT = 50 * 1024
LATE_JOINER = "pendaftar@prakerja.local"  # the demo's applicant: profile complete, no wave yet


def shot(page, name: str) -> None:
    assert page.bytes_on_wire() <= PAGE_LIMIT, name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"late_joiner_{name}.png"), full_page=True)


def texts_to(outbox, phone: str) -> list[str]:
    return [m.text for m in outbox if m.to == sms.normalize_phone(phone)]


def reminders(outbox, phone: str) -> list[str]:
    return [t for t in texts_to(outbox, phone) if "segera beli pelatihan pertama" in t]


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


@pytest.mark.usefixtures("sandbox_on")
def test_the_demos_late_joiner_is_selected_reminded_and_buys_before_the_last_day(
    page, live_server, settings, sms_outbox, capsys
):
    base = live_server.url
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    settings.PORTAL_URL = base
    with time_machine.travel(at(2026, 12, 6, 5, 46), tick=True) as clock:
        call_command("seed_demo")
        capsys.readouterr()
        open_wave = Wave.objects.order_by("-number").first()
        assert open_wave.program_year == 2027  # announced after 16 November

        # "Gabung"
        login(page, base, LATE_JOINER, DEMO_PASSWORD)
        page.goto(base + "/dasbor/")
        expect(page.get_by_role("button", name="Gabung")).to_be_visible()
        shot(page, "1_gabung")
        page.get_by_role("button", name="Gabung").click()
        expect(page.locator("#status")).to_have_text("Menunggu gelombang ditutup")
        shot(page, "2_joined")

        # The wave closes; selection runs at the announcement.
        clock.move_to(open_wave.announces_at + dt.timedelta(minutes=5))
        call_command("run_due_selections", "--now", open_wave.announces_at.isoformat())
        person = Participant.objects.select_related("user").get(user__email=LATE_JOINER)
        assert person.status == Participant.Status.SELECTED
        last_day = deadlines.first_purchase_deadline(open_wave.announces_at)
        assert person.first_purchase_deadline == last_day
        assert person.balance_expires_at == deadlines.program_balance_expiry(2027)
        (announcement,) = [t for t in texts_to(sms_outbox, person.phone) if "LOLOS" in t]
        assert f"paling lambat {deadlines.wib_text(last_day)}" in announcement
        assert "15 Desember 2027" in announcement

        page.goto(base + "/dasbor/")
        expect(page.locator("#status")).to_have_text("Lolos")
        expect(page.locator("#batas-beli")).to_contain_text(f"{last_day:%-d} Januari 2027 23:59")
        assert page.get_by_text("Saldo kedaluwarsa lebih dulu").count() == 0
        shot(page, "3_lolos")

        # The reminders 7 and 3 days before the last day.
        for days in (7, 3):
            morning = dt.datetime.combine(
                last_day.date() - dt.timedelta(days=days), dt.time(9), tzinfo=WIB
            )
            clock.move_to(morning)
            call_command("send_reminders", "--now", morning.isoformat())
            assert f"({days} hari lagi)" in reminders(sms_outbox, person.phone)[-1]
        assert len(reminders(sms_outbox, person.phone)) == 2
        assert deadlines.wib_text(last_day) in reminders(sms_outbox, person.phone)[-1]

        # The three videos, then the card number.
        page.goto(base + "/orientasi/")
        for _ in range(3):
            with page.expect_navigation(timeout=15_000):
                page.locator("button.play:visible").click()
        person.refresh_from_db()
        assert person.status == Participant.Status.ACTIVE
        expect(page.locator("#nomor-kartu")).to_have_text(person.card_number)
        shot(page, "4_card")

        # A purchase on the sandbox platform, with the OTP from the SMS.
        page.goto(base + "/sandbox/")
        page.locator("article", has_text="Microsoft Excel").get_by_role(
            "link", name="Pilih pelatihan"
        ).click()
        page.get_by_role("link", name="Bayar dengan Kartu Prakerja").click()
        page.get_by_label("Nomor Kartu Prakerja (16 digit)").fill(person.card_number)
        page.get_by_role("button", name="Lanjut bayar").click()
        code = re.search(r"\b(\d{6})\b", texts_to(sms_outbox, person.phone)[-1]).group(1)
        page.get_by_label("Kode OTP (6 digit dari SMS)").fill(code)
        page.get_by_role("button", name="Konfirmasi pembayaran").click()
        expect(page.get_by_text("Pembayaran Berhasil")).to_be_visible()
        shot(page, "5_paid")
        person.refresh_from_db()
        assert person.first_purchase_at < last_day < person.balance_expires_at
        assert Voucher.objects.filter(participant=person).count() == 1

        # The last reminder does not fire: the first training is bought.
        morning = dt.datetime.combine(
            last_day.date() - dt.timedelta(days=1), dt.time(9), tzinfo=WIB
        )
        clock.move_to(morning)
        call_command("send_reminders", "--now", morning.isoformat())
        assert len(reminders(sms_outbox, person.phone)) == 2
        assert DeadlineReminder.objects.filter(participant=person).count() == 2

        page.goto(base + "/dasbor/")
        expect(page.locator("#langkah-pelatihan")).to_contain_text(
            "Selesaikan pelatihan pertama Anda"
        )
        shot(page, "6_dashboard_after_purchase")
        page.goto(base + "/saldo/")
        assert page.locator("#batas-beli").count() == 0
        expect(page.get_by_text("Pelatihan pertama dibeli")).to_be_visible()
        shot(page, "7_saldo")


def test_a_person_in_a_wave_that_broke_the_late_wave_rule_is_told_the_real_last_day(
    page, live_server, sms_outbox
):
    """A wave saved before the rule was checked on edits (the issue's: announced 15 December
    05:46 WIB, 30-day window to 13 January): the dashboard, the announcement and the balance
    page name 15 December 23:59 WIB, the expiry; after it the person is "Saldo kedaluwarsa",
    neither revoked nor blacklisted."""
    base = live_server.url
    ProvinceFactory()
    announces = at(2026, 12, 15, 5, 46)
    wave = Wave.objects.create(
        number=70,
        opens_at=at(2026, 12, 5, 8),
        closes_at=at(2026, 12, 12, 8),
        announces_at=announces,
        quota_total=10,
    )
    person = ParticipantFactory(phone="+6281233330001")
    with time_machine.travel(at(2026, 12, 8, 9), tick=True) as clock:
        join_wave(participant=person, wave=wave)
        clock.move_to(announces + dt.timedelta(minutes=1))
        call_command("run_due_selections", "--now", announces.isoformat())
        (announcement,) = [t for t in texts_to(sms_outbox, person.phone) if "LOLOS" in t]
        assert "paling lambat 15 Desember 2026 23.59 WIB" in announcement
        assert "Januari 2027" not in announcement

        login(page, base, person.user.email, DEFAULT_PASSWORD)
        page.goto(base + "/dasbor/")
        expect(page.locator("#batas-beli")).to_contain_text("15 Desember 2026 23:59")
        expect(page.get_by_text("Saldo kedaluwarsa lebih dulu")).to_be_visible()
        assert "Januari 2027" not in page.locator("main").inner_text()
        shot(page, "late_wave_1_dashboard")

        clock.move_to(at(2026, 12, 16, 0, 25))
        call_command("sweep_deadlines", "--now", at(2026, 12, 16, 0, 5).isoformat())
        call_command("expire_balances", "--now", at(2026, 12, 16, 0, 20).isoformat())
        person.refresh_from_db()
        assert person.status == Participant.Status.EXPIRED
        page.goto(base + "/dasbor/")
        expect(page.locator("#status")).to_have_text("Saldo kedaluwarsa")
        expect(page.get_by_text("tidak masuk daftar hitam")).to_be_visible()
        shot(page, "late_wave_2_expired")
        page.goto(base + "/saldo/")
        assert page.locator("#batas-beli").count() == 0
        expect(page.locator("#saldo-kedaluwarsa")).to_be_visible()
        shot(page, "late_wave_3_saldo")
