"""The sandbox storefront, driven over real HTTP; it talks to the partner API over real HTTP too."""

import importlib
import re

import pytest
from django.test import override_settings
from django.urls import clear_url_caches
from django.utils import timezone

from participants.models import LedgerEntry
from sandbox.models import SandboxCredential
from tests.factories import make_active_participant
from tests.trainings.partner import last_otp
from trainings import services
from trainings.models import PartnerCredential, Payment, Voucher

pytestmark = pytest.mark.django_db(transaction=True)


def test_sandbox_is_not_mounted_when_the_setting_is_off(client, settings):
    import prakerja.urls

    assert client.get("/sandbox/").status_code == 404
    try:
        settings.SANDBOX = True
        clear_url_caches()
        mounted = importlib.reload(prakerja.urls)
        assert any(str(p.pattern) == "sandbox/" for p in mounted.urlpatterns)
    finally:
        settings.SANDBOX = False
        clear_url_caches()
        importlib.reload(prakerja.urls)


def test_catalog_lists_only_the_sandbox_platforms_offerings(sandbox_on, sandbox_catalog, visitor):
    page = visitor.get("/sandbox/")

    assert page.status_code == 200
    assert "Microsoft Excel untuk Administrasi Kantor" in page.text
    assert "Rp150.000" in page.text
    assert "/sandbox/pelatihan/sandbox-004/" in page.text
    assert "tokopedia-004" not in page.text
    # The provider's name, not its code.
    assert "Arkademi" in page.text


def test_demo_sandbox_links_are_relative_so_they_work_on_any_port(db):
    from trainings import demo
    from trainings.models import Offering

    demo.seed(now=timezone.now())
    urls = Offering.objects.filter(platform__code="sandbox").values_list("url", flat=True)
    assert urls and all(url.startswith("/sandbox/pelatihan/") for url in urls)


def test_first_use_provisions_one_credential_and_keeps_the_secret_encrypted(
    sandbox_on, sandbox_catalog, visitor
):
    visitor.get("/sandbox/")
    visitor.get("/sandbox/")

    stored = SandboxCredential.objects.get()
    credential = PartnerCredential.objects.get(platform=sandbox_catalog["platform"])
    assert stored.key == credential.key
    assert len(stored.secret_encrypted) > 60  # a Fernet token, not the 43-character secret


def test_a_revoked_stored_credential_is_replaced(sandbox_on, sandbox_catalog, visitor):
    visitor.get("/sandbox/")
    services.revoke_partner_key(credential=PartnerCredential.objects.get())

    page = visitor.get("/sandbox/")

    assert page.status_code == 200
    assert "Microsoft Excel" in page.text
    assert PartnerCredential.objects.filter(revoked_at__isnull=True).count() == 1
    assert SandboxCredential.objects.get().key != PartnerCredential.objects.earliest("pk").key


def test_credentials_from_settings_are_used_as_given(sandbox_on, sandbox_catalog, visitor):
    key, secret = services.issue_partner_key(platform=sandbox_catalog["platform"])

    with override_settings(SANDBOX_PARTNER_KEY=key, SANDBOX_PARTNER_SECRET=secret):
        page = visitor.get("/sandbox/")

    assert "Microsoft Excel" in page.text
    assert not SandboxCredential.objects.exists()


def test_wrong_secret_in_settings_shows_an_indonesian_error(sandbox_on, sandbox_catalog, visitor):
    key, _ = services.issue_partner_key(platform=sandbox_catalog["platform"])

    with override_settings(SANDBOX_PARTNER_KEY=key, SANDBOX_PARTNER_SECRET="salah"):
        page = visitor.get("/sandbox/")

    assert page.status_code == 503
    assert "X-Signature tidak cocok" in page.text


def test_without_a_sandbox_platform_the_storefront_says_how_to_set_it_up(sandbox_on, visitor):
    page = visitor.get("/sandbox/")

    assert page.status_code == 503
    assert "seed_demo" in page.text


def test_offering_is_found_by_the_last_part_of_its_url(sandbox_on, sandbox_catalog, visitor):
    page = visitor.get("/sandbox/pelatihan/004/")

    assert page.status_code == 200
    assert "Microsoft Excel untuk Administrasi Kantor" in page.text
    assert visitor.get("/sandbox/pelatihan/999/").status_code == 404


# --- the purchase --------------------------------------------------------------------------------


def pay(visitor, offering_code: str, card_number: str):
    visitor.get(f"/sandbox/pelatihan/{offering_code}/")
    assert "Bayar dengan Kartu Prakerja" in visitor.last.text
    visitor.get(f"/sandbox/pelatihan/{offering_code}/?bayar=prakerja")
    return visitor.submit(f"/sandbox/pelatihan/{offering_code}/", {"card_number": card_number})


def test_card_number_starts_a_payment_and_the_otp_goes_by_sms(
    sandbox_on, sandbox_catalog, visitor, sms_outbox
):
    participant = make_active_participant()

    page = pay(visitor, "sandbox-004", participant.card_number)

    payment = Payment.objects.get()
    assert page.url.endswith(f"/sandbox/pembayaran/{payment.pk}/")
    assert "Masukkan kode OTP" in page.text
    assert "Rp150.000" in page.text
    assert payment.platform == sandbox_catalog["platform"]
    assert payment.partner_order_id.startswith("SBX-")
    assert sms_outbox[-1].to == participant.phone
    assert re.search(r"\b\d{6}\b", sms_outbox[-1].text)


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ("1234567812345678", "tidak ditemukan"),
        ("12345", "16 angka"),
    ],
)
def test_wrong_card_number_is_explained_in_indonesian(
    sandbox_on, sandbox_catalog, visitor, card, message
):
    page = pay(visitor, "sandbox-004", card)

    assert page.status_code == 200
    assert message in page.text
    assert not Payment.objects.exists()


def test_not_enough_balance_is_explained_in_indonesian(sandbox_on, sandbox_catalog, visitor):
    participant = make_active_participant()

    page = pay(visitor, "sandbox-003", participant.card_number)

    assert "Saldo pelatihan tidak mencukupi" in page.text
    assert not Payment.objects.exists()


def test_wrong_otp_shows_the_attempts_left(sandbox_on, sandbox_catalog, visitor):
    participant = make_active_participant()
    page = pay(visitor, "sandbox-004", participant.card_number)
    wrong = "000000" if last_otp() != "000000" else "111111"

    page = visitor.submit(page.url.removeprefix(visitor.base_url), {"otp": wrong})

    assert "Sisa percobaan: 4" in page.text
    assert Payment.objects.get().status == Payment.Status.OTP_SENT


def test_resubmitting_the_same_otp_form_debits_once(sandbox_on, sandbox_catalog, visitor):
    participant = make_active_participant()
    page = pay(visitor, "sandbox-004", participant.card_number)
    action = page.url.removeprefix(visitor.base_url)
    form_html = page.text
    otp = last_otp()

    first = visitor.submit(action, {"otp": otp}, form_html=form_html)
    again = visitor.submit(action, {"otp": otp}, form_html=form_html)

    voucher = Voucher.objects.get()
    assert first.url == again.url
    assert first.url.endswith(f"/sandbox/voucher/{voucher.code}/")
    assert "Pembayaran Berhasil" in first.text
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).count() == 1
    participant.refresh_from_db()
    assert participant.balance_idr == 850_000


def test_the_whole_walk_to_the_certificate(sandbox_on, sandbox_catalog, visitor, settings):
    settings.PORTAL_URL = visitor.base_url  # the certificate's address is on the portal's
    participant = make_active_participant()
    page = pay(visitor, "sandbox-004", participant.card_number)
    page = visitor.submit(page.url.removeprefix(visitor.base_url), {"otp": last_otp()})
    voucher = Voucher.objects.get()
    assert voucher.code in page.text
    base = f"/sandbox/voucher/{voucher.code}"

    page = visitor.submit(f"{base}/tukar/", {})
    assert "Voucher berhasil ditukarkan" in page.text
    page = visitor.submit(f"{base}/pretest/", {"score": "55"})
    assert "Pre-test selesai" in page.text
    page = visitor.submit(f"{base}/selesai/", {"score": "90"})
    assert "Sertifikat sudah terbit" in page.text

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.COMPLETED
    assert (voucher.pretest_score, voucher.score) == (55, 90)
    assert voucher.certificate_number == f"SBX-{voucher.code}"
    assert voucher.certificate_url == f"{visitor.base_url}/sandbox/sertifikat/{voucher.code}/"
    certificate = visitor.get(f"/sandbox/sertifikat/{voucher.code}/")
    assert certificate.status_code == 200
    assert f"SBX-{voucher.code}" in certificate.text


def test_redeeming_twice_shows_the_api_error(sandbox_on, sandbox_catalog, visitor):
    participant = make_active_participant()
    page = pay(visitor, "sandbox-004", participant.card_number)
    visitor.submit(page.url.removeprefix(visitor.base_url), {"otp": last_otp()})
    voucher = Voucher.objects.get()
    redeem_form = visitor.last.text

    visitor.submit(f"/sandbox/voucher/{voucher.code}/tukar/", {}, form_html=redeem_form)
    # a new click (fresh idem token) on the stale page: the API refuses a second redemption
    page = visitor.submit(
        f"/sandbox/voucher/{voucher.code}/tukar/", {"idem": "b" * 24}, form_html=redeem_form
    )

    assert "msg-error" in page.text
    assert Voucher.objects.get().status == Voucher.Status.REDEEMED


def test_another_platforms_voucher_is_not_found(sandbox_on, sandbox_catalog, visitor):
    assert visitor.get("/sandbox/voucher/ABCDEFGHJKMN/").status_code == 404
