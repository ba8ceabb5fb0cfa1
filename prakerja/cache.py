"""A cache for counters that must keep working through a Redis outage (rate limits).

Redis is the shared memory of every web process; when it cannot be reached, this backend answers
from the process's own memory instead of raising, so a login or a complaint never fails with a
500 because of a counter. Limits still hold, per process, until Redis is back.
"""

import logging

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
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


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's client builds a new ``redis.Redis`` object around its connection pool for every
    cache call (about 0.2 ms of Python each; sessions make one or two calls per page). One client
    per pool and process does the same work: a ``redis.Redis`` takes a connection from the pool
    for each command and is safe to share between threads."""

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = clients[index] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    """``RedisCache`` with one Redis client per process (:class:`ReusedRedisCacheClient`)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedRedisCacheClient


class ResilientRedisCache(SharedClientRedisCache):
    """:class:`SharedClientRedisCache` that falls back to a local-memory cache while Redis is
    unreachable."""

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
