"""seed_demo's eligibility part: a small list from every source, in force whatever day it runs,
one naming a demo person refused at selection for it; idempotent."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from participants.eligibility.sources import Source
from participants.models import AgencyList, Application, Participant
from prakerja import crypto

pytestmark = pytest.mark.django_db


def in_force(today: dt.date) -> dict[str, AgencyList]:
    return {
        agency_list.source: agency_list
        for agency_list in AgencyList.objects.filter(status="active", valid_until__gte=today)
    }


def test_seed_demo_lists_every_source_with_a_demo_person_on_the_bsu_list(capsys, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    assert capsys.readouterr().out == first  # idempotent
    assert "DEMO email=bsu@prakerja.local" in first and "state=not_selected" in first
    lists = in_force(timezone.localdate())
    assert set(lists) == set(Source.values)
    assert AgencyList.objects.count() == len(Source.values)  # the rerun imported nothing
    person = Participant.objects.get(user__email="bsu@prakerja.local")
    application = Application.objects.get(participant=person)
    assert application.reason_code == Application.Reason.OTHER_AID_BSU
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT list_id FROM participants_agencylistentry WHERE nik_hash = %s",
            [person.nik_hash],
        )
        assert [row[0] for row in cursor.fetchall()] == [lists["bsu"].pk]
    assert person.nik_hash == crypto.keyed_hash(crypto.decrypt(person.nik_encrypted))


def test_a_later_seed_demo_replaces_lists_past_their_validity(capsys, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    later = timezone.now() + dt.timedelta(days=200)
    with time_machine.travel(later, tick=False):
        call_command("seed_demo")
        lists = in_force(timezone.localdate())
    capsys.readouterr()
    assert set(lists) == set(Source.values)
    assert {agency_list.version for agency_list in lists.values()} == {2}
