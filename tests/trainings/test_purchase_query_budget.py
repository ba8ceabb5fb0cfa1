"""Query budgets of the money path, through the whole HTTP stack (Django test client, signed)."""

import json
import time
import uuid

import pytest

from tests.factories import make_active_participant
from tests.trainings.partner import API, last_otp, make_offering
from trainings import services
from trainings.services.credentials import sign

pytestmark = pytest.mark.django_db

# Confirmation: credential, idempotency lookup, payment (one join), the conditional flip, the
# debit (UPDATE, balance read, ledger INSERT), the voucher count, the voucher INSERT, the audit
# row and the idempotency INSERT = 11 statements, plus 8 SAVEPOINT/RELEASE lines that appear here
# because the test runs inside a transaction.
# One more: the payment's row lock while ``participants.otp.verify`` compares the code.
CONFIRM_BUDGET = 20
# Start: the person's row lock that makes the per-person rate of new OTPs race-free is one of them.
START_BUDGET = 13


def signed_post(client, key, secret, path, payload):
    body = json.dumps(payload).encode()
    ts = str(int(time.time()))
    return client.post(
        API + path,
        data=body,
        content_type="application/json",
        headers={
            "X-Partner-Key": key,
            "X-Timestamp": ts,
            "X-Signature": sign(
                secret=secret, timestamp=ts, method="POST", path=API + path, body=body
            ),
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )


def test_start_and_confirm_stay_within_their_query_budgets(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    card = make_active_participant()
    offering = make_offering(price_idr=250_000)
    key, secret = services.issue_partner_key(platform=offering.platform)
    payload = {
        "card_number": card.card_number,
        "offering_code": offering.code,
        "partner_order_id": "Q-1",
    }
    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_max_num_queries(START_BUDGET),
    ):
        started = signed_post(client, key, secret, "/payments", payload)
    assert started.status_code == 201, started.content
    payment_id = started.json()["payment_id"]

    with django_assert_max_num_queries(CONFIRM_BUDGET):
        confirmed = signed_post(
            client, key, secret, f"/payments/{payment_id}/confirm", {"otp": last_otp()}
        )
    assert confirmed.status_code == 200, confirmed.content
