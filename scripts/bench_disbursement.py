"""Benchmark: plan and send N due installments through the fake payout backend on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_disbursement.py --installments 1000000 --wipe

Builds N / INCENTIVE_MONTHS participants whose first training is completed and reviewed, each
with a validated BNI account (bulk inserts), then times the three phases of the daily job:

1. plan: ``plan_installments`` creates INCENTIVE_MONTHS installments per participant;
2. batch: ``create_batch`` four months later (every installment due), above the approval
   threshold, so a second staff member approves it (maker-checker);
3. send: ``send_batch`` claims chunks with FOR UPDATE SKIP LOCKED, stores the payout requests,
   calls the fake backend (which records every key) and applies the outcomes; ``--workers``
   processes share the batch.

``--wipe`` TRUNCATEs the program's tables first: run it only in a database of its own.
Prints installments per second for each phase.
"""

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prakerja.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402

from incentives import services  # noqa: E402
from incentives.models import (  # noqa: E402
    DisbursementBatch,
    FakeGatewayTransfer,
    Installment,
    PayoutAccount,
)
from participants.models import Participant, User  # noqa: E402
from trainings.models import Offering, Payment, Platform, Provider, Training, Voucher  # noqa: E402

WIB = dt.timezone(dt.timedelta(hours=7))
TABLES = [
    "incentives_fakegatewaytransfer",
    "incentives_payoutcallback",
    "incentives_payoutrequest",
    "incentives_installment",
    "incentives_disbursementbatch",
    "incentives_payoutaccountchange",
    "incentives_payoutaccount",
    "incentives_surveyresponse",
    "incentives_reconciliationreport",
    "trainings_voucher",
    "trainings_payment",
    "participants_participantevent",
    "participants_ledgerentry",
    "participants_participant",
]


REPLAN_TABLES = [
    "incentives_fakegatewaytransfer",
    "incentives_payoutcallback",
    "incentives_payoutrequest",
    "incentives_installment",
    "incentives_disbursementbatch",
    "participants_participantevent",
]


def wipe_installments() -> None:
    """Keep the seeded participants and accounts; start the incentives over."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(REPLAN_TABLES)} CASCADE")


def wipe() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        cursor.execute("DELETE FROM participants_user WHERE email LIKE 'bench-%%'")


def seed(participants: int, now: dt.datetime, chunk: int = 5000) -> None:
    platform, _ = Platform.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    provider, _ = Provider.objects.get_or_create(code="bench-lp", defaults={"name": "Bench LP"})
    training, _ = Training.objects.get_or_create(
        title="Bench Training",
        defaults={
            "category": "Bench",
            "provider": provider,
            "price_idr": 100_000,
            "duration_hours": 1,
            "mode": "self_paced",
        },
    )
    offering, _ = Offering.objects.get_or_create(
        training=training,
        platform=platform,
        defaults={"code": "bench-1", "price_idr": 100_000, "url": "https://bench.example/1"},
    )
    password = make_password(None)  # unusable: bench accounts never log in
    for start in range(0, participants, chunk):
        n = min(chunk, participants - start)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"bench-{start + i}@bench.local",
                    full_name=f"Peserta Bench {start + i}",
                    password=password,
                )
                for i in range(n)
            ]
        )
        people = Participant.objects.bulk_create(
            [
                Participant(
                    user=user,
                    status=Participant.Status.ACTIVE,
                    phone=f"+62813{start + i:08d}",
                    gender="M",
                    education="sma",
                    employment_status="unemployed",
                    selected_at=now,
                    oriented_at=now,
                    first_purchase_at=now,
                    created_at=now,
                )
                for i, user in enumerate(users)
            ]
        )
        payments = Payment.objects.bulk_create(
            [
                Payment(
                    platform=platform,
                    participant=p,
                    offering=offering,
                    partner_order_id=f"bench-{p.pk}",
                    amount_idr=100_000,
                    status=Payment.Status.PAID,
                    otp_hash="-",
                    otp_expires_at=now,
                    created_at=now,
                    paid_at=now,
                )
                for p in people
            ]
        )
        Voucher.objects.bulk_create(
            [
                Voucher(
                    code=f"B{pay.participant_id:011d}",
                    payment=pay,
                    participant_id=pay.participant_id,
                    training=training,
                    provider=provider,
                    status=Voucher.Status.COMPLETED,
                    sequence=1,
                    issued_at=now,
                    completed_at=now,
                    certificate_number=f"CERT-{pay.participant_id}",
                    rating=5,
                    review="Bagus",
                    reviewed_at=now,
                )
                for pay in payments
            ]
        )
        PayoutAccount.objects.bulk_create(
            [
                PayoutAccount(
                    participant=p,
                    kind=PayoutAccount.Kind.BNI,
                    number=f"{p.pk % 10**8:08d}90",
                    holder_name=f"Peserta Bench {start + i}",
                    validated_at=now,
                    created_at=now,
                    updated_at=now,
                )
                for i, p in enumerate(people)
            ]
        )


def _send(batch_id: int, now_iso: str, batch_size: int) -> int:
    batch = DisbursementBatch.objects.get(pk=batch_id)
    summary = services.send_batch(
        batch=batch, now=dt.datetime.fromisoformat(now_iso), batch_size=batch_size
    )
    connection.close()
    return summary.paid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--installments", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--wipe", action="store_true", help="TRUNCATE the program's tables first")
    parser.add_argument(
        "--replan",
        action="store_true",
        help="keep the participants seeded by an earlier run; TRUNCATE only the installments",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_disbursement: needs PostgreSQL (set DATABASE_URL)")
    if settings.PAYOUT_BACKEND != "fake":
        sys.exit("bench_disbursement: needs PAYOUT_BACKEND=fake")
    if args.replan:
        wipe_installments()
    elif args.wipe:
        wipe()
    elif Installment.objects.exists():
        sys.exit("bench_disbursement: the database has installments; use --wipe in a bench DB")

    months = settings.INCENTIVE_MONTHS
    participants = args.installments // months
    t0 = dt.datetime(2026, 1, 5, 1, 30, tzinfo=WIB)
    if args.replan:
        print(f"seed: reusing {Participant.objects.count()} participants")
    else:
        started = time.perf_counter()
        seed(participants, t0)
        seeded = time.perf_counter() - started
        print(f"seed: {participants} participants with reviewed first training in {seeded:.1f}s")

    started = time.perf_counter()
    scheduled = services.plan_installments(now=t0)
    plan_s = time.perf_counter() - started
    planned = Installment.objects.count()
    print(
        f"plan: {scheduled} participants, {planned} installments in {plan_s:.1f}s "
        f"= {planned / plan_s:,.0f} installments/s"
    )

    send_at = t0 + dt.timedelta(days=31 * months)
    maker, _ = User.objects.get_or_create(
        email="bench-maker@bench.local", defaults={"full_name": "Maker", "is_staff": True}
    )
    checker, _ = User.objects.get_or_create(
        email="bench-checker@bench.local", defaults={"full_name": "Checker", "is_staff": True}
    )
    started = time.perf_counter()
    batch = services.create_batch(now=send_at, actor=maker)
    batch_s = time.perf_counter() - started
    print(
        f"batch: {batch.installment_count} installments, Rp{batch.total_idr:,} "
        f"status={batch.status} in {batch_s:.1f}s"
    )
    if batch.status == DisbursementBatch.Status.PENDING_APPROVAL:
        batch = services.approve_batch(batch=batch, actor=checker, now=send_at)
        print(f"batch: approved by a second staff member -> {batch.status}")

    connections.close_all()
    started = time.perf_counter()
    if args.workers > 1:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.workers) as pool:
            paid = sum(
                pool.starmap(
                    _send, [(batch.pk, send_at.isoformat(), args.batch_size)] * args.workers
                )
            )
    else:
        paid = _send(batch.pk, send_at.isoformat(), args.batch_size)
    send_s = time.perf_counter() - started
    print(
        f"send: {paid} paid with {args.workers} worker(s), chunks of {args.batch_size}, in "
        f"{send_s:.1f}s = {paid / send_s:,.0f} installments/s"
    )

    by_status = dict(Installment.objects.values_list("status").annotate(n=Count("id")))
    paid_idr = Installment.objects.filter(status="paid").aggregate(s=Sum("amount_idr"))["s"] or 0
    gateway = FakeGatewayTransfer.objects.filter(status="paid").aggregate(
        n=Count("id"), s=Sum("amount_idr")
    )
    print(f"check: installments by status {by_status}; paid Rp{paid_idr:,}")
    print(f"check: gateway paid {gateway['n']} transfers, Rp{(gateway['s'] or 0):,}")
    total = plan_s + batch_s + send_s
    print(
        f"RESULT installments={planned} plan_per_s={planned / plan_s:,.0f} "
        f"send_per_s={paid / send_s:,.0f} end_to_end_per_s={paid / total:,.0f} "
        f"(2 shared CPU cores, PostgreSQL on the same host)"
    )
    if paid != planned or gateway["n"] != planned or gateway["s"] != paid_idr:
        sys.exit("bench_disbursement: totals do not match")


if __name__ == "__main__":
    main()
