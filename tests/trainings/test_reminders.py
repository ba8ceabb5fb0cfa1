"""Reminders 7, 3 and 1 days before the first-purchase deadline, each sent at most once."""

import threading

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection, transaction

from participants.models import Participant
from participants.services import debit_for_purchase
from tests.trainings.sweep_helpers import participant_in, wave_21, wib
from trainings.models import DeadlineReminder
from trainings.reminders import send_deadline_reminders

# Wave 21's deadline is 21 October 2021 23:59:59 WIB.
SEVEN_DAYS_BEFORE = wib(2021, 10, 14, 9, 0)


@pytest.mark.django_db
def test_reminders_go_out_7_3_and_1_days_before_the_deadline_once_each(sms_outbox):
    person = participant_in(wave_21())
    sent_on = {}
    for day in range(10, 23):
        with time_machine.travel(wib(2021, 10, day, 9, 0), tick=False):
            for _ in range(2):  # a second run the same day sends nothing
                result = send_deadline_reminders()
                sent_on[day] = sent_on.get(day, 0) + result.sent
    assert {day: n for day, n in sent_on.items() if n} == {14: 1, 18: 1, 20: 1}
    assert sorted(
        DeadlineReminder.objects.filter(participant=person).values_list("days_before", flat=True)
    ) == [1, 3, 7]
    assert all(r.sent_at for r in DeadlineReminder.objects.all())
    assert [m.to for m in sms_outbox] == [person.phone] * 3
    assert "7 hari lagi" in sms_outbox[0].text
    assert "21 Oktober 2021 23.59 WIB" in sms_outbox[0].text
    assert "saldo pelatihan berlaku sampai 15 Desember 2021 23.59 WIB" in sms_outbox[0].text
    assert "1 hari lagi" in sms_outbox[2].text
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_the_reminder_is_computed_in_wib_days_not_utc():
    participant_in(wave_21())
    # 13 October 23:30 WIB is 13 October 16:30 UTC: 8 days before, nothing yet.
    assert send_deadline_reminders(now=wib(2021, 10, 13, 23, 30)).sent == 0
    # 14 October 00:30 WIB is still 13 October in UTC, but 7 WIB days before.
    assert send_deadline_reminders(now=wib(2021, 10, 14, 0, 30)).sent == 1


@pytest.mark.django_db
def test_no_reminder_after_the_first_purchase_or_for_revoked_participants():
    wave = wave_21()
    buyer = participant_in(wave)
    revoked = participant_in(wave)
    waiting = participant_in(wave)
    debit_for_purchase(
        participant_id=buyer.pk, amount_idr=100_000, reference="p1", now=wib(2021, 10, 1)
    )
    Participant.objects.filter(pk=revoked.pk).update(status=Participant.Status.REVOKED)
    result = send_deadline_reminders(now=SEVEN_DAYS_BEFORE)
    assert result.sent == 1
    assert list(DeadlineReminder.objects.values_list("participant_id", flat=True)) == [waiting.pk]


@pytest.mark.django_db
def test_the_database_refuses_a_second_reminder_for_the_same_mark():
    person = participant_in(wave_21())
    DeadlineReminder.objects.create(participant=person, days_before=7, created_at=SEVEN_DAYS_BEFORE)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeadlineReminder.objects.create(
            participant=person, days_before=7, created_at=SEVEN_DAYS_BEFORE
        )


@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_send_each_reminder_once(sms_outbox):
    wave = wave_21()
    people = [participant_in(wave) for _ in range(20)]
    barrier = threading.Barrier(3)
    errors = []

    def run():
        try:
            barrier.wait()
            send_deadline_reminders(now=SEVEN_DAYS_BEFORE)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(m.to for m in sms_outbox) == sorted(p.phone for p in people)
