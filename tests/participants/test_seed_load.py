"""seed_load: synthetic participants in bulk, ready for the selection and sweep benchmarks."""

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participants.cards import numbers as card_numbers
from participants.models import (
    Application,
    LedgerEntry,
    Participant,
    Wave,
    WaveProvinceQuota,
)
from participants.waves.selection import run_selection
from prakerja import crypto


@pytest.mark.django_db
def test_seed_load_builds_applicants_and_selected_participants(capsys):
    now = timezone.now()
    call_command("seed_load", "--participants", "400", "--selected", "60", "--past-deadline", "20")
    out = capsys.readouterr().out
    assert "seed_load: participants=400 applicants=340" in out
    assert Participant.objects.count() == 400
    wave = Wave.objects.order_by("-number").first()
    assert wave.closes_at < now < wave.announces_at
    assert Application.objects.filter(wave=wave, status=Application.Status.JOINED).count() == 340
    quotas = WaveProvinceQuota.objects.filter(wave=wave)
    assert quotas.aggregate(total=Sum("quota"))["total"] == wave.quota_total == 340 // 10
    selected = Participant.objects.exclude(wave=None)
    assert selected.count() == 60
    assert selected.filter(first_purchase_deadline__lt=now).count() == 20
    assert all(
        card_numbers.is_valid_card_number(c) for c in selected.values_list("card_number", flat=True)
    )
    grants = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.GRANT)
    assert grants.count() == 60
    assert (
        grants.aggregate(t=Sum("amount_idr"))["t"] == selected.aggregate(t=Sum("balance_idr"))["t"]
    )
    # Identity data is protected exactly like a registered person's.
    person = Participant.objects.filter(wave=None).first()
    nik = crypto.decrypt(person.nik_encrypted)
    assert len(nik) == 16 and crypto.keyed_hash(nik) == person.nik_hash
    assert person.nik_masked == crypto.mask_nik(nik)
    assert Participant.objects.values("nik_hash").distinct().count() == 400


@pytest.mark.django_db
def test_seed_load_inserts_in_bulk_and_the_loaded_wave_can_be_selected():
    with CaptureQueriesContext(connection) as ctx:
        call_command("seed_load", "--participants", "300", "--quota", "30")
    # Bulk: far fewer statements than rows (COPY on PostgreSQL is not even counted here).
    assert len(ctx.captured_queries) < 100
    wave = Wave.objects.order_by("-number").first()
    run = run_selection(wave=wave, seed="muat", now=wave.closes_at)
    assert run.applicants == 300
    assert run.selected <= 30
    assert run.selected + run.not_selected == 300
    assert set(run.counts_by_reason) <= set(Application.Reason.values)


@pytest.mark.django_db
def test_seed_load_refuses_impossible_counts():
    with pytest.raises(CommandError):
        call_command("seed_load", "--participants", "10", "--selected", "20")


def _index_definitions() -> set[tuple[str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef LIKE 'CREATE UNIQUE%%' FROM pg_indexes WHERE tablename IN "
            "('participants_user', 'participants_participant', 'participants_application')"
        )
        return set(cursor.fetchall())


@pytest.mark.django_db
def test_rebuilding_indexes_restores_every_index_and_unique_constraint():
    before = _index_definitions()
    call_command("seed_load", "--participants", "200", "--indexes", "rebuild")
    assert _index_definitions() == before
    person = Participant.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Participant.objects.filter(pk=Participant.objects.last().pk).update(
            nik_hash=person.nik_hash
        )
