"""Additional waves from the recovered pool: each freed place is taken once."""

import datetime as dt
import threading

import pytest
from django.db import connection

from participants.models import WaveProvinceQuota
from tests.factories import ProvinceFactory, UserFactory, WaveFactory
from tests.trainings.sweep_helpers import wib
from trainings import waves
from trainings.models import RecoveredQuota

OPEN = {
    "opens_at": wib(2030, 11, 1, 10),
    "closes_at": wib(2030, 11, 5, 10),
    "announces_at": wib(2030, 11, 8, 20),
}
NOW = wib(2030, 10, 1)


def _pool(wave, code: str, recovered: int, allocated: int = 0):
    province = ProvinceFactory(code=code, name=f"PROVINSI {code}")
    return RecoveredQuota.objects.create(
        source_wave=wave, province=province, recovered=recovered, allocated=allocated
    )


@pytest.mark.django_db
def test_the_additional_wave_takes_every_available_place_per_province_once():
    staff = UserFactory(is_staff=True)
    w12, w13 = WaveFactory(number=12), WaveFactory(number=13)
    _pool(w12, "32", recovered=10, allocated=4)
    _pool(w13, "32", recovered=5)
    _pool(w12, "35", recovered=3, allocated=3)  # nothing left here
    _pool(w13, "31", recovered=2)

    wave = waves.open_additional_wave(number=17, actor=staff, now=NOW, **OPEN)
    assert wave.is_additional
    assert wave.quota_total == 13
    assert dict(wave.province_quotas.values_list("province_id", "quota")) == {"32": 11, "31": 2}
    assert all(p.allocated == p.recovered for p in RecoveredQuota.objects.all())

    with pytest.raises(waves.NoRecoveredQuota):
        waves.open_additional_wave(number=18, actor=staff, now=NOW, **OPEN)

    # Places freed later go to the next additional wave, and only those.
    RecoveredQuota.objects.filter(source_wave=w13, province_id="31").update(recovered=6)
    wave_22 = waves.open_additional_wave(number=22, actor=staff, now=NOW, **OPEN)
    assert dict(wave_22.province_quotas.values_list("province_id", "quota")) == {"31": 4}


@pytest.mark.django_db
def test_a_taken_number_or_times_out_of_order_are_refused_and_nothing_is_taken():
    staff = UserFactory(is_staff=True)
    w12 = WaveFactory(number=12)
    _pool(w12, "32", recovered=10)
    with pytest.raises(waves.WaveNumberTaken):
        waves.open_additional_wave(number=12, actor=staff, now=NOW, **OPEN)
    with pytest.raises(waves.InvalidWaveTimes):
        waves.open_additional_wave(
            number=17,
            actor=staff,
            now=NOW,
            **{**OPEN, "closes_at": OPEN["opens_at"] - dt.timedelta(hours=1)},
        )
    assert RecoveredQuota.objects.get().allocated == 0


@pytest.mark.django_db(transaction=True)
def test_two_staff_opening_waves_at_once_never_count_a_place_twice():
    staff = UserFactory(is_staff=True)
    w12 = WaveFactory(number=12)
    for code in ["31", "32", "33", "34", "35"]:
        _pool(w12, code, recovered=7)
    barrier = threading.Barrier(4)
    outcomes = []

    def open_wave(number):
        try:
            barrier.wait()
            outcomes.append(waves.open_additional_wave(number=number, actor=staff, now=NOW, **OPEN))
        except waves.NoRecoveredQuota as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_wave, args=(n,)) for n in (40, 41, 42, 43)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 4
    quotas = sum(WaveProvinceQuota.objects.values_list("quota", flat=True))
    assert quotas == 35
    assert sum(RecoveredQuota.objects.values_list("allocated", flat=True)) == 35
