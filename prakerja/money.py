"""Rupiah as people in Indonesia write it: "Rp600.000" (a dot between thousands, no decimals).

The one formatter of money for every app, in Python strings (SMS, email, admin titles) and in
templates (the ``rupiah`` filter of ``{% load portal %}``). It does not depend on the active
language: a Celery worker or a management command formats like a page does.
"""


def rupiah(amount_idr: int) -> str:
    """``600000`` -> ``"Rp600.000"``; a negative amount gets a leading minus sign."""
    amount = int(amount_idr)
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
