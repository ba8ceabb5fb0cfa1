"""Every deadline of the program, computed in one place, in WIB (Asia/Jakarta).

docs/program.md section 4: the first-purchase window counts the announcement day as day 1 and
ends at 23:59:59 WIB on day 30 (wave 21: announced 22 Sep 2021 20:00 WIB, deadline 21 Oct 2021
23:59:59 WIB). Unused balance expires on 15 December, 23:59:59 WIB, of the budget year.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

WIB = ZoneInfo("Asia/Jakarta")
# The deadline second is whole: 23:59:59.999999 still counts, 00:00:00 of the next day does not.
END_OF_DAY = dt.time(23, 59, 59, 999999)


def wib_date(instant: dt.datetime) -> dt.date:
    """The calendar day in WIB of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: deadlines need an aware instant")
    return instant.astimezone(WIB).date()


def end_of_wib_day(day: dt.date) -> dt.datetime:
    """The last second of ``day`` in WIB, as an aware datetime."""
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=WIB)


def first_purchase_deadline(announced_at: dt.datetime, *, days: int | None = None) -> dt.datetime:
    """The last instant at which the first training may be bought.

    The announcement day is day 1; the deadline is 23:59:59 WIB on day ``days`` (30).
    """
    days = settings.FIRST_PURCHASE_DAYS if days is None else days
    return end_of_wib_day(wib_date(announced_at) + dt.timedelta(days=days - 1))


def balance_expiry(granted_at: dt.datetime) -> dt.datetime:
    """15 December 23:59:59 WIB of the budget year in which the balance was granted."""
    return end_of_wib_day(dt.date(wib_date(granted_at).year, 12, 15))


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
