"""Sessions and rate limits reuse one Redis client per process (Django's client builds a
new one for every cache call, which cost each request a connection)."""

import pytest
from django.core.cache import caches

pytestmark = pytest.mark.redis


@pytest.mark.parametrize("alias", ["sessions", "ratelimit"])
def test_the_cache_reuses_one_redis_client(alias):
    cache = caches[alias]
    cache.set("reuse-probe", 1)
    assert cache.get("reuse-probe") == 1
    first, second = cache._cache.get_client(), cache._cache.get_client(write=True)
    assert first is second
