"""The rules of a wave's dates, one place for the admin's wave form, the additional-wave
service and the demo data; and which waves break the late-wave rule."""

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from participants.cards import deadlines
from participants.models import DomainError, Wave


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
      (``deadlines.check_announcement``: :class:`~participants.cards.deadlines.AnnouncementTooLate`,
      :class:`~participants.cards.deadlines.AnnouncementTooEarly`).
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
