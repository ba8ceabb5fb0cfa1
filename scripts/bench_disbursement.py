"""Disbursement benchmark: plan, batch and send N installments through the fake payout
backend, beside the floor of each phase.

Builds N / INCENTIVE_MONTHS participants whose first training is completed and reviewed, each
with a validated BNI account (bulk inserts), then times the three phases of the daily job:

1. plan: ``plan_installments`` creates INCENTIVE_MONTHS installments per participant (and an
   audit row each);
2. batch: ``create_batch`` four months later (every installment due), above the approval
   threshold, so a second staff member approves it (maker-checker);
3. send: ``send_batch`` claims chunks with FOR UPDATE SKIP LOCKED, stores the payout requests,
   calls the fake backend (which records every key) and applies the outcomes; ``--workers``
   processes share the batch.

The floor, on bare tables holding the same vouchers, participants and accounts: plan, one
INSERT ... SELECT of the installments of every eligible participant (plus the audit rows);
batch, one UPDATE of the due installments; send, the claim, the payout requests and the
gateway's transfers, then the paid outcome and its audit rows. The script stops if the floor's
counts (installments, paid, requests, transfers, audit rows) differ from the portal's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_disbursement.py --size 1000000 --workers 2
"""

import datetime as dt
import multiprocessing
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchutil


def arguments(parser) -> None:
    parser.add_argument("--batch-size", type=int, default=2000, help="installments per claim")
    parser.add_argument("--workers", type=int, default=2, help="processes sending the batch")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the participants seeded by an earlier run; start only the incentives over",
    )


args = benchutil.start(
    __doc__, size=1_000_000, unit="installments", aliases=("--installments",), arguments=arguments
)

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, connections  # noqa: E402

from incentives import services  # noqa: E402
from incentives.models import DisbursementBatch, Installment, PayoutAccount  # noqa: E402
from participants.cards import deadlines  # noqa: E402
from participants.models import Participant, User  # noqa: E402
from prakerja.money import rupiah  # noqa: E402
from trainings.models import Offering, Payment, Platform, Provider, Training, Voucher  # noqa: E402

WIB = dt.timezone(dt.timedelta(hours=7))
INCENTIVE_TABLES = [
    "incentives_fakegatewaytransfer",
    "incentives_payoutcallback",
    "incentives_payoutrequest",
    "incentives_installment",
    "incentives_disbursementbatch",
    "participants_participantevent",
]


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


BARE_TABLES = {
    "voucher": "SELECT id, participant_id, sequence, status, reviewed_at, certificate_number "
    "FROM trainings_voucher",
    "participant": "SELECT p.id, p.status, u.full_name FROM participants_participant p "
    "JOIN participants_user u ON u.id = p.user_id",
    "account": "SELECT id, participant_id, kind, number, holder_name, validated_at "
    "FROM incentives_payoutaccount",
    "installment": "SELECT participant_id, kind, number, amount_idr, due_at, status, attempts, "
    "next_attempt_at, batch_id, claimed_at, paid_at, created_at "
    "FROM incentives_installment WHERE false",
    "batch": "SELECT status, installment_count, total_idr, created_at "
    "FROM incentives_disbursementbatch WHERE false",
    "request": "SELECT installment_id, attempt, idempotency_key, amount_idr, account_kind, "
    "account_number, status, created_at, finished_at FROM incentives_payoutrequest WHERE false",
    "transfer": "SELECT idempotency_key, reference, amount_idr, account_number, status, "
    "created_at FROM incentives_fakegatewaytransfer WHERE false",
    "event": "SELECT participant_id, kind, to_status, reason_code, note, created_at "
    "FROM participants_participantevent WHERE false",
}

FLOOR_PLAN = """
    -- Read before the insert: an anti join against the table being written would rescan the
    -- new rows for every row (no index on the bare table).
    WITH scheduled AS MATERIALIZED (
        SELECT DISTINCT participant_id FROM bare_installment WHERE kind = 'monthly'
    ),
    eligible AS (
        SELECT v.participant_id FROM bare_voucher v
        JOIN bare_participant p ON p.id = v.participant_id
        LEFT JOIN scheduled s ON s.participant_id = v.participant_id
        WHERE v.sequence = 1 AND v.status = 'completed' AND v.reviewed_at IS NOT NULL
            AND v.certificate_number <> '' AND p.status = 'active' AND s.participant_id IS NULL
    ),
    planned AS (
        INSERT INTO bare_installment (participant_id, kind, number, amount_idr, due_at, status,
                                      attempts, next_attempt_at, created_at)
        SELECT e.participant_id, 'monthly', k, %(amount)s, (%(dues)s::timestamptz[])[k],
               'scheduled', 0, (%(dues)s::timestamptz[])[k], %(now)s
        FROM eligible e CROSS JOIN generate_series(1, %(months)s) k
    )
    INSERT INTO bare_event (participant_id, kind, to_status, reason_code, note, created_at)
    SELECT participant_id, 'payout', '', 'schedule_created', %(note)s, %(now)s FROM eligible
"""

FLOOR_BATCH = """
    WITH due AS MATERIALIZED (
        SELECT id, amount_idr FROM bare_installment
        WHERE status = 'scheduled' AND batch_id IS NULL AND due_at <= %(send_at)s
    ),
    batch AS (
        INSERT INTO bare_batch (status, installment_count, total_idr, created_at)
        SELECT 'approved', count(*), sum(amount_idr), %(send_at)s FROM due
        RETURNING id, installment_count
    )
    UPDATE bare_installment i SET batch_id = batch.id
    FROM due, batch WHERE i.id = due.id
"""

FLOOR_SEND = [
    # The claim and the stored payout requests, then what the gateway records.
    """
    WITH claimed AS (
        UPDATE bare_installment SET status = 'processing', claimed_at = %(send_at)s,
            attempts = attempts + 1
        WHERE batch_id IS NOT NULL AND status = 'scheduled'
        RETURNING id, participant_id, amount_idr
    ),
    requested AS (
        INSERT INTO bare_request (installment_id, attempt, idempotency_key, amount_idr,
                                  account_kind, account_number, status, created_at)
        SELECT c.id, 1, 'PKJ-' || c.id || '-1', c.amount_idr, a.kind, a.number, 'sent',
               %(send_at)s
        FROM claimed c JOIN bare_account a ON a.participant_id = c.participant_id
        RETURNING installment_id, idempotency_key, amount_idr, account_number
    )
    INSERT INTO bare_transfer (idempotency_key, reference, amount_idr, account_number, status,
                               created_at)
    SELECT idempotency_key, 'installment-' || installment_id, amount_idr, account_number, 'paid',
           %(send_at)s
    FROM requested
    """,
    # The outcome: installments and requests paid, an audit row each.
    """
    WITH paid AS (
        UPDATE bare_installment SET status = 'paid', paid_at = %(send_at)s
        WHERE status = 'processing'
        RETURNING participant_id, kind, number
    ),
    done AS (
        UPDATE bare_request SET status = 'paid', finished_at = %(send_at)s
        WHERE status = 'sent'
    )
    INSERT INTO bare_event (participant_id, kind, to_status, reason_code, note, created_at)
    SELECT participant_id, 'payout', 'paid', '', kind || ' ' || number, %(send_at)s FROM paid
    """,
]

FLOOR_OUTCOME = {
    "installments": "SELECT count(*) FROM bare_installment",
    "batched": "SELECT sum(installment_count) FROM bare_batch",
    "paid": "SELECT count(*) FROM bare_installment WHERE status = 'paid'",
    "requests": "SELECT count(*) FROM bare_request WHERE status = 'paid'",
    "transfers": "SELECT count(*) FROM bare_transfer",
    "paid_idr": "SELECT sum(amount_idr) FROM bare_transfer",
    "audit rows": "SELECT count(*) FROM bare_event",
}
PORTAL_OUTCOME = {
    "installments": "SELECT count(*) FROM incentives_installment",
    "batched": "SELECT sum(installment_count) FROM incentives_disbursementbatch",
    "paid": "SELECT count(*) FROM incentives_installment WHERE status = 'paid'",
    "requests": "SELECT count(*) FROM incentives_payoutrequest WHERE status = 'paid'",
    "transfers": "SELECT count(*) FROM incentives_fakegatewaytransfer",
    "paid_idr": "SELECT sum(amount_idr) FROM incentives_fakegatewaytransfer",
    "audit rows": "SELECT count(*) FROM participants_participantevent",
}


def floor_steps(params: dict) -> dict:
    def execute(*statements):
        def step(cursor) -> None:
            for sql in statements:
                cursor.execute(sql, params)

        return step

    return {
        "plan": execute(FLOOR_PLAN),
        "batch": execute(FLOOR_BATCH),
        "send": execute(*FLOOR_SEND),
    }


def portal(send_at: dt.datetime, t0: dt.datetime) -> dict[str, float]:
    maker, _ = User.objects.get_or_create(
        email="bench-maker@bench.local", defaults={"full_name": "Maker", "is_staff": True}
    )
    checker, _ = User.objects.get_or_create(
        email="bench-checker@bench.local", defaults={"full_name": "Checker", "is_staff": True}
    )
    with benchutil.stopwatch() as plan:
        scheduled = services.plan_installments(now=t0)
    print(f"  plan: {scheduled:,} participants scheduled")
    with benchutil.stopwatch() as batching:
        batch = services.create_batch(now=send_at, actor=maker)
        if batch.status == DisbursementBatch.Status.PENDING_APPROVAL:
            batch = services.approve_batch(batch=batch, actor=checker, now=send_at)
    print(
        f"  batch: {batch.installment_count:,} installments, {rupiah(batch.total_idr)}, "
        "approved by a second staff member"
    )
    connections.close_all()
    with benchutil.stopwatch() as sending:
        job = (batch.pk, send_at.isoformat(), args.batch_size)
        if args.workers > 1:
            with multiprocessing.get_context("fork").Pool(args.workers) as pool:
                paid = sum(pool.starmap(_send, [job] * args.workers))
        else:
            paid = _send(*job)
    print(f"  send: {paid:,} paid by {args.workers} worker(s) in chunks of {args.batch_size:,}")
    return {"plan": plan.seconds, "batch": batching.seconds, "send": sending.seconds}


def main() -> None:
    if settings.PAYOUT_BACKEND != "fake":
        raise SystemExit("bench_disbursement: needs PAYOUT_BACKEND=fake")
    months = settings.INCENTIVE_MONTHS
    participants = max(1, args.size // months)
    t0 = dt.datetime(2026, 1, 5, 1, 30, tzinfo=WIB)
    send_at = t0 + dt.timedelta(days=31 * months)
    if args.keep:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(INCENTIVE_TABLES)} CASCADE")
        print(f"  seed: reusing {Participant.objects.count():,} participants")
    else:
        with benchutil.stopwatch() as seeding:
            seed(participants, t0)
        print(f"  seed: {participants:,} participants with a reviewed first training "
              f"in {seeding.seconds:.1f} s")  # fmt: skip
    dues = [deadlines.add_wib_months(t0, k) for k in range(months)]
    params = {
        "amount": settings.INCENTIVE_MONTHLY_IDR,
        "dues": dues,
        "months": months,
        "now": t0,
        "note": f"{months} x {rupiah(settings.INCENTIVE_MONTHLY_IDR)}",
        "send_at": send_at,
    }
    bare = benchutil.Floor(BARE_TABLES)
    bare.snapshot()
    floors = [bare.run_steps(floor_steps(params))]
    benchutil.settle(args.size)
    figure = portal(send_at, t0)
    floors.append(
        bare.run_steps(floor_steps(params), outcome=lambda c: benchutil.counts(c, FLOOR_OUTCOME))
    )
    bare.drop()
    with connection.cursor() as cursor:
        benchutil.same_outcome(benchutil.counts(cursor, PORTAL_OUTCOME), bare.outcome)
    planned = Installment.objects.count()
    for phase, label in [("plan", "plan"), ("batch", "batch and approval"), ("send", "send")]:
        benchutil.report(
            f"disbursement {label}, {planned:,} installments",
            figure[phase],
            [f[phase] for f in floors],
            count=planned,
            unit="installments",
        )
    benchutil.report(
        f"disbursement end to end, {planned:,} installments",
        sum(figure.values()),
        [sum(f.values()) for f in floors],
        count=planned,
        unit="installments",
        detail=f"fake payout backend, {args.workers} sending worker(s)",
    )


if __name__ == "__main__":
    main()
