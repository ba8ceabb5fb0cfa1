"""Sessions live in PostgreSQL, with Redis in front of them (Django's ``cached_db``).

A request reads its session from Redis (one round trip, as when sessions lived in Redis only);
a login or any other change writes PostgreSQL first, then Redis. So a Redis outage signs nobody
out: while Redis does not answer, sessions are read from and written to PostgreSQL alone.

What Redis holds must never outlive what PostgreSQL says. Three rules keep it so:

- a copy in Redis expires after at most ``SESSION_CACHE_SECONDS``, so an active session is read
  from PostgreSQL again every few minutes and a stale copy cannot last;
- a session changed or deleted (a logout) while Redis did not answer is remembered by this
  process, and its Redis copy is deleted before this process next uses Redis;
- after an error, this process leaves Redis alone for ``SESSION_CACHE_RETRY_SECONDS`` instead of
  paying a connection timeout on every request.

Expired rows are deleted by the nightly ``clear-sessions`` job (:func:`clear_expired`).
"""

import logging
import threading
import time

from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.contrib.sessions.models import Session
from django.utils import timezone

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_state = {"down_until": 0.0}
# Keys whose Redis copy may be stale: changed or deleted while Redis did not answer.
_stale: set[str] = set()


def _remember(key: str) -> None:
    if key:
        with _lock:
            _stale.add(key)


def _forget_stale(cache) -> None:
    """Delete the Redis copies this process may have left stale (the first call once Redis
    answers again)."""
    if not _stale:
        return
    with _lock:
        keys = list(_stale)
        _stale.clear()
    try:
        cache.delete_many(keys)
    except Exception:
        with _lock:
            _stale.update(keys)
        raise


class SessionStore(CachedDBStore):
    def _cache_call(self, operation: str, *args, stale_key: str = ""):
        """Run one cache operation; ``None`` when Redis is out (see the module text).
        ``stale_key``: the key this write concerns, remembered when the write fails."""
        if time.monotonic() < _state["down_until"]:
            _remember(stale_key)
            return None
        try:
            _forget_stale(self._cache)
            return getattr(self._cache, operation)(*args)
        except Exception as exc:
            _state["down_until"] = time.monotonic() + settings.SESSION_CACHE_RETRY_SECONDS
            _remember(stale_key)
            logger.warning("sessions: Redis did not answer; using PostgreSQL", exc_info=exc)
            return None

    def _cache_timeout(self, expiry=None) -> int:
        return min(self.get_expiry_age(expiry=expiry), settings.SESSION_CACHE_SECONDS)

    def load(self):
        data = self._cache_call("get", self.cache_key)
        if data is None:
            row = self._get_session_from_db()
            if not row:
                return {}
            data = self.decode(row.session_data)
            self._cache_call("set", self.cache_key, data, self._cache_timeout(row.expire_date))
        return data

    def exists(self, session_key):
        if not session_key:
            return False
        return bool(self._cache_call("has_key", KEY_PREFIX + session_key)) or DBStore.exists(
            self, session_key
        )

    def save(self, must_create=False):
        DBStore.save(self, must_create)
        key = self.cache_key
        self._cache_call("set", key, self._session, self._cache_timeout(), stale_key=key)

    def delete(self, session_key=None):
        DBStore.delete(self, session_key)
        session_key = session_key or self.session_key
        if session_key is None:
            return
        key = KEY_PREFIX + session_key
        self._cache_call("delete", key, stale_key=key)


def clear_expired(*, now=None) -> int:
    """Delete the sessions that expired before ``now`` (one statement); returns how many."""
    deleted, _by_model = Session.objects.filter(expire_date__lt=now or timezone.now()).delete()
    return deleted
