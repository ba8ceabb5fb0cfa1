"""The nightly first-purchase sweep: who is revoked, when, and what it writes (docs/program.md
section 4)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from participants.cards import deadlines
from participants.models import BlacklistEntry, LedgerEntry, Participant, ParticipantEvent
from participants.services import (
    LEGAL_BASIS_NO_FIRST_PURCHASE,
    CardRevoked,
    add_to_blacklist,
    debit_for_purchase,
)
from tests.trainings.sweep_helpers import (
    participant_in,
    snapshot,
    wave_21,
    wave_announced,
    wib,
)
from trainings import sweep
from trainings.models import RecoveredQuota, SweepRun

pytestmark = pytest.mark.django_db


def test_wave_21_deadline_is_21_october_23_59_59_wib():
    wave = wave_21()
    deadline = deadlines.first_purchase_deadline(wave.announces_at)
    assert deadline == wib(2021, 10, 21, 23, 59, 59, 999999)
    assert deadlines.first_purchase_deadline(wib(2021, 3, 10, 20)) == wib(
        2021, 4, 8, 23, 59, 59, 999999
    )


def test_untouched_at_23_59_59_on_day_30_and_revoked_at_midnight_of_day_31():
    wave = wave_21()
    person = participant_in(wave)
    assert person.first_purchase_deadline == wib(2021, 10, 21, 23, 59, 59, 999999)

    with time_machine.travel(wib(2021, 10, 21, 23, 59, 59), tick=False):
        run = sweep.sweep_deadlines()
    person.refresh_from_db()
    assert person.status == Participant.Status.ACTIVE
    assert run.revoked == 0

    midnight = wib(2021, 10, 22, 0, 0, 0)
    with time_machine.travel(midnight, tick=False):
        run = sweep.sweep_deadlines()
    person.refresh_from_db()
    assert person.status == Participant.Status.REVOKED
    assert person.revoked_at == midnight
    assert person.revoke_reason == "no_first_purchase"
    assert person.balance_idr == 0
    assert (run.cutoff, run.revoked, run.forfeited_idr, run.batches) == (
        midnight,
        1,
        1_000_000,
        1,
    )
    assert run.finished_at is not None

    entry = BlacklistEntry.objects.get(participant=person)
    assert entry.nik_hash == person.nik_hash
    assert entry.nik_masked == person.nik_masked
    assert entry.full_name == person.user.full_name
    assert entry.reason_code == "no_first_purchase"
    assert entry.legal_basis == LEGAL_BASIS_NO_FIRST_PURCHASE
    assert entry.removed_at is None

    forfeit = LedgerEntry.objects.get(participant=person, kind=LedgerEntry.Kind.FORFEIT)
    assert (forfeit.amount_idr, forfeit.balance_after_idr) == (-1_000_000, 0)
    assert sum(person.ledger_entries.values_list("amount_idr", flat=True)) == 0

    kinds = set(
        ParticipantEvent.objects.filter(
            participant=person, reason_code="no_first_purchase"
        ).values_list("kind", "from_status", "to_status")
    )
    assert kinds == {("status", "active", "revoked"), ("blacklist", "", "")}
    pool = RecoveredQuota.objects.get(source_wave=wave, province_id=person.province_id)
    assert (pool.recovered, pool.allocated) == (1, 0)


def test_selected_participant_not_yet_oriented_is_revoked_too():
    person = participant_in(wave_21(), status=Participant.Status.SELECTED)
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5))
    person.refresh_from_db()
    assert person.status == Participant.Status.REVOKED
    assert person.events.filter(from_status="selected", to_status="revoked").exists()


def test_a_first_purchase_before_the_deadline_keeps_the_participant():
    person = participant_in(wave_21())
    debit_for_purchase(
        participant_id=person.pk,
        amount_idr=250_000,
        reference="pay-1",
        now=wib(2021, 10, 21, 23, 59, 59),
    )
    run = sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5))
    person.refresh_from_db()
    assert person.status == Participant.Status.ACTIVE
    assert person.balance_idr == 750_000
    assert run.revoked == 0
    assert not BlacklistEntry.objects.exists()


def test_rerun_for_the_same_cutoff_changes_nothing():
    wave = wave_21()
    for _ in range(3):
        participant_in(wave)
    cutoff = wib(2021, 10, 22, 0, 5)
    sweep.sweep_deadlines(now=cutoff)
    before = snapshot()
    run = sweep.sweep_deadlines(now=cutoff)
    assert snapshot() == before
    assert SweepRun.objects.count() == 1
    assert run.revoked == 3


def test_a_late_run_revokes_exactly_those_past_their_deadline_at_the_cutoff():
    early = participant_in(wave_21())  # deadline 21 Oct 2021
    later_wave = wave_announced(22, wib(2021, 10, 1, 20))  # deadline 30 Oct 2021
    later = participant_in(later_wave)
    # The nights of 22..26 October were missed; the catch-up run has cut-off 27 October 00:05.
    run = sweep.sweep_deadlines(now=wib(2021, 10, 27, 0, 5))
    early.refresh_from_db()
    later.refresh_from_db()
    assert early.status == Participant.Status.REVOKED
    assert later.status == Participant.Status.ACTIVE
    assert run.revoked == 1


def test_a_crash_between_batches_then_a_rerun_ends_like_one_clean_run(monkeypatch):
    wave = wave_21()
    other = wave_announced(23, wib(2021, 9, 20, 9))
    for index in range(7):
        participant_in(wave if index % 2 else other)
    cutoff = wib(2021, 10, 22, 0, 5)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        sweep.sweep_deadlines(now=cutoff, batch_size=2)
        clean = snapshot()
        raise Rollback
    assert not SweepRun.objects.exists()

    real_run_batch = sweep._run_batch
    calls = {"n": 0}

    def crash_after_first_batch(run_batch, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real_run_batch(run_batch, **kwargs)

    monkeypatch.setattr(sweep, "_run_batch", crash_after_first_batch)
    with pytest.raises(RuntimeError):
        sweep.sweep_deadlines(now=cutoff, batch_size=2)
    assert Participant.objects.filter(status="revoked").count() == 2
    assert SweepRun.objects.get().finished_at is None

    monkeypatch.setattr(sweep, "_run_batch", real_run_batch)
    sweep.sweep_deadlines(now=cutoff, batch_size=2)
    assert snapshot() == clean
    assert SweepRun.objects.get().finished_at is not None


@pytest.mark.parametrize("people,batch_size", [(9, 3), (20, 3), (20, 10)])
def test_each_batch_is_three_statements_never_one_per_participant(people, batch_size):
    wave = wave_21()
    for _ in range(people):
        participant_in(wave)
    with CaptureQueriesContext(connection) as queries:
        run = sweep.sweep_deadlines(
            now=wib(2021, 10, 22, 0, 5), batch_size=batch_size, notify=False
        )
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    batches = -(-people // batch_size)
    assert run.revoked == people
    assert run.batches == batches
    # One pass ending with one empty batch, then the check that finds nothing left for a second
    # pass; the rest is fixed: lock, get-or-create (2), candidate check, finish, reload, unlock.
    # A batch: the revocation (participants.services.bulk_revoke), the recovered pool, the run's
    # counters.
    assert sum("WITH batch AS" in sql for sql in statements) == batches + 1
    assert len(statements) == 8 + 3 * batches + 1


def test_a_rerun_with_nothing_to_do_is_a_handful_of_statements():
    participant_in(wave_21())
    cutoff = wib(2021, 10, 22, 0, 5)
    sweep.sweep_deadlines(now=cutoff, notify=False)
    with CaptureQueriesContext(connection) as queries:
        sweep.sweep_deadlines(now=cutoff, notify=False)
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert not [sql for sql in statements if "WITH batch AS" in sql]
    assert len(statements) == 6


def test_an_already_blacklisted_nik_is_revoked_without_a_second_entry():
    person = participant_in(wave_21())
    add_to_blacklist(participant=person, reason_code="fraud", now=wib(2021, 10, 1))
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5))
    person.refresh_from_db()
    assert person.status == Participant.Status.REVOKED
    assert list(BlacklistEntry.objects.values_list("reason_code", flat=True)) == ["fraud"]


def test_revoked_participants_are_told_why_and_the_rule_after_commit(
    django_capture_on_commit_callbacks, sms_outbox
):
    person = participant_in(wave_21())
    untouched = participant_in(wave_announced(24, wib(2021, 10, 10, 20)))
    with django_capture_on_commit_callbacks(execute=True):
        sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5))
    assert [m.to for m in sms_outbox] == [person.phone]
    assert "dicabut" in sms_outbox[0].text
    assert "21 Oktober 2021 23.59 WIB" in sms_outbox[0].text
    assert LEGAL_BASIS_NO_FIRST_PURCHASE in sms_outbox[0].text
    assert [m.to for m in mail.outbox] == [[person.user.email]]
    assert untouched.phone not in [m.to for m in sms_outbox]


def test_a_revoked_card_is_refused_by_the_debit_with_card_revoked():
    person = participant_in(wave_21())
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5))
    with pytest.raises(CardRevoked) as excinfo:
        debit_for_purchase(
            participant_id=person.pk,
            amount_idr=100_000,
            reference="late",
            now=wib(2021, 10, 22, 8),
        )
    assert excinfo.value.code == "card_revoked"


def test_a_batch_larger_than_10000_is_refused():
    with pytest.raises(ValueError):
        sweep.sweep_deadlines(now=wib(2021, 10, 22), batch_size=10_001)


def test_recovered_places_are_counted_per_wave_and_province():
    from tests.factories import ProvinceFactory, RegencyFactory

    wave = wave_21()
    jatim = ProvinceFactory(code="35", name="JAWA TIMUR")
    surabaya = RegencyFactory(code="3578", province=jatim, name="KOTA SURABAYA")
    for _ in range(3):
        participant_in(wave)
    for _ in range(2):
        participant_in(wave, province=jatim, regency=surabaya)
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5), batch_size=2)
    pools = dict(
        RecoveredQuota.objects.filter(source_wave=wave).values_list("province_id", "recovered")
    )
    assert pools == {"32": 3, "35": 2}


def test_the_run_covers_today_only_up_to_its_cutoff():
    wave = wave_21()
    person = participant_in(wave)
    run = sweep.sweep_deadlines(now=person.first_purchase_deadline)
    assert run.revoked == 0
    run = sweep.sweep_deadlines(now=person.first_purchase_deadline + dt.timedelta(microseconds=1))
    assert run.revoked == 1


def test_notices_are_queued_in_chunks_after_each_batch(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    from trainings import tasks

    settings.SWEEP_NOTIFY_CHUNK = 2
    wave = wave_21()
    people = [participant_in(wave) for _ in range(5)]
    queued = []
    monkeypatch.setattr(tasks.notify_revoked_task, "delay", lambda ids: queued.append(ids))
    with django_capture_on_commit_callbacks(execute=True):
        sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5), batch_size=3)
    # batch 1 (3 people) -> chunks of 2 + 1; batch 2 (2 people) -> one chunk
    assert [len(ids) for ids in queued] == [2, 1, 2]
    assert sorted(i for ids in queued for i in ids) == sorted(p.pk for p in people)
