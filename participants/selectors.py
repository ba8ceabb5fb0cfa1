"""Reads for participants; each owns its select_related/prefetch_related."""

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from participants.cards import deadlines
from participants.models import (
    Application,
    BlacklistEntry,
    EligibilityReview,
    OrientationVideo,
    Participant,
    ParticipantEvent,
    VideoProgress,
    Wave,
)
from prakerja.prepared import PreparedQuery

# Who still owes a first purchase: selected or active (a frozen card is not swept, an expired
# balance is not a revocation). The partial index ``sweep_candidates`` covers exactly this.
AWAITING_FIRST_PURCHASE = (Participant.Status.SELECTED, Participant.Status.ACTIVE)


def awaiting_first_purchase() -> QuerySet[Participant]:
    """Selected or active participants who have not bought their first training yet."""
    return Participant.objects.filter(
        status__in=AWAITING_FIRST_PURCHASE, first_purchase_at__isnull=True
    )


def past_first_purchase_deadline(*, as_of: dt.datetime) -> QuerySet[Participant]:
    """Selected or active, no purchase, first-purchase deadline passed before ``as_of``, and the
    balance still alive at the deadline: the people the nightly sweep revokes.

    docs/program.md section 4: nobody is revoked or blacklisted for not buying after their balance
    expired, so whoever's balance expired at or before their deadline is left out (the balance
    expiry moves them to ``expired``). The deadline is the column ``first_purchase_deadline``,
    which already holds the days given back for a lifted freeze (``services.lift_freeze``,
    ``deadlines.first_purchase_deadline_after_freeze``): a person never frozen costs nothing
    more, and a frozen card is not selected or active, so it is not swept. Served by the partial
    index ``sweep_candidates``.
    """
    return awaiting_first_purchase().filter(
        Q(balance_expires_at__isnull=True) | Q(balance_expires_at__gt=F("first_purchase_deadline")),
        first_purchase_deadline__lt=as_of,
    )


def is_past_first_purchase_deadline(participant: Participant, *, as_of: dt.datetime) -> bool:
    """:func:`past_first_purchase_deadline` for one participant already in memory (no query):
    the purchase rules ask it, so a card is refused as past its deadline exactly when the sweep
    would revoke it."""
    deadline = participant.first_purchase_deadline
    return (
        participant.status in AWAITING_FIRST_PURCHASE
        and participant.first_purchase_at is None
        and deadline is not None
        and deadline < as_of
        and (participant.balance_expires_at is None or participant.balance_expires_at > deadline)
    )


def last_day_to_buy(participant: Participant) -> dt.datetime | None:
    """The real last day of the person's first purchase (the deadline, or the balance expiry
    when it comes first: ``deadlines.last_day_to_buy``); ``None`` once bought or without one."""
    if participant.first_purchase_deadline is None or participant.first_purchase_at is not None:
        return None
    return deadlines.last_day_to_buy(
        deadline=participant.first_purchase_deadline, expires=participant.balance_expires_at
    )


def participant_for_user(*, user) -> Participant | None:
    """The participant record of a logged-in user, or ``None`` (staff, new accounts).

    The authentication backend (``prakerja.auth``) loads it with the user, so on a request this
    costs no query; a user object from elsewhere costs one.
    """
    try:
        return user.participant
    except Participant.DoesNotExist:
        return None


_applications_of = PreparedQuery(
    lambda participant_id: (
        Application.objects.filter(participant_id=participant_id)
        .select_related("wave")
        .order_by("-joined_at", "-id")
    )
)


def applications_of(*, participant: Participant) -> list[Application]:
    """Every wave entry, newest first, with its wave (the dashboard's query: its SQL is built
    once per process)."""
    return _applications_of.fetch(participant.pk, known={"participant": participant})


def open_waves(*, now: dt.datetime) -> list[Wave]:
    return list(Wave.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("number"))


def wave_by_number(*, number: int) -> Wave:
    return get_object_or_404(Wave, number=number)


def next_steps(*, participant: Participant) -> list[tuple[str, str, bool]]:
    """The registration steps in order: (label, url name, done)."""
    return [
        (_("Konfirmasi email"), "register_done", participant.user.email_verified_at is not None),
        (_("Data identitas"), "identity", participant.identity_done),
        (_("Verifikasi nomor HP"), "phone", participant.phone_verified_at is not None),
        (_("Pernyataan Pendaftar"), "declarations", participant.declared_at is not None),
        (_("Tes Motivasi & Kemampuan Dasar"), "basic_test", participant.test_passed_at is not None),
    ]


def first_unfinished_step(*, participant: Participant) -> str | None:
    for _label, url_name, done in next_steps(participant=participant):
        if not done:
            return url_name
    return None


def orientation_videos(*, participant: Participant) -> list[tuple[OrientationVideo, bool]]:
    """Active videos in order with whether this participant completed each."""
    videos = list(OrientationVideo.objects.filter(is_active=True).order_by("order"))
    done = set(
        VideoProgress.objects.filter(
            participant=participant, completed_at__isnull=False
        ).values_list("video_id", flat=True)
    )
    return [(video, video.pk in done) for video in videos]


def video_for_participant(*, pk: int) -> OrientationVideo:
    return get_object_or_404(OrientationVideo, pk=pk, is_active=True)


def blacklist_entry_of(*, participant: Participant) -> BlacklistEntry | None:
    """The participant's standing blacklist entry (reason and legal basis), if any."""
    if not participant.nik_hash:
        return None
    return (
        BlacklistEntry.objects.filter(nik_hash=participant.nik_hash, removed_at__isnull=True)
        .order_by("-created_at")
        .first()
    )


def last_status_change(*, participant: Participant) -> ParticipantEvent | None:
    """The audit row of the participant's current status (when and why it was reached)."""
    return (
        ParticipantEvent.objects.filter(
            participant=participant,
            kind=ParticipantEvent.Kind.STATUS,
            to_status=participant.status,
        )
        .order_by("-created_at", "-id")
        .first()
    )


def payouts_on_hold() -> QuerySet:
    """The ids of participants whose incentive payouts must wait (a subquery for incentives):
    an eligibility review of them is open (``open`` or ``frozen``), or ended in a revocation for
    ineligibility (nothing more is paid to them)."""
    held = (*EligibilityReview.OPEN_STATUSES, EligibilityReview.Status.REVOKED)
    return EligibilityReview.objects.filter(status__in=held).values("participant_id")
