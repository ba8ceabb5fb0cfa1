"""Every deadline of the program, computed in one place, in WIB (Asia/Jakarta).

docs/program.md section 4: the first-purchase window counts the announcement day as day 1 and
ends at 23:59:59 WIB on day 30 (wave 21: announced 22 Sep 2021 20:00 WIB, deadline 21 Oct 2021
23:59:59 WIB). The days a card was frozen move that deadline later. Unused balance expires on
15 December, 23:59:59 WIB, of the budget year.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from participants.models import DomainError

WIB = ZoneInfo("Asia/Jakarta")
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
    """15 December 23:59:59 WIB of the budget year in which the balance was granted."""
    return end_of_wib_day(dt.date(wib_date(granted_at).year, 12, 15))


def last_announcement_day(year: int, *, days: int | None = None) -> dt.date:
    """The last WIB day of budget ``year`` on which a wave may be announced.

    The first-purchase window (announcement day = day 1, ``days`` days long) must end on or before
    the balance expiry, 15 December: 15 December minus 29 days = 16 November.
    """
    days = settings.FIRST_PURCHASE_DAYS if days is None else days
    return dt.date(year, 12, 15) - dt.timedelta(days=days - 1)


def last_announcement_at(year: int) -> dt.datetime:
    """The last instant (23:59:59 WIB) at which a wave of budget ``year`` may be announced."""
    return end_of_wib_day(last_announcement_day(year))


class AnnouncementTooLate(DomainError):
    code = "announcement_too_late"
    message = _(
        "Pengumuman terlalu lambat: batas pembelian pelatihan pertama (30 hari) harus berakhir "
        "sebelum saldo kedaluwarsa."
    )


def check_announcement(announces_at: dt.datetime) -> None:
    """Refuse a wave whose first-purchase window would end after its balance expires.

    Raises :class:`AnnouncementTooLate`, whose message names the last possible announcement day
    and the balance expiry (docs/program.md section 4, "a window a person can meet").
    """
    if first_purchase_deadline(announces_at) <= balance_expiry(announces_at):
        return
    year = wib_date(announces_at).year
    raise AnnouncementTooLate(
        _(
            "Pengumuman paling lambat %(last)s. Batas pembelian pelatihan pertama (30 hari) "
            "harus berakhir sebelum saldo kedaluwarsa pada %(expiry)s."
        )
        % {
            "last": wib_text(last_announcement_at(year)),
            "expiry": wib_text(balance_expiry(announces_at)),
        },
        last_announcement_at=last_announcement_at(year),
    )


def last_announcement_help(year: int) -> str:
    """The wave forms' help text: the last possible announcement of budget ``year``."""
    return _(
        "Paling lambat %(last)s, agar batas pembelian pelatihan pertama (30 hari) berakhir "
        "sebelum saldo kedaluwarsa pada %(expiry)s."
    ) % {
        "last": wib_text(last_announcement_at(year)),
        "expiry": wib_text(end_of_wib_day(dt.date(year, 12, 15))),
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
