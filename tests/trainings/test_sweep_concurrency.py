"""The sweep under concurrency (PostgreSQL): two sweeps at once, and purchases racing it."""

import contextlib
import threading

import pytest
from django.core import mail
from django.db import connection, transaction

from participants.models import (
    BlacklistEntry,
    DomainError,
    LedgerEntry,
    Participant,
    ParticipantEvent,
)
from participants.services import debit_for_purchase
from tests.trainings.sweep_helpers import participant_in, wave_21, wave_announced, wib
from trainings import sweep
from trainings.models import RecoveredQuota, SweepRun

pytestmark = pytest.mark.django_db(transaction=True)

CUTOFF = wib(2021, 10, 22, 0, 5)


def _in_threads(*targets):
    """Start every target at once (a barrier), collect results and exceptions."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def runner(index, target):
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _assert_each_revoked_once(people: int):
    assert Participant.objects.filter(status="revoked").count() == people
    assert LedgerEntry.objects.filter(kind="forfeit").count() == people
    assert BlacklistEntry.objects.count() == people
    assert ParticipantEvent.objects.filter(kind="status", to_status="revoked").count() == people
    assert sum(RecoveredQuota.objects.values_list("recovered", flat=True)) == people
    assert sum(SweepRun.objects.values_list("revoked", flat=True)) == people


def test_two_sweeps_started_at_once_revoke_each_participant_once():
    wave = wave_21()
    for _ in range(30):
        participant_in(wave)
    results = _in_threads(
        lambda: sweep.sweep_deadlines(now=CUTOFF, batch_size=4, notify=False),
        lambda: sweep.sweep_deadlines(now=CUTOFF, batch_size=4, notify=False),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    _assert_each_revoked_once(30)


def test_without_the_advisory_lock_skip_locked_still_revokes_each_participant_once(monkeypatch):
    @contextlib.contextmanager
    def no_lock():
        yield True

    monkeypatch.setattr(sweep, "_sweep_lock", no_lock)
    wave = wave_21()
    for _ in range(30):
        participant_in(wave)
    results = _in_threads(
        *[lambda: sweep.sweep_deadlines(now=CUTOFF, batch_size=3, notify=False)] * 3
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    _assert_each_revoked_once(30)


def test_a_second_sweep_returns_at_once_while_the_lock_is_held():
    wave = wave_21()
    participant_in(wave)
    holding = threading.Event()
    release = threading.Event()

    def hold_lock():
        try:
            with sweep._sweep_lock() as acquired:
                assert acquired
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert holding.wait(10)
    try:
        assert sweep.sweep_deadlines(now=CUTOFF) is None
        assert not SweepRun.objects.exists()
    finally:
        release.set()
        holder.join()
    assert sweep.sweep_deadlines(now=CUTOFF, notify=False).revoked == 1


def test_a_purchase_racing_the_sweep_is_kept_or_refused_never_both_or_neither():
    wave = wave_21()
    people = [participant_in(wave) for _ in range(12)]
    before_deadline = wib(2021, 10, 21, 23, 59, 59)

    def buy(person):
        return lambda: debit_for_purchase(
            participant_id=person.pk,
            amount_idr=300_000,
            reference=f"race-{person.pk}",
            now=before_deadline,
        )

    results = _in_threads(
        lambda: sweep.sweep_deadlines(now=CUTOFF, batch_size=2, notify=False),
        *[buy(person) for person in people],
    )
    assert not isinstance(results[0], Exception), results[0]
    for person, outcome in zip(people, results[1:], strict=True):
        person.refresh_from_db()
        bought = LedgerEntry.objects.filter(participant=person, kind="purchase").exists()
        if isinstance(outcome, Exception):
            # The sweep committed first: the debit sees the revoked row.
            assert isinstance(outcome, DomainError) and outcome.code == "card_revoked"
            assert not bought
            assert person.status == Participant.Status.REVOKED
        else:
            assert bought
            assert person.status == Participant.Status.ACTIVE
            assert person.first_purchase_at == before_deadline
            assert person.balance_idr == 700_000
        ledger_sum = sum(person.ledger_entries.values_list("amount_idr", flat=True))
        assert ledger_sum == person.balance_idr


def test_a_purchase_after_the_deadline_is_refused_whatever_the_order():
    wave = wave_21()
    people = [participant_in(wave) for _ in range(6)]
    results = _in_threads(
        lambda: sweep.sweep_deadlines(now=CUTOFF, batch_size=2, notify=False),
        *[
            (
                lambda p=p: debit_for_purchase(
                    participant_id=p.pk, amount_idr=100_000, reference=f"late-{p.pk}", now=CUTOFF
                )
            )
            for p in people
        ],
    )
    for outcome in results[1:]:
        assert isinstance(outcome, DomainError) and outcome.code == "card_revoked"
    assert not LedgerEntry.objects.filter(kind="purchase").exists()
    assert Participant.objects.filter(status="revoked").count() == 6


def test_a_purchase_in_flight_is_skipped_not_waited_for_and_then_kept():
    wave = wave_21()
    buyer = participant_in(wave)
    other = participant_in(wave)
    debited = threading.Event()
    commit = threading.Event()

    def purchase_holding_the_row():
        try:
            with transaction.atomic():
                debit_for_purchase(
                    participant_id=buyer.pk,
                    amount_idr=200_000,
                    reference="slow-platform",
                    now=wib(2021, 10, 21, 23, 59, 50),
                )
                debited.set()
                commit.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=purchase_holding_the_row)
    thread.start()
    assert debited.wait(10)
    try:
        run = sweep.sweep_deadlines(now=CUTOFF, notify=False)  # must not block on the row lock
    finally:
        commit.set()
        thread.join()
    assert run.revoked == 1
    buyer.refresh_from_db()
    other.refresh_from_db()
    assert other.status == Participant.Status.REVOKED
    assert buyer.status == Participant.Status.ACTIVE
    assert buyer.first_purchase_at is not None
    # The rerun (pass 2 of a later run) does not touch the buyer either.
    sweep.sweep_deadlines(now=CUTOFF, notify=False)
    buyer.refresh_from_db()
    assert buyer.status == Participant.Status.ACTIVE


def test_a_row_locked_by_a_failed_purchase_is_picked_up_by_the_second_pass(monkeypatch):
    wave = wave_21()
    person = participant_in(wave)
    locked = threading.Event()
    release = threading.Event()

    def lock_then_roll_back():
        try:
            with transaction.atomic():
                Participant.objects.select_for_update().get(pk=person.pk)
                locked.set()
                release.wait(10)
                raise RuntimeError("platform gave up")
        except RuntimeError:
            pass
        finally:
            connection.close()

    thread = threading.Thread(target=lock_then_roll_back)
    thread.start()
    assert locked.wait(10)
    real_run_batch = sweep._run_batch
    calls = {"n": 0}

    def release_after_first_pass(run_batch, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # pass 1 found nothing unlocked and ended; let the lock go
            release.set()
            thread.join()
        return real_run_batch(run_batch, **kwargs)

    monkeypatch.setattr(sweep, "_run_batch", release_after_first_pass)
    run = sweep.sweep_deadlines(now=CUTOFF, notify=False)
    person.refresh_from_db()
    assert person.status == Participant.Status.REVOKED
    assert run.revoked == 1


def test_worker_threads_share_the_batches_and_revoke_each_participant_once(monkeypatch):
    wave = wave_21()
    other = wave_announced(23, wib(2021, 9, 20, 9))
    for index in range(23):
        participant_in(wave if index % 3 else other)
    # The first two batches wait for each other: this fails unless two threads run at once.
    together = threading.Barrier(2, timeout=10)
    calls = {"n": 0}
    lock = threading.Lock()
    real_run_batch = sweep._run_batch

    def meet_then_run(run_batch, **kwargs):
        with lock:
            calls["n"] += 1
            first_two = calls["n"] <= 2
        if first_two:
            together.wait()
        return real_run_batch(run_batch, **kwargs)

    monkeypatch.setattr(sweep, "_run_batch", meet_then_run)
    run = sweep.sweep_deadlines(now=CUTOFF, batch_size=3, notify=True, workers=3)
    _assert_each_revoked_once(23)
    assert run.batches == 8  # 23 candidates in ranges of at most 3
    assert run.finished_at is not None
    pools = dict(RecoveredQuota.objects.values_list("source_wave__number", "recovered"))
    assert pools == {21: 15, 23: 8}
    assert len(mail.outbox) == 23  # every revoked participant notified once, after each commit


def test_a_worker_crash_then_a_rerun_revokes_everyone_once(monkeypatch):
    wave = wave_21()
    for _ in range(11):
        participant_in(wave)
    real_run_batch = sweep._run_batch
    calls = {"n": 0}
    lock = threading.Lock()

    def crash_on_the_third_batch(run_batch, **kwargs):
        with lock:
            calls["n"] += 1
            crash = calls["n"] == 3
        if crash:
            raise RuntimeError("worker killed")
        return real_run_batch(run_batch, **kwargs)

    monkeypatch.setattr(sweep, "_run_batch", crash_on_the_third_batch)
    with pytest.raises(RuntimeError, match="worker killed"):
        sweep.sweep_deadlines(now=CUTOFF, batch_size=2, notify=False, workers=2)
    half_done = Participant.objects.filter(status="revoked").count()
    assert 2 <= half_done < 11  # whole batches committed, the crashed one did not
    assert LedgerEntry.objects.filter(kind="forfeit").count() == half_done
    assert SweepRun.objects.get().finished_at is None

    monkeypatch.setattr(sweep, "_run_batch", real_run_batch)
    run = sweep.sweep_deadlines(now=CUTOFF, batch_size=2, notify=False, workers=2)
    _assert_each_revoked_once(11)
    assert run.revoked == 11
    assert run.finished_at is not None


def test_inside_a_transaction_the_batches_run_on_the_callers_connection():
    # Worker threads could not see rows this transaction has not committed.
    wave = wave_21()
    with transaction.atomic():
        for _ in range(5):
            participant_in(wave)
        run = sweep.sweep_deadlines(now=CUTOFF, batch_size=2, notify=False, workers=4)
        assert run.revoked == 5
    _assert_each_revoked_once(5)
