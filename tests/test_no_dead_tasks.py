"""Every Celery task runs for a reason: the beat schedule names it, or product code queues it
(by its registered name through ``prakerja.jobs.enqueue*``, or through the task object). A
task nothing schedules or calls is dead code a reader would have to rule out."""

import pathlib
import re

from django.conf import settings

from prakerja.celery import app

ROOT = pathlib.Path(__file__).resolve().parent.parent
APPS = ["participants", "trainings", "incentives", "complaints", "reports", "sandbox", "prakerja"]


def product_source() -> str:
    return "\n".join(
        path.read_text()
        for app_name in APPS
        for path in sorted((ROOT / app_name).rglob("*.py"))
        if "migrations" not in path.parts
    )


def test_every_task_is_scheduled_or_queued_by_product_code():
    app.loader.import_default_modules()
    source = product_source()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    dead = []
    for name, task in sorted(app.tasks.items()):
        if name.startswith(("celery.", "tests.")) or name in scheduled:
            continue
        function = task.run.__name__
        queued_by_name = f'"{name}"' in source
        queued_by_object = re.search(rf"\b{function}\.(delay|apply_async|s|si|signature)\(", source)
        if not (queued_by_name or queued_by_object):
            dead.append(name)
    assert dead == []
