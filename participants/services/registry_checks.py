"""The civil-registry (Dukcapil) check of a person's identity: asking, the audit row of every
answer, the person's registry status, and the retries of a check the registry could not answer.

At the identity step (``participants.registration.steps.submit_identity``) the registry is
asked once; a mismatch refuses the step and names the field; an unavailable registry keeps
everything the person typed, marks the check ``pending`` and leaves it to the worker
(:func:`retry_due_checks`, Celery beat), which asks again with a growing pause
(:func:`backoff_seconds`). Only a ``match`` may be selected (``participants.waves.selection``).
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants.models import DomainError, Participant, ParticipantEvent, RegistryCheck
from participants.registration import registry
from participants.services.status import record_event
from prakerja import crypto

logger = logging.getLogger(__name__)

RS = Participant.RegistryStatus

# How long the worker holds a pending check it is asking about (another worker leaves it alone).
CLAIM_SECONDS = 5 * 60
RETRY_BATCH = 200


class RegistryMismatch(DomainError):
    """The registry knows the NIK with other data: ``field`` names which."""

    code = "registry_mismatch"


MISMATCH_ERRORS = {
    registry.NIK: (
        "registry_nik_not_found",
        _("NIK tidak ditemukan di data Dukcapil."),
    ),
    registry.KK: (
        "registry_kk_mismatch",
        _("Nomor KK tidak sesuai dengan data Dukcapil untuk NIK ini."),
    ),
    registry.NAME: (
        "registry_name_mismatch",
        _("Nama lengkap tidak sesuai dengan data Dukcapil untuk NIK ini."),
    ),
    registry.BIRTH_DATE: (
        "registry_birth_date_mismatch",
        _("Tanggal lahir tidak sesuai dengan data Dukcapil untuk NIK ini."),
    ),
}


def mismatch_error(field: str) -> RegistryMismatch:
    code, message = MISMATCH_ERRORS[field]
    return RegistryMismatch(message, code=code, field=field)


def backoff_seconds(attempts: int) -> int:
    """The pause before asking again after ``attempts`` unanswered attempts: the base, doubled
    each time, at most ``REGISTRY_RETRY_MAX_SECONDS``."""
    base = settings.REGISTRY_RETRY_BASE_SECONDS
    return min(base * 2 ** max(attempts - 1, 0), settings.REGISTRY_RETRY_MAX_SECONDS)


def ask(
    *, participant: Participant, query: registry.Query, attempt: int, now: dt.datetime
) -> registry.Answer:
    """Ask the registry about ``query`` and write the audit row of its answer (result, field,
    backend, attempt, time; nothing the registry knows about the person). The row is written
    whatever the caller does next, also when it refuses the step."""
    answer = registry.verify_identity(query=query, attempt=attempt)
    RegistryCheck.objects.create(
        participant=participant,
        result=answer.result,
        field=answer.field,
        detail=answer.detail[:32],
        backend=registry.backend_name(),
        attempt=attempt,
        checked_at=now,
    )
    return answer


def status_fields(*, answer: registry.Answer, attempt: int, now: dt.datetime) -> dict:
    """The participant's registry fields after ``answer`` (written by the caller's UPDATE)."""
    fields = {
        "registry_attempts": attempt,
        "registry_checked_at": now,
        "registry_field": answer.field,
        "registry_next_check_at": None,
    }
    if answer.result == registry.MATCH:
        fields["registry_status"] = RS.MATCH
    elif answer.result == registry.MISMATCH:
        fields["registry_status"] = RS.MISMATCH
    else:
        fields["registry_status"] = RS.PENDING
        fields["registry_next_check_at"] = now + dt.timedelta(seconds=backoff_seconds(attempt))
    return fields


def count_refused_attempt(*, participant: Participant, attempt: int) -> None:
    """A mismatch refused the identity step: the attempt counts (the audit row is written by
    :func:`ask`), nothing else about the person changes."""
    Participant.objects.filter(pk=participant.pk).update(registry_attempts=attempt)


def record_answer(
    *, participant: Participant, answer: registry.Answer, attempt: int, now: dt.datetime
) -> None:
    """Write the registry status of a stored identity after a retry, with the decision's audit
    row (``eligibility``, ``registry_match`` / ``registry_mismatch``); a still unavailable
    registry only moves the next attempt."""
    fields = status_fields(answer=answer, attempt=attempt, now=now)
    with transaction.atomic():
        updated = Participant.objects.filter(
            pk=participant.pk, registry_status=RS.PENDING, registry_attempts=attempt - 1
        ).update(**fields)
        if updated and answer.result != registry.UNAVAILABLE:
            record_event(
                participant=participant,
                kind=ParticipantEvent.Kind.ELIGIBILITY,
                reason_code=f"registry_{answer.result}",
                note=answer.field,
                now=now,
            )


def query_of(participant: Participant) -> registry.Query:
    """The four fields of a stored identity, as the registry is asked about them."""
    return registry.Query(
        nik=crypto.decrypt(participant.nik_encrypted),
        kk=crypto.decrypt(participant.kk_encrypted),
        name=participant.user.full_name,
        birth_date=participant.birth_date,
    )


@dataclass(frozen=True)
class RetrySummary:
    asked: int = 0
    matched: int = 0
    mismatched: int = 0
    unavailable: int = 0

    def line(self) -> str:
        return (
            f"retry_registry_checks: asked={self.asked} matched={self.matched} "
            f"mismatched={self.mismatched} unavailable={self.unavailable}"
        )


def retry_due_checks(*, now: dt.datetime | None = None, limit: int = RETRY_BATCH) -> RetrySummary:
    """Ask the registry again about every pending check whose pause has passed (at most
    ``limit``, oldest first). Each is claimed first by a conditional UPDATE that moves its next
    attempt a few minutes on, so two workers never ask about the same person; the answer then
    sets the status (or the next pause). When the registry's circuit is open the batch stops:
    the remaining checks keep their turn and no attempt is spent on them. Idempotent."""
    now = now or timezone.now()
    due = list(
        Participant.objects.filter(
            registry_status=RS.PENDING, registry_next_check_at__lte=now
        ).order_by("registry_next_check_at", "pk")[:limit]
    )
    counts = {registry.MATCH: 0, registry.MISMATCH: 0, registry.UNAVAILABLE: 0}
    asked = 0
    for candidate in due:
        claimed = Participant.objects.filter(
            pk=candidate.pk,
            registry_status=RS.PENDING,
            registry_next_check_at=candidate.registry_next_check_at,
        ).update(registry_next_check_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
        if not claimed:
            continue
        participant = Participant.objects.select_related("user").get(pk=candidate.pk)
        attempt = participant.registry_attempts + 1
        answer = ask(participant=participant, query=query_of(participant), attempt=attempt, now=now)
        record_answer(participant=participant, answer=answer, attempt=attempt, now=now)
        asked += 1
        counts[answer.result] += 1
        if answer.detail == "circuit_open":
            break  # the registry is known to be down: the others keep their turn
    return RetrySummary(
        asked=asked,
        matched=counts[registry.MATCH],
        mismatched=counts[registry.MISMATCH],
        unavailable=counts[registry.UNAVAILABLE],
    )
