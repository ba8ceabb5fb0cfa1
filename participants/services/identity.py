"""The protected identity numbers (NIK and KK)."""

from participants import crypto
from participants.models import (
    Participant,
)


def set_identity_numbers(*, participant: Participant, nik: str, kk: str) -> None:
    """Fill the protected NIK/KK fields on an unsaved or to-be-saved participant."""
    participant.nik_hash = crypto.keyed_hash(nik)
    participant.nik_encrypted = crypto.encrypt(nik)
    participant.nik_masked = crypto.mask_nik(nik)
    participant.kk_hash = crypto.keyed_hash(kk)
    participant.kk_encrypted = crypto.encrypt(kk)
