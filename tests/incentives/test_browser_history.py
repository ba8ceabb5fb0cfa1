"""In a real browser: the failure reason on "Riwayat Insentif", the participant changes the
account with password and OTP, and the retry pays."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incentives import services
from incentives.models import FakeGatewayTransfer, Installment
from prakerja import sms
from tests.conftest import ARTIFACTS
from tests.factories import DEFAULT_PASSWORD
from tests.incentives.helpers import eligible_participant

SHOTS = ARTIFACTS
SHOTS.mkdir(parents=True, exist_ok=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_failure_reason_then_account_change_then_the_retry_pays(page, live_server):
    now = timezone.now()
    participant = eligible_participant(now=now, number="1234567801", validated=True)
    services.run_disbursement(now=now)
    first = Installment.objects.get(participant=participant, kind="monthly", number=1)
    assert first.status == "failed"

    page.goto(f"{live_server.url}/masuk/?next=/insentif/")
    page.get_by_label("Email").fill(participant.user.email)
    page.locator("#id_password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/insentif/")
    page.goto(f"{live_server.url}/insentif/")
    assert page.bytes_on_wire() < 50 * 1024
    expect(page.get_by_role("heading", name="Riwayat Insentif")).to_be_visible()
    expect(
        page.get_by_text("Rekening/E-Wallet telah ditutup di Bank/E-Wallet").first
    ).to_be_visible()
    page.screenshot(path=str(SHOTS / "incentives_history_failed.png"), full_page=True)
    page.get_by_role("link", name="Perbarui rekening").first.click()
    page.get_by_label("Jenis rekening").select_option("bni")
    page.get_by_label("Nomor rekening / nomor e-wallet").fill("1234567890")
    page.get_by_label("Nama pemilik rekening").fill(participant.user.full_name)
    page.get_by_label("Kata sandi akun Anda").fill(DEFAULT_PASSWORD)
    page.screenshot(path=str(SHOTS / "incentives_account_form.png"), full_page=True)
    page.get_by_role("button", name="Kirim kode OTP").click()
    page.wait_for_url("**/rekening/verifikasi/**")
    assert page.bytes_on_wire() < 50 * 1024
    code = sms.outbox[-1].text.split(": ")[1][:6]
    page.get_by_label("Kode OTP (6 digit)").fill(code)
    page.screenshot(path=str(SHOTS / "incentives_account_otp.png"), full_page=True)
    page.get_by_role("button", name="Simpan rekening").click()
    page.wait_for_url("**/insentif/")
    expect(page.get_by_text("Rekening berhasil diperbarui")).to_be_visible()
    # The retry ran right after the change (the on-commit task, eager in tests).
    expect(page.get_by_text("Dibayar").first).to_be_visible()
    first.refresh_from_db()
    assert first.status == "paid"
    assert (
        FakeGatewayTransfer.objects.filter(
            reference=f"installment-{first.pk}", status="paid"
        ).count()
        == 1
    )
