"""The 15 December balance expiry: expiry ledger entries, set-based, idempotent."""

import io

import pytest
from django.core.management import call_command

from participants.cards import expiry
from participants.models import LedgerEntry, Participant
from participants.services import BalanceExpired, debit_for_purchase
from tests.trainings.sweep_helpers import participant_in, wave_21, wib

pytestmark = pytest.mark.django_db

EXPIRES = wib(2021, 12, 15, 23, 59, 59, 999999)


def _people():
    wave = wave_21()
    full = participant_in(wave)
    spent = participant_in(wave)
    debit_for_purchase(
        participant_id=spent.pk, amount_idr=400_000, reference="p1", now=wib(2021, 10, 1)
    )
    empty = participant_in(wave)
    debit_for_purchase(
        participant_id=empty.pk, amount_idr=1_000_000, reference="p2", now=wib(2021, 10, 1)
    )
    return full, spent, empty


def test_balances_expire_at_15_december_23_59_59_wib_not_before():
    full, spent, empty = _people()
    assert full.balance_expires_at == EXPIRES
    assert expiry.expire_balances(now=wib(2021, 12, 15, 23, 59, 59)).expired == 0

    result = expiry.expire_balances(now=wib(2021, 12, 16, 0, 0), batch_size=1)
    assert (result.expired, result.amount_idr, result.batches) == (2, 1_600_000, 2)
    for person, taken in [(full, 1_000_000), (spent, 600_000)]:
        person.refresh_from_db()
        assert person.balance_idr == 0
        entry = LedgerEntry.objects.get(participant=person, kind=LedgerEntry.Kind.EXPIRY)
        assert (entry.amount_idr, entry.balance_after_idr) == (-taken, 0)
        assert sum(person.ledger_entries.values_list("amount_idr", flat=True)) == 0
    assert not LedgerEntry.objects.filter(participant=empty, kind="expiry").exists()


def test_running_it_again_changes_nothing():
    _people()
    expiry.expire_balances(now=wib(2021, 12, 16, 0, 5))
    before = sorted(LedgerEntry.objects.values_list("participant_id", "kind", "amount_idr"))
    again = expiry.expire_balances(now=wib(2021, 12, 17, 0, 5))
    assert again.expired == 0
    assert sorted(LedgerEntry.objects.values_list("participant_id", "kind", "amount_idr")) == before


def test_an_expired_balance_cannot_be_spent():
    # ``spent`` bought its first training, so no first-purchase deadline stands before the
    # expiry (``full`` is past its 21 October deadline: refused as such, like at the partner).
    _, spent, _ = _people()
    with pytest.raises(BalanceExpired):
        debit_for_purchase(
            participant_id=spent.pk, amount_idr=100_000, reference="late", now=wib(2021, 12, 16)
        )


def test_the_command_prints_a_summary_for_the_given_instant():
    _people()
    out = io.StringIO()
    call_command("expire_balances", "--now", "2021-12-16T00:05:00+07:00", stdout=out)
    assert out.getvalue().strip() == "expire_balances expired=2 amount_idr=1600000 batches=1"
    assert Participant.objects.filter(balance_idr__gt=0).count() == 0


def test_the_command_before_the_expiry_does_nothing():
    _people()
    out = io.StringIO()
    call_command("expire_balances", "--now", "2021-12-15T23:59:00", stdout=out)
    assert out.getvalue().strip() == "expire_balances expired=0 amount_idr=0 batches=0"


def test_the_task_is_a_thin_wrapper():
    import time_machine

    from trainings.tasks import expire_balances_task

    _people()
    with time_machine.travel(wib(2021, 12, 16, 0, 20), tick=False):
        assert expire_balances_task.delay().get() == {
            "expired": 2,
            "amount_idr": 1_600_000,
            "moved_to_expired": 1,
        }
