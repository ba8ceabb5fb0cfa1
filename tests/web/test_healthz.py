"""/healthz is called by every load balancer every few seconds: it must stay cheap."""

import pytest
import redis

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def test_healthz_reuses_one_redis_connection(client, monkeypatch):
    connects = []
    original = redis.connection.Connection._connect

    def counting_connect(self, *args, **kwargs):  # a new socket to Redis
        connects.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.Connection, "_connect", counting_connect)
    for _ in range(5):
        response = client.get("/healthz")
        assert response.json()["broker"] == "ok"
    assert len(connects) <= 1
