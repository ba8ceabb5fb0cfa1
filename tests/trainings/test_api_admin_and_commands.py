"""The partner key command, the demo PARTNER lines, and the money-path admin pages."""

import re
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from prakerja import crypto
from tests.factories import PlatformFactory, UserFactory, make_active_participant
from tests.trainings.partner import complete_voucher, last_otp, make_offering
from trainings import services
from trainings.models import PartnerCredential
from trainings.services.credentials import authenticate_request, sign

pytestmark = pytest.mark.django_db


def test_issue_partner_key_prints_a_working_key_pair_once():
    platform = PlatformFactory(code="tokopedia")
    out = StringIO()
    call_command("issue_partner_key", "tokopedia", stdout=out)
    key = re.search(r"^PARTNER_KEY=(\S+)$", out.getvalue(), re.M).group(1)
    secret = re.search(r"^PARTNER_SECRET=(\S+)$", out.getvalue(), re.M).group(1)
    stored = PartnerCredential.objects.get(key=key)
    assert stored.platform == platform
    assert secret not in stored.secret_encrypted
    ts = str(int(time.time()))
    signature = sign(secret=secret, timestamp=ts, method="GET", path="/x", body=b"")
    assert (
        authenticate_request(
            key=key, timestamp=ts, signature=signature, method="GET", path="/x", body=b""
        )
        == platform
    )


def test_issue_partner_key_for_an_unknown_platform_fails():
    with pytest.raises(CommandError):
        call_command("issue_partner_key", "nope", stdout=StringIO())


def test_demo_seed_prints_the_same_working_partner_secret_on_every_run():
    from django.utils import timezone

    from trainings import demo

    first = demo.seed(now=timezone.now())
    second = demo.seed(now=timezone.now())
    assert first == second
    assert len(first) == len(demo.PLATFORMS)
    line = next(line for line in first if "platform=sandbox" in line)
    key, secret = re.search(r"key=(\S+) secret=(\S+)", line).groups()
    credential = PartnerCredential.objects.get(key=key)
    assert crypto.decrypt(credential.secret_encrypted) == secret
    assert secret not in credential.secret_encrypted
    assert PartnerCredential.objects.count() == len(demo.PLATFORMS)


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_money_path_admin_pages_list_and_search(
    staff_client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    card = make_active_participant()
    offering = make_offering()
    services.issue_partner_key(platform=offering.platform)
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.start_payment(
            platform=offering.platform,
            card_number=card.card_number,
            offering_code=offering.code,
            partner_order_id="ORD-77",
        )
    voucher = services.confirm_payment(
        platform=offering.platform, payment_id=payment.pk, otp=last_otp()
    )
    complete_voucher(voucher)
    masked = crypto.mask_card(card.card_number)
    for url, needle in [
        ("/admin/trainings/payment/", masked),
        (f"/admin/trainings/payment/?q={card.card_number}", "ORD-77"),
        (f"/admin/trainings/voucher/?q={voucher.code}", voucher.code),
        (f"/admin/trainings/voucher/?q={card.card_number}", masked),
        ("/admin/trainings/partnercredential/", offering.platform.name),
        (f"/admin/participants/ledgerentry/?q={card.card_number}", masked),
    ]:
        with django_assert_max_num_queries(12):
            response = staff_client.get(url)
        assert response.status_code == 200, url
        assert needle in response.content.decode(), url
        if "?q=" not in url:  # the search box echoes the query; lists show the masked number
            assert card.card_number not in response.content.decode(), url


def test_admin_cancel_action_returns_the_amount(staff_client, django_capture_on_commit_callbacks):
    card = make_active_participant()
    offering = make_offering(price_idr=300_000)
    with django_capture_on_commit_callbacks(execute=True):
        payment = services.start_payment(
            platform=offering.platform,
            card_number=card.card_number,
            offering_code=offering.code,
            partner_order_id="ORD-1",
        )
    services.confirm_payment(platform=offering.platform, payment_id=payment.pk, otp=last_otp())
    response = staff_client.post(
        "/admin/trainings/payment/",
        {"action": "cancel", "_selected_action": [str(payment.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.balance_idr == 1_000_000
