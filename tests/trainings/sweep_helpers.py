"""Shared builders for the sweep tests: waves at real program dates, participants, snapshots."""

import datetime as dt
from zoneinfo import ZoneInfo

from participants.models import (
    BlacklistEntry,
    LedgerEntry,
    Participant,
    ParticipantEvent,
)
from tests.factories import WaveFactory, make_active_participant
from trainings.models import RecoveredQuota, SweepRun

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


def wave_21():
    """Wave 21: announced 22 September 2021 20:00 WIB (docs/program.md section 4)."""
    return WaveFactory(
        number=21,
        opens_at=wib(2021, 9, 15, 12),
        closes_at=wib(2021, 9, 19, 12),
        announces_at=wib(2021, 9, 22, 20),
    )


def wave_announced(number: int, announces_at: dt.datetime):
    return WaveFactory(
        number=number,
        opens_at=announces_at - dt.timedelta(days=7),
        closes_at=announces_at - dt.timedelta(days=3),
        announces_at=announces_at,
    )


def participant_in(wave, *, status: str = Participant.Status.ACTIVE, **kwargs) -> Participant:
    """A participant selected in ``wave`` with the full balance and no purchase."""
    if status == Participant.Status.SELECTED:
        kwargs["oriented_at"] = None
    return make_active_participant(now=wave.announces_at, wave=wave, status=status, **kwargs)


def snapshot() -> dict:
    """Every row the sweep writes, keyed so that auto ids do not matter."""
    return {
        "participants": sorted(
            Participant.objects.values_list(
                "pk", "status", "revoked_at", "revoke_reason", "balance_idr"
            )
        ),
        "ledger": sorted(
            LedgerEntry.objects.values_list(
                "participant_id", "kind", "amount_idr", "balance_after_idr", "created_at"
            )
        ),
        "blacklist": sorted(
            BlacklistEntry.objects.values_list(
                "participant_id",
                "nik_hash",
                "nik_masked",
                "full_name",
                "reason_code",
                "legal_basis",
                "created_at",
                "removed_at",
            )
        ),
        "events": sorted(
            ParticipantEvent.objects.values_list(
                "participant_id", "kind", "from_status", "to_status", "reason_code", "created_at"
            )
        ),
        "pools": sorted(
            RecoveredQuota.objects.values_list(
                "source_wave_id", "province_id", "recovered", "allocated"
            )
        ),
        "runs": sorted(SweepRun.objects.values_list("cutoff", "revoked", "forfeited_idr")),
    }
