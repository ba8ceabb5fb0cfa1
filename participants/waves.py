"""Waves: the rules of their dates, joining one ("Gabung"), and how a participant's place in
the program is labelled."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants import deadlines, services
from participants.models import Application, DomainError, Participant, ParticipantEvent, Wave

WAITING = [Application.Status.JOINED, Application.Status.PROCESSING]


# --- the rules of a wave's dates ---------------------------------------------------------------


class InvalidWaveTimes(DomainError):
    code = "invalid_wave_times"
    message = gettext_lazy("Urutan waktu harus: dibuka < ditutup <= pengumuman.")


class WaveWindowPast(DomainError):
    code = "wave_window_past"
    message = gettext_lazy(
        "Waktu penutupan sudah lewat: tidak ada yang dapat bergabung ke gelombang ini. Pilih "
        "waktu penutupan di masa depan."
    )


def check_wave_dates(
    *,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    announces_at: dt.datetime,
    program_year: int | None,
    now: dt.datetime,
    window_moved: bool = True,
) -> None:
    """The rules of a wave's dates, the same for the admin's wave form, the additional-wave
    service and the demo data:

    - in order: opens before it closes, closes at or before the announcement
      (:class:`InvalidWaveTimes`);
    - a window being set (a new wave, or new open/close times) must not be over already:
      nobody could join it (:class:`WaveWindowPast`). An existing wave's past window is history
      and stays editable (``window_moved=False``);
    - the announcement falls in its program year's announcement period, so the 30-day
      first-purchase window ends by that year's balance expiry
      (``deadlines.check_announcement``: :class:`~participants.deadlines.AnnouncementTooLate`,
      :class:`~participants.deadlines.AnnouncementTooEarly`).
    """
    if not (opens_at < closes_at <= announces_at):
        raise InvalidWaveTimes()
    if window_moved and closes_at <= now:
        raise WaveWindowPast(
            _(
                "Waktu penutupan %(closes)s sudah lewat: tidak ada yang dapat bergabung ke "
                "gelombang ini. Pilih waktu penutupan di masa depan."
            )
            % {"closes": deadlines.wib_text(closes_at)}
        )
    deadlines.check_announcement(announces_at, program_year=program_year)


def late_wave_problem(wave: Wave) -> str:
    """Why ``wave`` breaks the late-wave rule (its announcement outside its program year's
    period, so its people's 30-day window ends after their balance expires), or ``""``. Waves
    saved before the rule was checked on every edit may; staff pages flag them."""
    return announcement_problem(announces_at=wave.announces_at, program_year=wave.program_year)


def announcement_problem(*, announces_at: dt.datetime, program_year: int | None) -> str:
    """:func:`late_wave_problem` of a wave's two values (``program_year`` empty: the calendar
    year of the announcement, ``deadlines.wave_program_year``)."""
    try:
        deadlines.check_announcement(
            announces_at, program_year=program_year or deadlines.wib_date(announces_at).year
        )
    except DomainError as exc:
        return str(exc.message)
    return ""


def late_waves(*, waves=None) -> list[tuple[Wave, str]]:
    """Every wave breaking the late-wave rule, newest first, with the reason (a scan of the
    waves: a program has a few dozen)."""
    waves = Wave.objects.order_by("-number") if waves is None else waves
    return [(wave, problem) for wave in waves if (problem := late_wave_problem(wave))]


class JoinRefused(DomainError):
    code = "join_refused"


def join_wave(*, participant: Participant, wave: Wave, now: dt.datetime | None = None):
    """Enter ``participant`` in ``wave``; returns the new :class:`Application`.

    Refused (``JoinRefused`` with code) when the wave is not open (``wave_not_open``), the
    profile is incomplete (``profile_incomplete``), the NIK is blacklisted (``blacklisted``), the
    person was ever selected (``already_participant``), already waits in a wave
    (``already_waiting``) or already joined this one (``already_joined``; the database's unique
    constraint decides between simultaneous joins).
    """
    now = now or timezone.now()
    if not (wave.opens_at <= now < wave.closes_at):
        raise JoinRefused(_("Gelombang ini tidak sedang dibuka."), code="wave_not_open")
    participant = Participant.objects.select_related("user").get(pk=participant.pk)
    if not participant.profile_complete:
        raise JoinRefused(
            _("Lengkapi semua langkah pendaftaran sebelum bergabung."),
            code="profile_incomplete",
        )
    if services.is_blacklisted(nik_hash=participant.nik_hash):
        raise JoinRefused(_("NIK Anda tercatat dalam daftar hitam program."), code="blacklisted")
    if (
        participant.status != Participant.Status.APPLICANT
        or participant.selected_at is not None
        or participant.applications.filter(status=Application.Status.SELECTED).exists()
    ):
        raise JoinRefused(
            _("Anda sudah pernah menjadi penerima Kartu Prakerja."), code="already_participant"
        )
    if participant.applications.filter(wave=wave).exists():
        raise JoinRefused(_("Anda sudah bergabung di gelombang ini."), code="already_joined")
    if participant.applications.filter(status__in=WAITING).exclude(wave=wave).exists():
        raise JoinRefused(_("Anda masih menunggu hasil gelombang lain."), code="already_waiting")
    try:
        with transaction.atomic():
            application = Application.objects.create(
                participant=participant, wave=wave, joined_at=now
            )
            services.record_event(
                participant=participant,
                kind=ParticipantEvent.Kind.SELECTION,
                reason_code="joined_wave",
                note=f"wave={wave.number}",
                now=now,
            )
    except IntegrityError:
        raise JoinRefused(
            _("Anda sudah bergabung di gelombang ini."), code="already_joined"
        ) from None
    return application


@dataclass(frozen=True)
class Label:
    code: str
    text: str
    reason: str = ""


def application_label(
    application: Application, *, now: dt.datetime, participant_status: str = ""
) -> Label:
    """The label (docs/program.md section 1) of one wave entry: a joined entry of a closed wave
    is in selection; the wave in which a person was selected and later revoked says so, not just
    "Lolos"."""
    status = application.status
    if status == Application.Status.JOINED and now >= application.wave.closes_at:
        status = Application.Status.PROCESSING
    reason = ""
    if status == Application.Status.NOT_SELECTED and application.reason_code:
        reason = application.get_reason_code_display()
    if status == Application.Status.SELECTED and participant_status == Participant.Status.REVOKED:
        return Label(code="revoked", text=_("Lolos, kemudian kepesertaan dicabut"))
    return Label(code=status, text=str(Application.Status(status).label), reason=reason)


def participant_label(
    participant: Participant, applications: list[Application], *, now: dt.datetime
) -> Label:
    """What the dashboard shows as the current status."""
    if participant.status != Participant.Status.APPLICANT:
        # selected, active, revoked, frozen, expired, finished: the person's own status.
        return Label(code=participant.status, text=str(participant.get_status_display()))
    if applications:
        return application_label(applications[0], now=now)
    if participant.profile_complete:
        return Label(code="ready", text=_("Siap bergabung ke gelombang"))
    return Label(code="registering", text=_("Pendaftaran belum lengkap"))


def stage_label(
    *, opens_at: dt.datetime, closes_at: dt.datetime, has_run: bool, now: dt.datetime
) -> Label:
    """A wave's stage for staff. Selection runs at the announcement time (the
    ``run-due-selections`` beat job), so between closing and the announcement the wave reads
    "Sedang diproses"; a run recorded earlier by staff (admin action, ``run_selection``) counts
    as announced (the announcement is sent when the run commits)."""
    if has_run:
        return Label(code="announced", text=_("Sudah diumumkan"))
    if now < opens_at:
        return Label(code="upcoming", text=_("Belum dibuka"))
    if now < closes_at:
        return Label(code="open", text=_("Dibuka"))
    return Label(code="processing", text=str(Application.Status.PROCESSING.label))


def wave_stage(wave: Wave, *, now: dt.datetime) -> Label:
    """:func:`stage_label` of a ``Wave`` (select ``selection_run`` with it to save a query)."""
    return stage_label(
        opens_at=wave.opens_at,
        closes_at=wave.closes_at,
        has_run=hasattr(wave, "selection_run"),
        now=now,
    )
