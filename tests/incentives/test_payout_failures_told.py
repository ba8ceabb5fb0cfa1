"""Every payout failure, every time, reaches the person by SMS and email with the reason and the
fix (repeat failures after an account change included), and a payout account's holder name is
checked with the gateway, where the gateway offers the check, before the account is saved."""

import pytest
from django.core import mail
from django.utils import timezone

from incentives import payouts, services
from incentives.models import Installment, PayoutAccount, PayoutAccountChange
from prakerja import sms
from tests.factories import DEFAULT_PASSWORD, make_active_participant
from tests.incentives.gateway import KEY, SECRET, Gateway
from tests.incentives.helpers import complete_first_training, give_account

pytestmark = pytest.mark.django_db


def failure_sms(outbox, participant) -> list[str]:
    phone = sms.normalize_phone(participant.phone)
    return [m.text for m in outbox if m.to == phone and "GAGAL" in m.text]


def failure_mails(participant) -> list:
    return [m for m in mail.outbox if participant.user.email in m.to and "gagal" in m.subject]


def change_account(participant, outbox, *, kind, number, holder_name=None, now=None):
    """The person's account change: password, then the SMS OTP."""
    change = services.request_payout_account_change(
        participant=participant,
        password=DEFAULT_PASSWORD,
        kind=kind,
        number=number,
        holder_name=holder_name or participant.user.full_name,
        now=now,
    )
    code = outbox[-1].text.split(": ")[1][:6]
    return services.confirm_payout_account_change(
        participant=participant, change_id=change.pk, code=code, now=now
    )


def test_a_repeat_failure_after_an_account_change_is_told_again(
    sms_outbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    # The e-wallet is the person's phone; the fake gateway cannot check an e-wallet's holder
    # name in advance, and this one ends in 02: its payout fails with name_mismatch.
    participant = make_active_participant(now=now, phone="+6281277770002")
    complete_first_training(participant, now=now)
    give_account(participant, number="1234567801", validated=True, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_disbursement(now=now)
    first = Installment.objects.get(participant=participant, kind="monthly", number=1)
    assert (first.status, first.reason_code) == ("failed", "account_closed")
    assert len(failure_sms(sms_outbox, participant)) == 1
    assert len(failure_mails(participant)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        change_account(participant, sms_outbox, kind="ovo", number="081277770002", now=now)
    first.refresh_from_db()
    assert (first.status, first.reason_code) == ("failed", "name_mismatch")
    texts = failure_sms(sms_outbox, participant)
    assert len(texts) == 2, texts
    assert "Nama pemilik rekening tidak sesuai" in texts[1]
    assert "/insentif/rekening/" in texts[1]
    mails = failure_mails(participant)
    assert len(mails) == 2
    assert "Nama pemilik rekening tidak sesuai" in mails[1].body


def test_a_staff_retry_that_fails_again_is_told_again(
    settings, sms_outbox, django_capture_on_commit_callbacks
):
    settings.PAYOUT_MAX_TEMPORARY_FAILURES = 1
    now = timezone.now()
    participant = make_active_participant(now=now)
    complete_first_training(participant, now=now)
    give_account(participant, number="1234567805", validated=True, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_disbursement(now=now)
    first = Installment.objects.get(participant=participant, kind="monthly", number=1)
    assert (first.status, first.reason_code) == ("failed", "gateway_unavailable")
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_failed(installment_ids=[first.pk], actor=None, now=now)
        services.run_disbursement(now=now)
    first.refresh_from_db()
    assert first.status == "failed"
    assert len(failure_sms(sms_outbox, participant)) == 2


def test_a_holder_name_the_bank_does_not_know_is_refused_before_saving(sms_outbox):
    participant = make_active_participant()
    with pytest.raises(services.AccountCheckFailed) as refused:
        services.request_payout_account_change(
            participant=participant,
            password=DEFAULT_PASSWORD,
            kind="bni",
            number="1234567890",
            holder_name="Orang Lain",
        )
    assert refused.value.code == "name_mismatch"
    assert "Nama pemilik rekening tidak sesuai" in str(refused.value.message)
    assert not PayoutAccountChange.objects.filter(participant=participant).exists()
    assert sms_outbox == []  # no OTP for an account that cannot be saved


def test_an_account_the_bank_reports_closed_is_refused_before_saving(sms_outbox):
    participant = make_active_participant()
    with pytest.raises(services.AccountCheckFailed) as refused:
        services.request_payout_account_change(
            participant=participant,
            password=DEFAULT_PASSWORD,
            kind="bni",
            number="1234567801",
            holder_name=participant.user.full_name,
        )
    assert refused.value.code == "account_closed"
    assert not PayoutAccount.objects.filter(participant=participant).exists()


def test_the_account_page_says_why_and_what_to_do(client, sms_outbox):
    participant = make_active_participant()
    client.force_login(participant.user)
    page = client.post(
        "/insentif/rekening/",
        {
            "password": DEFAULT_PASSWORD,
            "kind": "bni",
            "number": "1234567890",
            "holder_name": "Orang Lain",
        },
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "Nama pemilik rekening tidak sesuai" in body
    assert "sama dengan nama Anda sesuai KTP" in body
    assert sms_outbox == []


@pytest.fixture
def http_gateway(settings):
    with Gateway() as gateway:
        settings.PAYOUT_BACKEND = "http"
        settings.PAYOUT_HTTP_URL = gateway.url
        settings.PAYOUT_HTTP_KEY = KEY
        settings.PAYOUT_HTTP_SECRET = SECRET
        yield gateway


def test_the_http_gateway_checks_the_holder_name_when_it_offers_the_check(http_gateway, sms_outbox):
    participant = make_active_participant()
    with pytest.raises(services.AccountCheckFailed) as refused:
        services.request_payout_account_change(
            participant=participant,
            password=DEFAULT_PASSWORD,
            kind="bni",
            number="1234567890",
            holder_name="Orang Lain",
        )
    assert refused.value.code == "name_mismatch"
    assert any(r["path"] == "/v1/accounts/validate" for r in http_gateway.requests)


def test_a_gateway_without_the_check_lets_the_change_through(http_gateway, sms_outbox):
    http_gateway.offers_account_check = False
    participant = make_active_participant()
    change = services.request_payout_account_change(
        participant=participant,
        password=DEFAULT_PASSWORD,
        kind="bni",
        number="1234567890",
        holder_name=participant.user.full_name,
    )
    assert change.pk is not None
    assert payouts.get_backend().check_holder(
        payouts.AccountCheck(kind="bni", number="1234567890", holder_name="X", expected_name="Y")
    ) == payouts.Outcome(payouts.UNSUPPORTED)
