"""A real browser at phone size walks the sandbox purchase, from the card number to the
certificate, then reviews the training on the portal's "Pelatihan Saya"."""

import pytest
from playwright.sync_api import expect

from tests.conftest import ARTIFACTS
from tests.factories import DEFAULT_PASSWORD, make_active_participant
from tests.trainings.partner import last_otp
from trainings.models import Voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_PAGE_BYTES = 50 * 1024


def _check(page, name: str) -> None:
    """Every screen: light, titled, and kept as a screenshot to look at."""
    assert page.bytes_on_wire() < MAX_PAGE_BYTES, f"{name}: {page.bytes_on_wire()} bytes"
    assert page.title().strip()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"sandbox_walk_{name}.png"), full_page=True)


def _click(page, name: str, *, role: str = "button") -> None:
    page.responses.clear()
    page.get_by_role(role, name=name).click()
    page.wait_for_load_state()


def test_sandbox_purchase_to_certificate_and_review_on_pelatihan_saya(
    page, live_server, sandbox_on, sandbox_catalog
):
    participant = make_active_participant()

    page.goto(live_server.url + "/sandbox/")
    _check(page, "1_catalog")
    page.responses.clear()
    page.locator("article", has_text="Microsoft Excel").get_by_role(
        "link", name="Pilih pelatihan"
    ).click()
    _click(page, "Bayar dengan Kartu Prakerja", role="link")
    page.get_by_label("Nomor Kartu Prakerja (16 digit)").fill(participant.card_number)
    _check(page, "2_card")
    _click(page, "Lanjut bayar")

    expect(page.get_by_role("heading", name="Masukkan kode OTP")).to_be_visible()
    page.get_by_label("Kode OTP (6 digit dari SMS)").fill(last_otp(participant.phone))
    _check(page, "3_otp")
    _click(page, "Konfirmasi pembayaran")

    voucher = Voucher.objects.get(participant=participant)
    expect(page.get_by_text("Pembayaran Berhasil")).to_be_visible()
    expect(page.get_by_text(voucher.code, exact=True)).to_be_visible()
    _check(page, "4_paid")
    _click(page, "Tukarkan voucher")
    expect(page.get_by_text("Voucher berhasil ditukarkan")).to_be_visible()
    page.get_by_label("Nilai pre-test (0-100)").fill("55")
    _click(page, "Ikuti pre-test")
    _check(page, "5_pretest_done")
    _click(page, "Selesaikan pelatihan")
    expect(page.get_by_text("Sertifikat sudah terbit")).to_be_visible()
    _click(page, "Lihat sertifikat", role="link")
    expect(page.get_by_text(f"SBX-{voucher.code}")).to_be_visible()
    _check(page, "6_certificate")

    page.goto(live_server.url + "/masuk/?next=/pelatihan-saya/")
    page.get_by_label("Email").fill(participant.user.email)
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    _click(page, "Masuk")

    card = page.locator(f"#voucher-{voucher.pk}")
    expect(card.get_by_text(voucher.code, exact=True)).to_be_visible()
    expect(card.get_by_text("Pelatihan selesai")).to_be_visible()
    assert (
        card.get_by_role("link", name="Lihat sertifikat")
        .get_attribute("href")
        .endswith(f"/sandbox/sertifikat/{voucher.code}/")
    )
    expect(card.get_by_text(f"No. SBX-{voucher.code}")).to_be_visible()
    card.get_by_label("Penilaian (1-5)").select_option("5")
    card.get_by_label("Ulasan").fill("Materinya praktis, langsung saya pakai di kantor.")
    _check(page, "7_pelatihan_saya")
    _click(page, "Kirim ulasan")

    expect(page.get_by_text("Terima kasih, ulasan Anda sudah tersimpan.")).to_be_visible()
    expect(card.get_by_text("5/5")).to_be_visible()
    expect(card.get_by_text("Materinya praktis, langsung saya pakai di kantor.")).to_be_visible()
    assert card.get_by_role("button", name="Kirim ulasan").count() == 0
    _check(page, "8_reviewed")
    voucher.refresh_from_db()
    assert (voucher.rating, voucher.reviewed_at is not None) == (5, True)

    page.goto(live_server.url + "/saldo/")
    expect(page.get_by_text("Microsoft Excel untuk Administrasi Kantor")).to_be_visible()
    expect(page.get_by_text("Rp850.000").first).to_be_visible()
    _check(page, "9_balance")
