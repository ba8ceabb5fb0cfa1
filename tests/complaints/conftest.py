import base64

import pytest
from django.core.cache import cache

# A real 1x1 PNG.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _clear_rate_limits() -> None:
    # Only django-ratelimit's counters ("rl:" keys): cache.clear() flushes the whole Redis
    # database, sessions included, under the tests that other xdist workers are running.
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:
        cache.clear()
        return
    redis = client(write=True)
    for key in redis.scan_iter(match="*:rl:*", count=1000):
        redis.delete(key)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache (Redis in CI); start every test from zero."""
    _clear_rate_limits()
    yield
    _clear_rate_limits()


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def png_bytes() -> bytes:
    return PNG_BYTES
