"""How a participant's place in the program is labelled: their status on the dashboard, each
wave entry, and a wave's stage for staff."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from participants.models import Application, Participant, Wave


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
