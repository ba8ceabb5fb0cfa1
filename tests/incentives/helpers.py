"""Building blocks for incentive tests: a participant who completed and reviewed the first
training (as the trainings services leave it), and a payout account."""

import datetime as dt
import json
import time
import uuid
from collections import Counter

from django.conf import settings
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from incentives import payouts
from incentives.models import FakeGatewayTransfer, Installment, PayoutAccount, PayoutRequest
from participants.models import Participant, Wave
from tests.factories import OfferingFactory, make_active_participant
from trainings.models import Payment, Voucher


def complete_first_training(
    participant: Participant, *, now: dt.datetime, reviewed: bool = True, sequence: int = 1
) -> Voucher:
    offering = OfferingFactory()
    payment = Payment.objects.create(
        platform=offering.platform,
        participant=participant,
        offering=offering,
        partner_order_id=str(uuid.uuid4()),
        amount_idr=offering.price_idr,
        status=Payment.Status.PAID,
        otp_hash="-",
        otp_expires_at=now,
        created_at=now,
        paid_at=now,
    )
    return Voucher.objects.create(
        code=uuid.uuid4().hex[:12].upper(),
        payment=payment,
        participant=participant,
        training=offering.training,
        provider=offering.training.provider,
        status=Voucher.Status.COMPLETED,
        sequence=sequence,
        issued_at=now,
        redeemed_at=now,
        completed_at=now,
        certificate_number=f"CERT-{uuid.uuid4().hex[:8]}",
        rating=5 if reviewed else None,
        review="Pelatihannya bermanfaat." if reviewed else "",
        reviewed_at=now if reviewed else None,
    )


def give_account(
    participant: Participant,
    *,
    number: str = "1234567890",
    kind: str = PayoutAccount.Kind.BNI,
    validated: bool = False,
    now: dt.datetime | None = None,
) -> PayoutAccount:
    now = now or timezone.now()
    return PayoutAccount.objects.create(
        participant=participant,
        kind=kind,
        number=number,
        holder_name=participant.user.full_name,
        validated_at=now if validated else None,
        created_at=now,
        updated_at=now,
    )


def eligible_participant(
    *, now: dt.datetime, number: str | None = "1234567890", validated: bool = False, wave=None
) -> Participant:
    participant = make_active_participant(now=now, wave=wave)
    complete_first_training(participant, now=now)
    if number is not None:
        give_account(participant, number=number, validated=validated, now=now)
    return participant


def first_installment(participant: Participant) -> Installment:
    return Installment.objects.get(participant=participant, kind="monthly", number=1)


def fake_paid(installment: Installment) -> int:
    """How many times the fake gateway paid this installment."""
    return FakeGatewayTransfer.objects.filter(
        reference=f"installment-{installment.pk}", status="paid"
    ).count()


CALLBACK_PATH = "/api/payouts/v1/callback"


def signed_callback(
    body: dict, *, callback_id: str, secret: str | None = None, ts: int | None = None
) -> tuple[bytes, dict]:
    """A gateway callback's raw body and headers, signed as the gateway signs."""
    raw = json.dumps(body).encode()
    timestamp = str(ts if ts is not None else int(time.time()))
    signature = payouts.sign(
        secret=settings.PAYOUT_HTTP_SECRET if secret is None else secret,
        timestamp=timestamp,
        method="POST",
        path=CALLBACK_PATH,
        body=raw,
    )
    return raw, {"X-Timestamp": timestamp, "X-Signature": signature, "X-Callback-Id": callback_id}


def post_callback(raw: bytes, headers: dict, *, client: Client | None = None):
    return (client or Client()).post(
        CALLBACK_PATH, data=raw, content_type="application/json", headers=headers
    )


def population(
    *, now: dt.datetime, wave_number: int, count: int, endings: list[str], validated_every: int
) -> dict[int, str]:
    """``count`` eligible participants in a wave of their own, account numbers ending in
    ``endings`` in turn (docs/payouts.md), every ``validated_every``-th account not validated
    yet. Returns {participant id: ending}."""
    wave = Wave.objects.create(
        number=wave_number,
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=3),
        announces_at=now - dt.timedelta(days=1),
        quota_total=count,
    )
    result = {}
    for i in range(count):
        digits = endings[i % len(endings)]
        participant = eligible_participant(
            now=now, number=f"{i:08d}{digits}", wave=wave, validated=i % validated_every != 0
        )
        result[participant.pk] = digits
    return result


def assert_paid_once_or_failed(endings: dict[int, str]) -> int:
    """Every installment of these participants is paid exactly once at the fake gateway, or
    failed with the reason its account ending stands for; the sums paid in the portal, in its
    requests and at the gateway are equal to what is owed. Returns the sum owed."""
    installments = list(
        Installment.objects.values("id", "participant_id", "status", "reason_code", "amount_idr")
    )
    gateway_paid = Counter(
        FakeGatewayTransfer.objects.filter(status="paid").values_list("reference", flat=True)
    )
    owed = 0
    for inst in installments:
        digits = endings[inst["participant_id"]]
        reference = f"installment-{inst['id']}"
        if digits in payouts.FakeBackend.PERMANENT:
            reason = payouts.FakeBackend.PERMANENT[digits]
            assert (inst["status"], inst["reason_code"]) == ("failed", reason), inst
            assert gateway_paid[reference] == 0
        else:
            assert inst["status"] == "paid", inst
            assert gateway_paid[reference] == 1, inst  # paid exactly once at the gateway
            owed += inst["amount_idr"]
    assert all(i["reason_code"] for i in installments if i["status"] == "failed")
    paid = Sum("amount_idr")
    assert (
        Installment.objects.filter(status="paid").aggregate(s=paid)["s"]
        == PayoutRequest.objects.filter(status="paid").aggregate(s=paid)["s"]
        == FakeGatewayTransfer.objects.filter(status="paid").aggregate(s=paid)["s"]
        == owed
    )
    # Every key the portal ever used is unique, and none was used for two installments.
    keys = list(PayoutRequest.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
    return owed
