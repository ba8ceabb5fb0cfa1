"""The deployment's figures, read at scrape time from PostgreSQL and Redis (see the package
text): every host answers the same values, so queries take ``max`` over hosts.

- each scheduled job's last run (``prakerja.models.JobStatus``) and its expected interval (from
  ``CELERY_BEAT_SCHEDULE``);
- Celery: tasks by name and outcome with their durations (``shared``), the queue's length, the
  tasks reserved by workers, and the age of the oldest waiting task;
- payouts by outcome and reason (``shared``);
- the waiting room: visitors served, waiting, and its capacity;
- complaints open, and open without a reply past the first-response time.

The job's label is ``job_name``: Prometheus gives every scraped series a ``job`` label of its
own (the scrape job). A source that does not answer is skipped for this scrape and
``prakerja_metrics_source_up`` says so; the scrape itself still answers. Database reads run
with a statement timeout, so a slow database cannot hold a scrape (and a gunicorn worker) for
long.
"""

import json
import logging
import time

import redis
from celery.schedules import crontab, schedule
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from prakerja import redis_client
from prakerja.metrics import shared

logger = logging.getLogger(__name__)

STATEMENT_TIMEOUT_MS = 5000
# kombu's Redis transport keeps a queue's messages of priority n under "<queue>\x06\x16<n>".
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)


def schedule_interval_seconds(entry_schedule) -> float | None:
    """Seconds between two runs of a beat schedule: a ``schedule`` (timedelta) or a
    ``crontab`` firing at regular times of every day (``*/5`` minutes, once a day...)."""
    if isinstance(entry_schedule, crontab):
        full = (
            len(entry_schedule.day_of_week) == 7
            and len(entry_schedule.day_of_month) == 31
            and len(entry_schedule.month_of_year) == 12
        )
        if not full:
            return None
        return 86400 / (len(entry_schedule.hour) * len(entry_schedule.minute))
    if isinstance(entry_schedule, schedule):
        return entry_schedule.run_every.total_seconds()
    return None


def _timestamp(value) -> float:
    return value.timestamp() if value is not None else 0.0


class BusinessCollector:
    """A prometheus-client collector; ``collect`` runs at every scrape."""

    def collect(self):
        up = GaugeMetricFamily(
            "prakerja_metrics_source_up",
            "1 when the scrape could read the source (database, redis), else 0.",
            labels=["source"],
        )
        families, database_ok = self._from_database()
        yield from families
        up.add_metric(["database"], 1 if database_ok else 0)
        if settings.REDIS_URL:
            families, redis_ok = self._from_redis()
            yield from families
            up.add_metric(["redis"], 1 if redis_ok else 0)
        yield self._schedule()
        yield up

    # --- PostgreSQL ---------------------------------------------------------------------------

    def _from_database(self):
        from complaints.selectors import open_counts
        from prakerja.models import JobStatus

        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
                jobs = list(JobStatus.objects.order_by("job"))
                complaints = open_counts(now=timezone.now())
        except DatabaseError:
            logger.warning("metrics: database not readable", exc_info=True)
            return [], False
        return [*self._jobs(jobs), *self._complaints(complaints)], True

    def _jobs(self, jobs):
        started = GaugeMetricFamily(
            "prakerja_job_last_started_timestamp_seconds",
            "When the job's last run started (Unix time).",
            labels=["job_name"],
        )
        finished = GaugeMetricFamily(
            "prakerja_job_last_finished_timestamp_seconds",
            "When the job's last run finished, successfully or not (Unix time).",
            labels=["job_name"],
        )
        success = GaugeMetricFamily(
            "prakerja_job_last_success_timestamp_seconds",
            "When the job last finished without an error (Unix time).",
            labels=["job_name"],
        )
        duration = GaugeMetricFamily(
            "prakerja_job_last_duration_seconds",
            "How long the job's last finished run took.",
            labels=["job_name"],
        )
        failed = GaugeMetricFamily(
            "prakerja_job_last_failed",
            "1 when the job's last finished run raised an error, else 0.",
            labels=["job_name"],
        )
        counts = GaugeMetricFamily(
            "prakerja_job_last_count",
            "A count reported by the job's last successful run (revoked, expired, paid, "
            "failed_<reason>, sent...).",
            labels=["job_name", "count"],
        )
        runs = CounterMetricFamily(
            "prakerja_job_runs",
            "Runs of the job by outcome (ok, failed).",
            labels=["job_name", "outcome"],
        )
        for job in jobs:
            started.add_metric([job.job], _timestamp(job.last_started_at))
            finished.add_metric([job.job], _timestamp(job.last_finished_at))
            success.add_metric([job.job], _timestamp(job.last_success_at))
            duration.add_metric([job.job], job.last_duration_seconds or 0.0)
            failed.add_metric([job.job], 1 if job.last_outcome == job.Outcome.FAILED else 0)
            for name, value in sorted((job.last_counts or {}).items()):
                counts.add_metric([job.job, name], value)
            runs.add_metric([job.job, "ok"], job.runs)
            runs.add_metric([job.job, "failed"], job.failures)
        return [started, finished, success, duration, failed, counts, runs]

    def _complaints(self, complaints):
        open_ = GaugeMetricFamily(
            "prakerja_complaints_open", "Complaints not done (new, in progress, answered)."
        )
        open_.add_metric([], complaints["open"])
        overdue = GaugeMetricFamily(
            "prakerja_complaints_overdue",
            "Open complaints without a staff reply past the first-response time (24 hours).",
        )
        overdue.add_metric([], complaints["overdue"])
        return [open_, overdue]

    def _schedule(self):
        interval = GaugeMetricFamily(
            "prakerja_job_schedule_interval_seconds",
            "The expected time between two runs of each beat entry (CELERY_BEAT_SCHEDULE).",
            labels=["job_name"],
        )
        for name, entry in sorted(settings.CELERY_BEAT_SCHEDULE.items()):
            seconds = schedule_interval_seconds(entry["schedule"])
            if seconds is not None:
                interval.add_metric([name], seconds)
        return interval

    # --- Redis --------------------------------------------------------------------------------

    def _from_redis(self):
        client = redis_client.client(settings.REDIS_URL)
        try:
            families = [self._shared(client, metric) for metric in shared.METRICS]
            families.extend(self._queue(client))
            if settings.ADMISSION_CAPACITY > 0:
                families.extend(self._waiting_room())
        except redis.RedisError:
            logger.warning("metrics: redis not readable", exc_info=True)
            return [], False
        return families, True

    def _shared(self, client, metric):
        values = metric.read(client)
        if metric.kind == "counter":
            family = CounterMetricFamily(
                metric.name, metric.documentation, labels=list(metric.labelnames)
            )
            for labelvalues, parts in sorted(values.items()):
                family.add_metric(list(labelvalues), parts.get("", 0.0))
            return family
        family = HistogramMetricFamily(
            metric.name, metric.documentation, labels=list(metric.labelnames)
        )
        for labelvalues, parts in sorted(values.items()):
            cumulative = 0.0
            buckets = []
            for bound in metric.buckets:
                cumulative += parts.get(repr(float(bound)), 0.0)
                buckets.append((repr(float(bound)), cumulative))
            cumulative += parts.get("+Inf", 0.0)
            buckets.append(("+Inf", cumulative))
            family.add_metric(list(labelvalues), buckets, parts.get("sum", 0.0))
        return family

    def _queue(self, client):
        from prakerja.celery import app

        queue = app.conf.task_default_queue
        names = [queue] + [f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS[1:]]
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.llen(name)
        pipe.hlen("unacked")
        for name in names:
            pipe.lindex(name, -1)
        answers = pipe.execute()
        lengths, reserved, oldest = (
            answers[: len(names)],
            answers[len(names)],
            answers[-len(names) :],
        )
        length = GaugeMetricFamily(
            "prakerja_celery_queue_length",
            "Tasks waiting in the broker's queue for a worker.",
            labels=["queue"],
        )
        length.add_metric([queue], sum(lengths))
        taken = GaugeMetricFamily(
            "prakerja_celery_tasks_reserved",
            "Tasks taken by a worker and not yet acknowledged (running, with late acks).",
        )
        taken.add_metric([], reserved)
        age = GaugeMetricFamily(
            "prakerja_celery_queue_oldest_age_seconds",
            "How long the oldest waiting task has waited (0 when none waits).",
            labels=["queue"],
        )
        enqueued = [_enqueued_at(message) for message in oldest if message]
        enqueued = [value for value in enqueued if value is not None]
        age.add_metric([queue], max(time.time() - min(enqueued), 0.0) if enqueued else 0.0)
        return [length, taken, age]

    def _waiting_room(self):
        from prakerja import admission

        served, waiting = admission.room_counts()
        families = []
        for name, documentation, value in (
            ("prakerja_waiting_room_admitted", "Visitors being served now.", served),
            ("prakerja_waiting_room_waiting", "Visitors waiting in line now.", waiting),
            (
                "prakerja_waiting_room_capacity",
                "Visitors served at a time (ADMISSION_CAPACITY).",
                settings.ADMISSION_CAPACITY,
            ),
        ):
            family = GaugeMetricFamily(name, documentation)
            family.add_metric([], value)
            families.append(family)
        return families


def _enqueued_at(message: bytes) -> float | None:
    """The ``enqueued_at`` header ``prakerja.metrics.celery`` puts on every task it publishes."""
    try:
        value = json.loads(message).get("headers", {}).get("enqueued_at")
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None
