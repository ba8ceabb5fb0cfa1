"""Additional waves opened from the recovered quota pool (docs/program.md section 4: waves 17
and 22). ``InvalidWaveTimes`` and ``WaveWindowPast`` are the wave rules' refusals
(``participants.waves.schedule``), named here for the service's callers."""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

from django.contrib.admin.models import ADDITION, LogEntry
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.cards import deadlines
from participants.models import DomainError, Participant, Wave, WaveProvinceQuota
from participants.waves.schedule import (  # noqa: F401 (refusals named for the service's callers)
    InvalidWaveTimes,
    WaveWindowPast,
    check_wave_dates,
)
from trainings.models import RecoveredQuota


class NoRecoveredQuota(DomainError):
    code = "no_recovered_quota"
    message = _("Tidak ada kuota yang dipulihkan untuk dibuka pada gelombang tambahan.")


class WaveNumberTaken(DomainError):
    code = "wave_number_taken"
    message = _("Nomor gelombang ini sudah dipakai.")


def return_places(*, places: Mapping[tuple[int, str], int]) -> None:
    """Credit places freed by revocation to the recovered pool: ``places`` maps (source wave id,
    province code) to a count. The one rule of the pool's credit side, used by the sweep's
    batches and by a single revocation (:func:`return_place`): one upsert statement.

    Pool rows are written in sorted order, the lock order concurrent sweep batches rely on.
    """
    if not places:
        return
    rows = sorted(places.items())
    pool = RecoveredQuota._meta.db_table
    values = ", ".join(["(%s, %s, %s, 0)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {pool} (source_wave_id, province_id, recovered, allocated)
            VALUES {values}
            ON CONFLICT (source_wave_id, province_id)
            DO UPDATE SET recovered = {pool}.recovered + excluded.recovered
            """,  # noqa: S608 (table name and placeholders only)
            [
                value
                for (wave_id, province_id), count in rows
                for value in (wave_id, province_id, count)
            ],
        )


def return_place(*, participant: Participant) -> None:
    """The place of one revoked participant returns to the pool of their wave and province
    (``settings.PARTICIPANTS_PLACE_FREED``, called by ``revoke_participation``)."""
    if participant.wave_id and participant.province_id:
        return_places(places={(participant.wave_id, participant.province_id): 1})


def available_by_province() -> dict[str, int]:
    """Places in the pool not yet taken by an additional wave, per province code."""
    totals: dict[str, int] = defaultdict(int)
    rows = RecoveredQuota.objects.filter(allocated__lt=F("recovered")).values_list(
        "province_id", "recovered", "allocated"
    )
    for province_id, recovered, allocated in rows:
        totals[province_id] += recovered - allocated
    return dict(totals)


def open_additional_wave(
    *,
    number: int,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    announces_at: dt.datetime,
    actor,
    program_year: int | None = None,
    now: dt.datetime | None = None,
) -> Wave:
    """Create wave ``number`` (``is_additional``) whose quota per province is every place still
    available in the recovered pool, and mark those places allocated, in one transaction.

    Each pool row is taken with a conditional UPDATE on the ``allocated`` value it was read with,
    so two staff members opening waves at once never count a place twice (the loser gets
    :class:`NoRecoveredQuota` or retries with what is left). The admin log records who
    opened it and the places per province. ``program_year`` defaults to the program year
    announcing at ``now`` (``deadlines.program_year_of``).

    Raises :class:`NoRecoveredQuota`, :class:`WaveNumberTaken`, or the refusals of the rules of a
    wave's dates (``participants.waves.schedule.check_wave_dates``: :class:`InvalidWaveTimes`,
    :class:`WaveWindowPast`, ``deadlines.AnnouncementTooLate`` naming the last day,
    ``deadlines.AnnouncementTooEarly``).
    """
    now = now or timezone.now()
    program_year = program_year or deadlines.program_year_of(now)
    check_wave_dates(
        opens_at=opens_at,
        closes_at=closes_at,
        announces_at=announces_at,
        program_year=program_year,
        now=now,
    )
    with transaction.atomic():
        if Wave.objects.filter(number=number).exists():
            raise WaveNumberTaken()
        taken: dict[str, int] = defaultdict(int)
        pools = RecoveredQuota.objects.select_for_update().filter(allocated__lt=F("recovered"))
        for pool in pools.order_by("pk"):
            places = pool.recovered - pool.allocated
            claimed = RecoveredQuota.objects.filter(pk=pool.pk, allocated=pool.allocated).update(
                allocated=F("allocated") + places
            )
            if claimed:
                taken[pool.province_id] += places
        if not taken:
            raise NoRecoveredQuota()
        wave = Wave.objects.create(
            number=number,
            opens_at=opens_at,
            closes_at=closes_at,
            announces_at=announces_at,
            program_year=program_year,
            quota_total=sum(taken.values()),
            is_additional=True,
        )
        WaveProvinceQuota.objects.bulk_create(
            WaveProvinceQuota(wave=wave, province_id=province_id, quota=quota)
            for province_id, quota in sorted(taken.items())
        )
        if actor is not None:
            LogEntry.objects.log_actions(
                user_id=actor.pk,
                queryset=[wave],
                action_flag=ADDITION,
                change_message=[
                    {"added": {"name": "kuota dipulihkan", "object": f"{code}: {quota}"}}
                    for code, quota in sorted(taken.items())
                ],
                single_object=True,
            )
    return wave
