"""Orientation: three introduction videos watched to the end at normal speed, checked on the
server clock; after the last one the participant becomes active and sees the card number."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import services
from participants.models import (
    DomainError,
    OrientationVideo,
    Participant,
    VideoProgress,
)


class OrientationError(DomainError):
    code = "orientation_refused"


def _check_may_watch(participant: Participant, video: OrientationVideo) -> None:
    if participant.status not in (Participant.Status.SELECTED, Participant.Status.ACTIVE):
        raise OrientationError(
            _("Video pengenalan tersedia setelah Anda dinyatakan lolos."), code="not_selected"
        )
    earlier = OrientationVideo.objects.filter(is_active=True, order__lt=video.order)
    done = VideoProgress.objects.filter(
        participant=participant, video__in=earlier, completed_at__isnull=False
    ).count()
    if done < earlier.count():
        raise OrientationError(
            _("Tonton video sebelumnya sampai selesai terlebih dahulu."), code="video_out_of_order"
        )


def start_video(
    *, participant: Participant, video: OrientationVideo, now: dt.datetime | None = None
) -> VideoProgress:
    """Record that playback began. Starting again (a reload) restarts the clock, unless the
    video was already completed."""
    now = now or timezone.now()
    _check_may_watch(participant, video)
    progress, created = VideoProgress.objects.get_or_create(
        participant=participant, video=video, defaults={"started_at": now}
    )
    if not created and progress.completed_at is None:
        VideoProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
            started_at=now
        )
        progress.refresh_from_db()
    return progress


def complete_video(
    *, participant: Participant, video: OrientationVideo, now: dt.datetime | None = None
) -> VideoProgress:
    """Accept the client's "ended" report only if at least the video's duration has passed on
    the server clock since the start (no skipping, no faster playback). After the last active
    video, the participant moves SELECTED -> ACTIVE. Raises ``video_not_started``,
    ``video_not_finished``."""
    now = now or timezone.now()
    _check_may_watch(participant, video)
    progress = VideoProgress.objects.filter(participant=participant, video=video).first()
    if progress is None:
        raise OrientationError(_("Putar video dari awal."), code="video_not_started")
    if progress.completed_at is not None:
        return progress
    needed = dt.timedelta(seconds=video.duration_seconds - settings.ORIENTATION_SLACK_SECONDS)
    if now - progress.started_at < needed:
        raise OrientationError(
            _("Video belum ditonton sampai selesai. Tonton dari awal tanpa dipercepat."),
            code="video_not_finished",
        )
    with transaction.atomic():
        VideoProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
            completed_at=now
        )
        remaining = (
            OrientationVideo.objects.filter(is_active=True)
            .exclude(
                pk__in=VideoProgress.objects.filter(
                    participant=participant, completed_at__isnull=False
                ).values("video_id")
            )
            .exists()
        )
        current = Participant.objects.get(pk=participant.pk)
        if not remaining and current.status == Participant.Status.SELECTED:
            services.transition_status(
                participant=current,
                to=Participant.Status.ACTIVE,
                reason_code="oriented",
                now=now,
                oriented_at=now,
            )
    progress.refresh_from_db()
    return progress
