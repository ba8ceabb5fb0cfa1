"""A freeze gives the card its frozen days back (docs/deadlines.md, "A freeze moves the deadline"):
the days a card could not buy extend its first-purchase deadline, so the sweep, the reminders and
the dashboard all read the extended date.

Wave 21 is announced 22 September 2021 20:00 WIB; its deadline is 21 October 23:59:59 WIB.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from participants import selectors, services
from participants.cards import deadlines
from participants.models import Participant, ParticipantEvent
from tests.factories import UserFactory
from tests.trainings.sweep_helpers import participant_in, wave_21, wib
from trainings import sweep
from trainings.reminders import send_deadline_reminders

pytestmark = pytest.mark.django_db

OLD_DEADLINE = wib(2021, 10, 21, 23, 59, 59, 999999)
EXTENDED_DEADLINE = wib(2021, 10, 26, 23, 59, 59, 999999)


@pytest.fixture
def officer():
    return UserFactory(is_staff=True, is_superuser=True, email="petugas@prakerja.local")


def frozen_for_five_days(person, officer) -> Participant:
    with time_machine.travel(wib(2021, 10, 1, 9, 0), tick=False):
        services.freeze_card(
            participant=person,
            reason="Laporan #7 diperiksa",
            participant_reason="Diperiksa petugas.",
            actor=officer,
        )
    with time_machine.travel(wib(2021, 10, 6, 9, 0), tick=False):
        services.lift_freeze(
            participant=person,
            reason="Laporan tidak terbukti",
            participant_reason="Diperiksa petugas.",
            actor=officer,
        )
    person.refresh_from_db()
    return person


def sweep_at(instant: dt.datetime) -> int:
    with time_machine.travel(instant, tick=False):
        return sweep.sweep_deadlines().revoked


def test_a_card_frozen_five_days_is_not_revoked_at_the_old_deadline_but_after_the_extended_one(
    officer,
):
    person = frozen_for_five_days(participant_in(wave_21()), officer)
    assert person.status == Participant.Status.ACTIVE
    assert person.first_purchase_deadline == EXTENDED_DEADLINE

    assert sweep_at(wib(2021, 10, 21, 23, 59, 59)) == 0
    assert sweep_at(wib(2021, 10, 22, 0, 0, 0)) == 0
    person.refresh_from_db()
    assert person.status == Participant.Status.ACTIVE

    assert sweep_at(wib(2021, 10, 26, 23, 59, 59)) == 0
    person.refresh_from_db()
    assert person.status == Participant.Status.ACTIVE

    assert sweep_at(wib(2021, 10, 27, 0, 0, 0)) == 1
    person.refresh_from_db()
    assert person.status == Participant.Status.REVOKED
    assert person.revoked_at == wib(2021, 10, 27, 0, 0, 0)


def test_the_named_query_uses_the_extended_deadline(officer):
    wave = wave_21()
    frozen = frozen_for_five_days(participant_in(wave), officer)
    never_frozen = participant_in(wave)
    assert set(selectors.past_first_purchase_deadline(as_of=wib(2021, 10, 22))) == {never_frozen}
    assert set(selectors.past_first_purchase_deadline(as_of=wib(2021, 10, 27))) == {
        frozen,
        never_frozen,
    }


def test_the_dashboard_shows_the_extended_deadline(client, officer):
    person = frozen_for_five_days(participant_in(wave_21()), officer)
    client.force_login(person.user)
    with time_machine.travel(wib(2021, 10, 22, 0, 0, 0), tick=False):
        body = client.get(reverse("dashboard")).content.decode()
    assert "26 Oktober 2021 23:59 WIB" in body
    assert "21 Oktober 2021 23:59" not in body
    assert "diperpanjang 5 hari" in body


def test_the_reminder_names_the_extended_deadline(officer, sms_outbox):
    person = frozen_for_five_days(participant_in(wave_21()), officer)
    with time_machine.travel(wib(2021, 10, 25, 9, 0), tick=False):
        assert send_deadline_reminders().sent == 1
    assert [m.to for m in sms_outbox] == [person.phone]
    assert "26 Oktober 2021 23.59 WIB" in sms_outbox[0].text


def test_the_extension_is_audited_with_the_old_and_new_deadline(officer):
    person = frozen_for_five_days(participant_in(wave_21()), officer)
    row = ParticipantEvent.objects.get(participant=person, field="first_purchase_deadline")
    assert row.actor == officer
    assert row.created_at == wib(2021, 10, 6, 9, 0)
    assert row.reason_code == "freeze_lifted"
    assert (row.old_value, row.new_value) == (
        OLD_DEADLINE.isoformat(),
        EXTENDED_DEADLINE.isoformat(),
    )


def test_a_freeze_that_starts_after_the_deadline_gives_nothing_back(officer):
    # Frozen at 00:10 after the deadline, before the night's sweep reached the card.
    person = participant_in(wave_21())
    with time_machine.travel(wib(2021, 10, 22, 0, 10), tick=False):
        services.freeze_card(
            participant=person,
            reason="Laporan #8",
            participant_reason="Diperiksa petugas.",
            actor=officer,
        )
    with time_machine.travel(wib(2021, 10, 25, 9, 0), tick=False):
        services.lift_freeze(
            participant=person,
            reason="Selesai diperiksa",
            participant_reason="Diperiksa petugas.",
            actor=officer,
        )
    person.refresh_from_db()
    assert person.first_purchase_deadline == OLD_DEADLINE
    assert sweep_at(wib(2021, 10, 25, 9, 1)) == 1


def test_a_freeze_lifted_after_the_old_deadline_gives_back_the_whole_freeze(officer):
    # Frozen 5.5 days before the deadline, lifted 10 days later: the person again has the
    # 5.5 days (rounded up to whole days) the freeze took.
    person = participant_in(wave_21())
    with time_machine.travel(wib(2021, 10, 16, 12, 0), tick=False):
        services.freeze_card(
            participant=person,
            reason="Laporan #9",
            participant_reason="Diperiksa petugas.",
            actor=officer,
        )
    with time_machine.travel(wib(2021, 10, 26, 12, 0), tick=False):
        services.lift_freeze(
            participant=person,
            reason="Selesai diperiksa",
            participant_reason="Diperiksa petugas.",
            actor=officer,
        )
    person.refresh_from_db()
    assert person.first_purchase_deadline == wib(2021, 10, 31, 23, 59, 59, 999999)
    assert sweep_at(wib(2021, 10, 27, 0, 0, 0)) == 0


@pytest.mark.parametrize(
    ("frozen", "lifted", "days"),
    [
        (wib(2021, 10, 1, 9, 0), wib(2021, 10, 6, 9, 0), 5),
        (wib(2021, 10, 1, 9, 0), wib(2021, 10, 6, 9, 1), 6),  # a started day counts whole
        (wib(2021, 10, 1, 23, 0), wib(2021, 10, 2, 1, 0), 1),
        (wib(2021, 10, 1, 9, 0), wib(2021, 10, 1, 9, 0), 0),
        (wib(2021, 10, 22, 0, 0), wib(2021, 10, 30, 0, 0), 0),  # after the deadline
    ],
)
def test_the_rule_counts_every_started_day_of_a_freeze_before_the_deadline(frozen, lifted, days):
    extended = deadlines.first_purchase_deadline_after_freeze(
        OLD_DEADLINE, frozen_at=frozen, lifted_at=lifted
    )
    assert extended == OLD_DEADLINE + dt.timedelta(days=days)
    assert extended.astimezone(deadlines.WIB).time() == deadlines.END_OF_DAY
