import uuid

import pytest


@pytest.fixture(autouse=True)
def _own_shared_counters(settings):
    """Each test counts in Redis keys of its own: deployment-wide counters are not moved by a
    test running at the same time (pytest-xdist), and nothing is left behind."""
    settings.METRICS_KEY_PREFIX = f"prakerja:metrics:test-{uuid.uuid4().hex}"
    yield
    if settings.REDIS_URL:
        from prakerja import redis_client

        client = redis_client.client(settings.REDIS_URL)
        keys = list(client.scan_iter(match=f"{settings.METRICS_KEY_PREFIX}:*"))
        if keys:
            client.delete(*keys)
