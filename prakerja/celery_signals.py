"""Celery signal handlers that connect a task to where it came from and count it.

- A task queued while a request is handled carries the request's id in its message headers
  (``request_id``), with the time it was queued (``enqueued_at``: ``/metrics`` shows the oldest
  waiting task's age).
- While the task runs, the worker's log lines carry that id, the task's name and id
  (``prakerja.logcontext``), and the worker logs the same JSON lines as the web processes
  (``setup_logging``: Django's ``LOGGING`` instead of Celery's own format).
- Each finished task is counted by name and outcome with its run time, for the whole deployment
  (``prakerja.metrics.shared``).

Connected by ``prakerja.celery``, so in every process that loads the Celery app.
"""

import logging.config
import time

from celery import signals

from prakerja import logcontext
from prakerja.metrics import shared

# task id -> (start, context tokens) of the tasks running in this process (one at a time in a
# prefork child, a few in a thread pool).
_running: dict[str, tuple[float, tuple]] = {}


@signals.setup_logging.connect(weak=False)
def _setup_logging(**kwargs) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect(weak=False)
def _add_headers(headers=None, **kwargs) -> None:
    if headers is None:
        return
    request_id = logcontext.request_id.get()
    if request_id is not None:
        headers.setdefault("request_id", request_id)
    headers.setdefault("enqueued_at", time.time())


@signals.task_prerun.connect(weak=False)
def _task_started(task_id=None, task=None, **kwargs) -> None:
    # A task run eagerly inside a request keeps the request's id; a worker takes it from the
    # message headers.
    queued_by = getattr(task.request, "request_id", None)
    tokens = (
        logcontext.request_id.set(queued_by) if logcontext.well_formed(queued_by) else None,
        logcontext.task.set((task.name, task_id)),
    )
    _running[task_id] = (time.monotonic(), tokens)


@signals.task_postrun.connect(weak=False)
def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started, (request_token, task_token) = _running.pop(task_id, (None, (None, None)))
    if task_token is not None:
        logcontext.task.reset(task_token)
    if request_token is not None:
        logcontext.request_id.reset(request_token)
    if started is not None:
        shared.CELERY_TASK_DURATION.observe(time.monotonic() - started, task=task.name)
    shared.CELERY_TASKS.inc(task=task.name, outcome=(state or "unknown").lower())
