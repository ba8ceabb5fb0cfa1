"""Counters for the whole deployment, kept in Redis: what Celery workers, jobs and payout
callbacks do, wherever they run.

A worker is not a web process and is not scraped, and a host that runs only workers has no
``/metrics`` of its own: so the work they do is counted in one Redis hash per metric (``HINCRBY``,
atomic, one round trip per event through a pipeline), and every web host's scrape reads the same
totals (``collector``). Queries take ``max`` over hosts.

Counting never fails the work: without ``REDIS_URL`` (``make run``) nothing is counted, and a
Redis error is logged and dropped.
"""

import json
import logging
from functools import partial

import redis
from django.conf import settings
from django.db import transaction

from prakerja import redis_client

logger = logging.getLogger(__name__)

# Every shared metric, in definition order, for the scrape.
METRICS: list["SharedCounter | SharedHistogram"] = []


def _client() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis_client.client(settings.REDIS_URL)


def _field(labelvalues: tuple[str, ...], part: str = "") -> str:
    return json.dumps([*labelvalues, part], separators=(",", ":"))


class _Shared:
    kind = ""

    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...] | list[str]):
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        METRICS.append(self)

    @property
    def key(self) -> str:
        return f"{settings.METRICS_KEY_PREFIX}:{self.name}"

    def _labels(self, labels: dict[str, object]) -> tuple[str, ...]:
        return tuple(str(labels[name]) for name in self.labelnames)

    def _write(self, increments: list[tuple[str, float]]) -> None:
        client = _client()
        if client is None:
            return
        try:
            pipe = client.pipeline(transaction=False)
            for field, amount in increments:
                if float(amount).is_integer():
                    pipe.hincrby(self.key, field, int(amount))
                else:
                    pipe.hincrbyfloat(self.key, field, amount)
            pipe.execute()
        except redis.RedisError as exc:
            logger.warning(
                "metrics: not counted, Redis error", extra={"metric": self.name, "error": str(exc)}
            )

    def read(self, client: redis.Redis) -> dict[tuple[str, ...], dict[str, float]]:
        """``{label values: {part: value}}`` from the hash."""
        values: dict[tuple[str, ...], dict[str, float]] = {}
        for field, value in client.hgetall(self.key).items():
            *labelvalues, part = json.loads(field)
            values.setdefault(tuple(labelvalues), {})[part] = float(value)
        return values


class SharedCounter(_Shared):
    """Exposed as ``<name>_total``."""

    kind = "counter"

    def inc(self, amount: int = 1, **labels) -> None:
        if amount:
            self._write([(_field(self._labels(labels)), amount)])

    def inc_on_commit(self, amount: int = 1, **labels) -> None:
        """Count once the current transaction commits (at once outside one): work that is
        rolled back (a dry run, an error) is not counted."""
        if amount:
            transaction.on_commit(partial(self.inc, amount, **labels), robust=True)


class SharedHistogram(_Shared):
    """Exposed as ``<name>_bucket``, ``_sum`` and ``_count``. Buckets are stored one by one
    (not cumulative) and added up at the scrape."""

    kind = "histogram"

    def __init__(self, name, documentation, labelnames, *, buckets: tuple[float, ...]):
        super().__init__(name, documentation, labelnames)
        self.buckets = tuple(sorted(buckets))

    def observe(self, value: float, **labels) -> None:
        labelvalues = self._labels(labels)
        bound = next((b for b in self.buckets if value <= b), None)
        self._write(
            [
                (_field(labelvalues, "sum"), value),
                (_field(labelvalues, "+Inf" if bound is None else repr(float(bound))), 1),
            ]
        )


TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

CELERY_TASKS = SharedCounter(
    "prakerja_celery_tasks",
    "Celery tasks finished, by task name and outcome (success, failure, retry, ...).",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = SharedHistogram(
    "prakerja_celery_task_duration_seconds",
    "Run time of Celery tasks, by task name.",
    ["task"],
    buckets=TASK_BUCKETS,
)
PAYOUTS = SharedCounter(
    "prakerja_payouts",
    "Installments whose payout reached an outcome (paid, failed, temporary_error, unknown), "
    "by reason code (empty when paid).",
    ["outcome", "reason"],
)
