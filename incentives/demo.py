"""Demo data for incentives (payout accounts and installments)."""

import datetime as dt


def seed(*, now: dt.datetime) -> list[str]:
    return []
