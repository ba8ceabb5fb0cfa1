"""Celery adapters for reports: the trends rollup (beat)."""

from celery import shared_task

from prakerja.jobruns import recorded
from reports import rollup


@shared_task
@recorded("trends-rollup")
def rollup_trends() -> dict:
    """Beat, hourly: recompute the daily counts of the last days (``reports.rollup``)."""
    result = rollup.rollup_daily_counts()
    return {"days": result.days, "rows": result.rows, "events": result.events}
