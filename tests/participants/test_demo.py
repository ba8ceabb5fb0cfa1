"""seed_demo's participant part: idempotent, every journey state, the question bank, videos."""

import pytest
from django.core.management import call_command

from participants.models import (
    Application,
    BasicTestQuestion,
    BlacklistEntry,
    District,
    OrientationVideo,
    Participant,
    Province,
)

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_covers_the_journey(capsys, settings):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert first == second
    states = {
        line.split("state=")[1].split()[0] for line in first.splitlines() if line.startswith("DEMO")
    }
    assert {
        "registered",
        "identity_verified",
        "applicant",
        "joined",
        "not_selected",
        "selected",
        "active",
        "revoked",
        "frozen",
        "expired",
    } <= states
    # Reached through the participants services, with their audit rows and ledger entries.
    frozen = Participant.objects.get(user__email="dibekukan@prakerja.local")
    assert (frozen.status, frozen.frozen_from_status) == ("frozen", "active")
    expired = Participant.objects.get(user__email="kedaluwarsa@prakerja.local")
    assert (expired.status, expired.balance_idr) == ("expired", 0)
    assert expired.ledger_entries.filter(kind="expiry").count() == 1
    assert not BlacklistEntry.objects.filter(nik_hash=expired.nik_hash).exists()
    assert Province.objects.count() == 38
    assert District.objects.count() > 7000
    assert BasicTestQuestion.objects.count() >= 18
    assert OrientationVideo.objects.count() == 3
    assert Participant.objects.filter(status="active").exists()
    assert Application.objects.filter(status="not_selected").exclude(reason_code="").exists()


def test_load_areas_command_is_idempotent(capsys):
    call_command("load_areas", "--province", "32")
    call_command("load_areas", "--province", "32")
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0] == out[1]
    assert District.objects.get(code="320101").name == "Cibinong"
