"""Every deadline of the program, computed in one place, in WIB (Asia/Jakarta).

docs/program.md section 4: the first-purchase window counts the announcement day as day 1 and
ends at 23:59:59 WIB on day 30 (wave 21: announced 22 Sep 2021 20:00 WIB, deadline 21 Oct 2021
23:59:59 WIB). The days a card was frozen move that deadline later. Unused balance expires on
15 December, 23:59:59 WIB, of the wave's program (budget) year.

A program year Y announces its waves from 17 November of Y - 1, 00:00 WIB, to 16 November of Y,
23:59:59 WIB (the last day whose 30-day window ends by the 15 December expiry): every instant
belongs to exactly one program year's announcement period (:func:`program_year_of`). A wave
names its program year; a wave without one (older rows) belongs to its announcement's calendar
year (:func:`wave_program_year`).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from participants.models import DomainError

WIB = ZoneInfo("Asia/Jakarta")
# Unused balance expires at the end of this (month, day) of the program year.
BALANCE_EXPIRY_DAY = (12, 15)
# The deadline second is whole: 23:59:59.999999 still counts, 00:00:00 of the next day does not.
END_OF_DAY = dt.time(23, 59, 59, 999999)


def wib_date(instant: dt.datetime) -> dt.date:
    """The calendar day in WIB of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: deadlines need an aware instant")
    return instant.astimezone(WIB).date()


def start_of_wib_day(day: dt.date) -> dt.datetime:
    """00:00:00 WIB of ``day``."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=WIB)


def end_of_wib_day(day: dt.date) -> dt.datetime:
    """The last second of ``day`` in WIB, as an aware datetime."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=WIB)


def first_purchase_deadline(announced_at: dt.datetime, *, days: int | None = None) -> dt.datetime:
    """The last instant at which the first training may be bought.

    The announcement day is day 1; the deadline is 23:59:59 WIB on day ``days`` (30).
    """
    days = settings.FIRST_PURCHASE_DAYS if days is None else days
    return end_of_wib_day(wib_date(announced_at) + dt.timedelta(days=days - 1))


def frozen_days(*, frozen_at: dt.datetime, lifted_at: dt.datetime) -> int:
    """The whole days a freeze took from a card: every started 24 hours counts as a day."""
    return max(0, -((frozen_at - lifted_at) // dt.timedelta(days=1)))


def first_purchase_deadline_after_freeze(
    deadline: dt.datetime, *, frozen_at: dt.datetime, lifted_at: dt.datetime
) -> dt.datetime:
    """The first-purchase deadline once a freeze from ``frozen_at`` to ``lifted_at`` is lifted.

    A frozen card cannot buy, so the person gets those days back: the deadline moves later by
    :func:`frozen_days` (still 23:59:59 WIB, on a later day). A freeze that began after the
    deadline (between midnight and the night's sweep) took nothing from the window and gives
    nothing back. docs/deadlines.md, "A freeze moves the deadline".
    """
    if frozen_at > deadline:
        return deadline
    return deadline + dt.timedelta(days=frozen_days(frozen_at=frozen_at, lifted_at=lifted_at))


def balance_expiry(granted_at: dt.datetime) -> dt.datetime:
    """15 December 23:59:59 WIB of the calendar year in which the balance was granted (a grant
    outside a wave; a wave's grant expires with its program year, :func:`wave_balance_expiry`)."""
    return program_balance_expiry(wib_date(granted_at).year)


def last_day_to_buy(*, deadline: dt.datetime, expires: dt.datetime | None) -> dt.datetime:
    """The real last instant at which the first training can be bought: the first-purchase
    deadline, or the balance expiry when that comes first (a balance that has expired buys
    nothing). Every announcement, reminder and page that names "the last day to buy" uses this.
    """
    return deadline if expires is None or deadline <= expires else expires


def last_announcement_day(year: int, *, days: int | None = None) -> dt.date:
    """The last WIB day of budget ``year`` on which a wave may be announced.

    The first-purchase window (announcement day = day 1, ``days`` days long) must end on or before
    the balance expiry, 15 December: 15 December minus 29 days = 16 November.
    """
    days = settings.FIRST_PURCHASE_DAYS if days is None else days
    return dt.date(year, *BALANCE_EXPIRY_DAY) - dt.timedelta(days=days - 1)


def last_announcement_at(year: int) -> dt.datetime:
    """The last instant (23:59:59 WIB) at which a wave of budget ``year`` may be announced."""
    return end_of_wib_day(last_announcement_day(year))


def first_announcement_at(year: int) -> dt.datetime:
    """The first instant at which a wave of program ``year`` may be announced: right after the
    last announcement of the year before (17 November of ``year - 1``, 00:00 WIB)."""
    return dt.datetime.combine(
        last_announcement_day(year - 1) + dt.timedelta(days=1), dt.time(), tzinfo=WIB
    )


def program_year_of(instant: dt.datetime) -> int:
    """The program year whose waves may be announced at ``instant``: its calendar year up to
    16 November 23:59:59 WIB, the next year after (the demo and the wave forms use it)."""
    year = wib_date(instant).year
    return year if instant <= last_announcement_at(year) else year + 1


def program_balance_expiry(year: int) -> dt.datetime:
    """15 December 23:59:59 WIB of program ``year``: when a balance granted in its waves
    expires."""
    return end_of_wib_day(dt.date(year, *BALANCE_EXPIRY_DAY))


def is_balance_expiry_day(day: dt.date) -> bool:
    """Whether balances expire at the end of the WIB day ``day`` (15 December)."""
    return (day.month, day.day) == BALANCE_EXPIRY_DAY


def wave_program_year(wave) -> int:
    """The program year of ``wave``: the one it names, or (a wave from before waves named one)
    the calendar year of its announcement."""
    return wave.program_year or wib_date(wave.announces_at).year


def wave_balance_expiry(wave) -> dt.datetime:
    """When a balance granted in ``wave`` expires (15 December of its program year)."""
    return program_balance_expiry(wave_program_year(wave))


class AnnouncementTooLate(DomainError):
    code = "announcement_too_late"
    message = _(
        "Pengumuman terlalu lambat: batas pembelian pelatihan pertama (30 hari) harus berakhir "
        "sebelum saldo kedaluwarsa."
    )


class AnnouncementTooEarly(DomainError):
    code = "announcement_too_early"
    message = _("Pengumuman terlalu awal untuk tahun program ini.")


def check_announcement(announces_at: dt.datetime, *, program_year: int | None = None) -> None:
    """Refuse a wave of ``program_year`` (default: the announcement's calendar year) whose
    announcement does not fall in that year's announcement period: after its 16 November the
    first-purchase window would end after the balance expiry (:class:`AnnouncementTooLate`,
    naming the last possible announcement, the balance expiry and the program year to choose
    instead); before 17 November of the year before, the period has not begun
    (:class:`AnnouncementTooEarly`). docs/program.md section 4, "a window a person can meet".
    """
    year = wib_date(announces_at).year if program_year is None else program_year
    if announces_at > last_announcement_at(year):
        raise AnnouncementTooLate(
            _(
                "Pengumuman paling lambat %(last)s. Batas pembelian pelatihan pertama (30 hari) "
                "harus berakhir sebelum saldo kedaluwarsa pada %(expiry)s. Umumkan lebih awal, "
                "atau pilih tahun program %(next)s (saldo berlaku sampai %(next_expiry)s)."
            )
            % {
                "last": wib_text(last_announcement_at(year)),
                "expiry": wib_text(program_balance_expiry(year)),
                "next": program_year_of(announces_at),
                "next_expiry": wib_text(program_balance_expiry(program_year_of(announces_at))),
            },
            last_announcement_at=last_announcement_at(year),
        )
    if announces_at < first_announcement_at(year):
        raise AnnouncementTooEarly(
            _(
                "Gelombang tahun program %(year)s diumumkan mulai %(first)s sampai %(last)s. "
                "Untuk pengumuman pada %(when)s pilih tahun program %(right)s."
            )
            % {
                "year": year,
                "first": wib_text(first_announcement_at(year)),
                "last": wib_text(last_announcement_at(year)),
                "when": wib_text(announces_at),
                "right": program_year_of(announces_at),
            }
        )


def last_announcement_help(year: int) -> str:
    """The wave forms' help text: the announcement period of program ``year``."""
    return _(
        "Untuk tahun program %(year)s: antara %(first)s dan paling lambat %(last)s, agar batas "
        "pembelian pelatihan pertama (30 hari) berakhir sebelum saldo kedaluwarsa pada "
        "%(expiry)s."
    ) % {
        "year": year,
        "first": wib_text(first_announcement_at(year)),
        "last": wib_text(last_announcement_at(year)),
        "expiry": wib_text(program_balance_expiry(year)),
    }


def wib_text(instant: dt.datetime) -> str:
    """An instant as people read it: "16 November 2026 23.59 WIB" (the active language's months)."""
    local = instant.astimezone(WIB)
    return f"{formats.date_format(local, 'j F Y')} {local:%H.%M} WIB"


def days_before(deadline: dt.datetime, now: dt.datetime) -> int:
    """Whole WIB calendar days from ``now`` to the deadline day (0 on the deadline day)."""
    return (wib_date(deadline) - wib_date(now)).days


def add_wib_months(instant: dt.datetime, months: int) -> dt.datetime:
    """The same WIB wall-clock time ``months`` calendar months later (31 Jan + 1 -> 28/29 Feb)."""
    local = instant.astimezone(WIB)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
    day = min(local.day, (next_first - dt.timedelta(days=1)).day)
    return local.replace(year=year, month=month, day=day)
