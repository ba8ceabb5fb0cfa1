"""A voucher's life after purchase: redeemed once at its provider, pre-test, completion with the
certificate, and the participant's rating and review (docs/program.md section 5, steps 4-5).

Every step is a conditional UPDATE on the voucher's current status, never a read-then-write, so
concurrent reports cannot both succeed.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import services as participant_services
from participants.models import ParticipantEvent
from prakerja.jobs import enqueue_on_commit
from trainings import selectors
from trainings.models import Platform, Provider, Voucher
from trainings.services.errors import (
    InvalidRequest,
    PretestMissing,
    ReviewAlreadySubmitted,
    TrainingNotCompleted,
    VoucherAlreadyCompleted,
    VoucherAlreadyRedeemed,
    VoucherNotFound,
    VoucherNotRedeemed,
    VoucherWrongProvider,
)

REVIEW_MAX_LENGTH = 2000
# A platform's clock may run a little ahead of ours; a completion further in the future is a bug.
COMPLETION_CLOCK_SKEW = dt.timedelta(minutes=5)
# Re-read only the voucher's own state, keeping its cached training, provider and payment.
STATE_FIELDS = [
    "status",
    "redeemed_at",
    "pretest_score",
    "pretest_at",
    "completed_at",
    "certificate_number",
    "certificate_url",
    "score",
    "rating",
    "review",
    "reviewed_at",
]


def redeem_voucher(
    *, platform: Platform, code: str, provider_code: str, now: dt.datetime | None = None
) -> Voucher:
    """Redeem the voucher ``code`` (sold through ``platform``) at provider ``provider_code``.

    One ``UPDATE ... WHERE status='issued' AND provider_id=...``: of any number of concurrent
    redemptions exactly one succeeds. Raises :class:`VoucherNotFound` (unknown, another
    platform's, or cancelled), :class:`VoucherWrongProvider`, :class:`VoucherAlreadyRedeemed`.
    """
    now = now or timezone.now()
    voucher = selectors.platform_voucher(platform=platform, code=code)
    if voucher is None or voucher.status == Voucher.Status.CANCELLED:
        raise VoucherNotFound()
    provider_id = Provider.objects.filter(code=provider_code).values_list("id", flat=True).first()
    if provider_id is None or provider_id != voucher.provider_id:
        raise VoucherWrongProvider()
    redeemed = Voucher.objects.filter(
        pk=voucher.pk, status=Voucher.Status.ISSUED, provider_id=provider_id
    ).update(status=Voucher.Status.REDEEMED, redeemed_at=now)
    if not redeemed:
        raise VoucherAlreadyRedeemed()
    voucher.status = Voucher.Status.REDEEMED
    voucher.redeemed_at = now
    return voucher


def record_pretest(*, voucher: Voucher, score: int, now: dt.datetime | None = None) -> Voucher:
    """Record the pre-test score (0-100) of a redeemed voucher; a later report overwrites it
    until the training is completed. Raises :class:`VoucherNotRedeemed`,
    :class:`VoucherAlreadyCompleted`, :class:`InvalidRequest`."""
    now = now or timezone.now()
    _check_score(score)
    updated = Voucher.objects.filter(pk=voucher.pk, status=Voucher.Status.REDEEMED).update(
        pretest_score=score, pretest_at=now
    )
    if not updated:
        voucher.refresh_from_db(fields=STATE_FIELDS)
        if voucher.status == Voucher.Status.COMPLETED:
            raise VoucherAlreadyCompleted()
        raise VoucherNotRedeemed()
    voucher.refresh_from_db(fields=STATE_FIELDS)
    return voucher


def record_completion(
    *,
    voucher: Voucher,
    certificate_number: str,
    certificate_url: str,
    completed_at: dt.datetime,
    score: int,
    now: dt.datetime | None = None,
) -> Voucher:
    """Mark a redeemed voucher's training completed with its certificate.

    Requires the pre-test first. Raises :class:`VoucherNotRedeemed`, :class:`PretestMissing`,
    :class:`VoucherAlreadyCompleted`, :class:`InvalidRequest` (empty certificate, a completion
    time in the future or before the redemption, a score outside 0-100).
    """
    now = now or timezone.now()
    _check_score(score)
    certificate_number = (certificate_number or "").strip()
    certificate_url = (certificate_url or "").strip()
    if not certificate_number or not certificate_url.startswith(("https://", "http://")):
        raise InvalidRequest(_("Nomor dan tautan sertifikat wajib diisi."))
    if timezone.is_naive(completed_at):
        raise InvalidRequest(_("completed_at harus menyertakan zona waktu."))
    if completed_at > now + COMPLETION_CLOCK_SKEW:
        raise InvalidRequest(_("completed_at tidak boleh di masa depan."))
    if voucher.redeemed_at is not None and completed_at < voucher.redeemed_at:
        raise InvalidRequest(_("completed_at tidak boleh sebelum voucher ditukarkan."))
    with transaction.atomic():
        updated = Voucher.objects.filter(
            pk=voucher.pk, status=Voucher.Status.REDEEMED, pretest_at__isnull=False
        ).update(
            status=Voucher.Status.COMPLETED,
            completed_at=completed_at,
            certificate_number=certificate_number[:100],
            certificate_url=certificate_url[:500],
            score=score,
        )
        if not updated:
            voucher.refresh_from_db(fields=STATE_FIELDS)
            if voucher.status == Voucher.Status.COMPLETED:
                raise VoucherAlreadyCompleted()
            if voucher.status != Voucher.Status.REDEEMED:
                raise VoucherNotRedeemed()
            raise PretestMissing()
        voucher.refresh_from_db(fields=STATE_FIELDS)
        participant_services.record_event(
            participant=voucher.participant,
            kind=ParticipantEvent.Kind.NOTE,
            reason_code="training_completed",
            note=f"{voucher.training.title}, sertifikat {certificate_number[:100]}",
            now=now,
        )
    return voucher


def submit_review(
    *, voucher: Voucher, rating: int, review: str, now: dt.datetime | None = None
) -> Voucher:
    """The participant's rating (1-5) and review of a completed training, once.

    Used by the partner API and the portal. Raises :class:`TrainingNotCompleted`,
    :class:`ReviewAlreadySubmitted`, :class:`InvalidRequest`.
    """
    now = now or timezone.now()
    review = (review or "").strip()
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidRequest(_("Penilaian harus berupa angka 1 sampai 5."))
    if not review:
        raise InvalidRequest(_("Ulasan wajib diisi."))
    if len(review) > REVIEW_MAX_LENGTH:
        raise InvalidRequest(_("Ulasan paling banyak 2000 karakter."))
    updated = Voucher.objects.filter(
        pk=voucher.pk, status=Voucher.Status.COMPLETED, reviewed_at__isnull=True
    ).update(rating=rating, review=review, reviewed_at=now)
    if not updated:
        voucher.refresh_from_db(fields=STATE_FIELDS)
        if voucher.status != Voucher.Status.COMPLETED:
            raise TrainingNotCompleted()
        raise ReviewAlreadySubmitted()
    voucher.refresh_from_db(fields=STATE_FIELDS)
    if voucher.sequence == 1:
        enqueue_on_commit(PLAN_INCENTIVES_TASK, voucher.participant_id, robust=True)
    return voucher


# The first training's review completes the incentive conditions. ``incentives`` (a higher app)
# plans the schedule; trainings names its task instead of importing it (imports run one way).
PLAN_INCENTIVES_TASK = "incentives.plan_for_participant"


def _check_score(score: int) -> None:
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise InvalidRequest(_("Nilai harus berupa angka 0 sampai 100."))
