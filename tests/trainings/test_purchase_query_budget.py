"""Query budgets of the money path, through the whole HTTP stack (Django test client, signed)."""

import json
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_active_participant
from tests.trainings.partner import API, last_otp, make_offering
from trainings import services
from trainings.services.credentials import sign

pytestmark = pytest.mark.django_db

# Confirmation: credential, idempotency lookup, the payment with its participant and training
# read and row-locked while ``participants.otp.verify`` compares the code, the voucher count, the
# debit (UPDATE ... RETURNING the balance, ledger INSERT), the flip to paid, the voucher INSERT,
# the audit row and the idempotency INSERT = 10 statements, and no savepoint (the purchase decides
# every refusal before its first write). Here 2 more: the SAVEPOINT/RELEASE of the idempotency
# transaction, which is a savepoint only because the test runs inside a transaction.
CONFIRM_STATEMENTS = 10
CONFIRM_BUDGET = CONFIRM_STATEMENTS + 2
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


@pytest.mark.django_db(transaction=True)
def test_confirmation_in_autocommit_takes_no_savepoint(client):
    """As in production (no test transaction around the request): one transaction, the
    statements above and not one SAVEPOINT (each costs two round trips)."""
    card = make_active_participant()
    offering = make_offering(price_idr=250_000)
    key, secret = services.issue_partner_key(platform=offering.platform)
    payload = {
        "card_number": card.card_number,
        "offering_code": offering.code,
        "partner_order_id": "Q",
    }
    started = signed_post(client, key, secret, "/payments", payload)
    assert started.status_code == 201, started.content
    path = f"/payments/{started.json()['payment_id']}/confirm"

    with CaptureQueriesContext(connection) as queries:
        confirmed = signed_post(client, key, secret, path, {"otp": last_otp()})
    assert confirmed.status_code == 200, confirmed.content
    sent = [query["sql"] for query in queries]
    # BEGIN and COMMIT: one transaction.
    control = [sql for sql in sent if sql.startswith(("BEGIN", "COMMIT"))]
    assert len(control) == 2 and control[1] == "COMMIT", sent
    statements = [sql for sql in sent if sql not in control]
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()], statements
    assert len(statements) == CONFIRM_STATEMENTS, "\n".join(sql[:100] for sql in statements)


def test_starting_a_payment_reads_only_what_the_card_check_needs(client):
    """The person's row lock (for the rate of new OTPs) reads no column, and the card check reads
    its own fields and the phone, not the person's 40 columns (each costs CPU to read and to
    turn into a model)."""
    card = make_active_participant()
    offering = make_offering(price_idr=250_000)
    key, secret = services.issue_partner_key(platform=offering.platform)
    payload = {
        "card_number": card.card_number,
        "offering_code": offering.code,
        "partner_order_id": "R",
    }
    with CaptureQueriesContext(connection) as queries:
        started = signed_post(client, key, secret, "/payments", payload)
    assert started.status_code == 201, started.content
    person = [q["sql"] for q in queries if 'FROM "participants_participant"' in q["sql"]]
    assert len(person) == 2, person
    columns = [sql.split(" FROM ")[0] for sql in person]
    # The lock (FOR UPDATE) selects the id alone.
    lock = next(sql for sql, selected in zip(person, columns, strict=True) if "," not in selected)
    assert columns[person.index(lock)].startswith('SELECT "participants_participant"."id"'), lock
    assert lock.endswith("FOR UPDATE"), lock
    read = next(sql for sql in person if sql is not lock)
    assert '"nik_hash"' not in read and '"balance_idr"' in read and '"phone"' in read, read
