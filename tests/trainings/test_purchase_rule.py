"""The card rules of a purchase (docs/program.md section 5) are one rule: the early answer to the
partner (``start_payment``) and the refusal of the debit itself (``debit_for_purchase``) name the
same reason for the same card."""

import datetime as dt

import pytest
import time_machine

from participants import services as participant_services
from participants.models import Participant
from tests.factories import make_active_participant
from tests.trainings.partner import make_offering
from trainings import services
from trainings.services import errors

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def refusal_at_start(card, offering) -> str:
    with pytest.raises(errors.DomainError) as caught:
        services.start_payment(
            platform=offering.platform,
            card_number=card.card_number,
            offering_code=offering.code,
            partner_order_id="ORD-1",
        )
    return caught.value.code


def refusal_at_debit(card, offering) -> str:
    with pytest.raises(errors.DomainError) as caught:
        participant_services.debit_for_purchase(
            participant_id=card.pk, amount_idr=offering.price_idr, reference="p-1", now=NOW
        )
    return caught.value.code


CASES = {
    "frozen": ({"status": Participant.Status.FROZEN}, "card_frozen"),
    "deadline passed": ({"first_purchase_deadline": NOW - DAY}, "card_revoked"),
    "balance expired (status)": (
        {"status": Participant.Status.EXPIRED, "balance_expires_at": NOW - DAY},
        "balance_expired",
    ),
    # A freeze moved the deadline past the balance expiry, and both have passed: the balance
    # expired first, so this is an expiry, not a revocation (the sweep does not revoke it).
    "balance expired before the deadline": (
        {"balance_expires_at": NOW - 3 * DAY, "first_purchase_deadline": NOW - DAY},
        "balance_expired",
    ),
    "balance too small": ({"balance_idr": 1_000}, "insufficient_balance"),
}


@pytest.mark.parametrize("case", CASES)
def test_the_partner_and_the_debit_hear_the_same_reason(case):
    fields, code = CASES[case]
    card = make_active_participant(now=NOW - 5 * DAY)
    offering = make_offering(price_idr=250_000)
    Participant.objects.filter(pk=card.pk).update(**fields)
    card.refresh_from_db()
    assert (refusal_at_start(card, offering), refusal_at_debit(card, offering)) == (code, code)
