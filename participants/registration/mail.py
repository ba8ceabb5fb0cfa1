"""The registration page's two emails, sent in batches (docs/performance.md).

Registering sends one email: the confirmation link to a new account, or, to the owner of an
email already registered, a note that someone tried (the page answers the same either way,
so both take the same path here). One Celery task per email cost the worker 3-4 ms of CPU per
registration whatever its pool (the email itself is 0.6 ms), on the machine that serves the
launch-day peak. So the web request pushes the email onto a list in Redis (one round trip), and
the first push after a flush schedules one task (:func:`flush`, a second later) that sends
everything queued by then. Registration never sends mail itself: a slow mail server holds a
worker, not a web process.

An email the mail server refuses is pushed back and the task retried (``OSError``, with
backoff), so it is sent later rather than lost. Without Redis (``make run``) each email is one
task, as before.

When Redis does not answer (an outage: the list and the broker are both out of reach), the
email waits in PostgreSQL instead (:class:`~participants.models.PendingRegistrationMail`) and the
page answers as always: the account is whole and its link goes out later. The same job sends
those rows: the ``registration-mail`` beat entry runs it every minute, so nothing waits long
once Redis is back, even with no new registration to schedule a flush.
"""

import json
import logging

import redis
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError

from participants.models import PendingRegistrationMail, User
from participants.registration import steps
from prakerja import jobs, redis_client

logger = logging.getLogger(__name__)

BATCH = 200
FLUSH_DELAY_SECONDS = 1
# A flush is scheduled once per this many seconds at most, until one runs: if its task were lost,
# the next registration after this time schedules another, and nothing queued is forgotten.
FLUSH_GUARD_SECONDS = 30


def _keys() -> tuple[str, str]:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "prakerja"
    return f"{prefix}:registration-mail", f"{prefix}:registration-mail:flush"


def queue_verification(*, user_id: int) -> None:
    """The confirmation link for the new account ``user_id`` (built when it is sent)."""
    _queue({"kind": "verify", "user_id": user_id})


def queue_already_registered(*, email: str, login_url: str, reset_url: str) -> None:
    """The note to the owner of the registered ``email``."""
    _queue({"kind": "taken", "email": email, "login_url": login_url, "reset_url": reset_url})


def _queue(message: dict) -> None:
    item = json.dumps(message)
    try:
        if not settings.REDIS_URL:
            jobs.enqueue("participants.tasks.send_registration_mail", [item])
            return
        queue_key, flush_key = _keys()
        pipe = redis_client.client(settings.REDIS_URL).pipeline(transaction=False)
        pipe.rpush(queue_key, item)
        pipe.set(flush_key, 1, nx=True, ex=FLUSH_GUARD_SECONDS)
        _length, first = pipe.execute()
    except (redis.RedisError, OperationalError):
        logger.warning("registration mail: Redis did not answer; queued in the database")
        PendingRegistrationMail.objects.create(item=item)
        return
    if first:
        try:
            jobs.enqueue(
                "participants.tasks.flush_registration_mail", countdown=FLUSH_DELAY_SECONDS
            )
        except OperationalError:
            # Queued in Redis already: the registration-mail beat entry flushes it.
            logger.warning("registration mail: broker did not answer; the next run sends it")


def flush() -> int:
    """Send every queued email, in Redis and in the database (the task scheduled by
    :func:`_queue`, and the ``registration-mail`` beat entry); returns how many."""
    sent = flush_database()
    if not settings.REDIS_URL:
        return sent
    queue_key, flush_key = _keys()
    client = redis_client.client(settings.REDIS_URL)
    client.delete(flush_key)  # from now on, a new registration schedules the next flush
    while items := client.lpop(queue_key, BATCH):
        sent += send(items, on_failure=lambda unsent: client.lpush(queue_key, *reversed(unsent)))
    return sent


def flush_database() -> int:
    """Send the emails that waited in PostgreSQL during a Redis outage, each once: rows are
    taken with ``SKIP LOCKED`` (two runs never take the same row) and deleted in the same
    transaction as they are sent; on an error the unsent rows stay for the next run."""
    sent = 0
    while True:
        error = None
        with transaction.atomic():
            rows = list(
                PendingRegistrationMail.objects.select_for_update(skip_locked=True).order_by("id")[
                    :BATCH
                ]
            )
            done = []
            for row in rows:
                try:
                    sent += send([row.item])
                except Exception as exc:
                    error = exc
                    break
                done.append(row.pk)
            PendingRegistrationMail.objects.filter(pk__in=done).delete()
        if error is not None:
            raise error
        if len(rows) < BATCH:
            return sent


def send(items: list, *, on_failure=None) -> int:
    """Send the queued ``items``. On an error (mail server, database), hand the unsent ones,
    this one included, to ``on_failure`` (to queue them again) before raising it; an item that
    is not a message at all is logged and dropped, so it cannot block the queue."""
    sent = 0
    for index, item in enumerate(items):
        try:
            message = json.loads(item)
            kind = message["kind"]
        except (ValueError, KeyError, TypeError):
            logger.error("registration mail: dropped a malformed item %r", str(item)[:200])
            continue
        try:
            _send_one(kind, message)
        except Exception:
            if on_failure is not None:
                on_failure(items[index:])
            raise
        sent += 1
    return sent


def _send_one(kind: str, message: dict) -> None:
    if kind == "verify":
        user = User.objects.filter(pk=message["user_id"]).first()
        if user is not None and user.email_verified_at is None:
            steps.send_verification_email(user=user, verify_url=steps.verification_url(user=user))
    else:
        steps.send_already_registered_email(
            email=message["email"], login_url=message["login_url"], reset_url=message["reset_url"]
        )
