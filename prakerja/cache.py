"""A cache for counters that must keep working through a Redis outage (rate limits).

Redis is the shared memory of every web process; when it cannot be reached, this backend answers
from the process's own memory instead of raising, so a login or a complaint never fails with a
500 because of a counter. Limits still hold, per process, until Redis is back.
"""

import logging

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _guarded(name: str):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(ResilientRedisCache, self), name)(*args, **kwargs)
        except (RedisError, OSError) as exc:
            logger.warning(
                "cache: redis unreachable, using process memory",
                extra={"operation": name, "error": str(exc)},
            )
            return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    return method


class ResilientRedisCache(RedisCache):
    """``RedisCache`` that falls back to a local-memory cache while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._fallback = LocMemCache(f"resilient-{server}", {"TIMEOUT": params.get("TIMEOUT")})

    add = _guarded("add")
    get = _guarded("get")
    set = _guarded("set")
    touch = _guarded("touch")
    delete = _guarded("delete")
    get_many = _guarded("get_many")
    has_key = _guarded("has_key")
    incr = _guarded("incr")
    set_many = _guarded("set_many")
    delete_many = _guarded("delete_many")
    clear = _guarded("clear")
