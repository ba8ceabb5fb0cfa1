"""The waiting room ("ruang tunggu") for the launch-day peak: above the configured capacity
newcomers get a tiny self-refreshing Indonesian page instead of errors, and are admitted in arrival
order as places free. Partner API calls and the health check never wait."""

import re
import uuid

import pytest
from django.test import Client, override_settings

from prakerja import admission

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(admission, "_now", clock)
    return clock


@pytest.fixture
def room(clock):
    """A capacity of 2, in a Redis namespace of its own."""
    with override_settings(
        ADMISSION_CAPACITY=2,
        ADMISSION_IDLE_SECONDS=60,
        ADMISSION_WAIT_SECONDS=30,
        ADMISSION_KEY_PREFIX=f"test-ruang-tunggu:{uuid.uuid4().hex}",
    ):
        yield


def _waiting(response) -> bool:
    return b"Ruang tunggu" in response.content


def _position(response) -> int:
    return int(re.search(rb'id="posisi">(\d+)<', response.content).group(1))


def test_visitors_within_capacity_are_served(room):
    first, second = Client(), Client()
    for client in (first, second, first, second):
        response = client.get("/")
        assert response.status_code == 200
        assert not _waiting(response)


def test_a_visitor_over_capacity_gets_the_small_waiting_page(room):
    Client().get("/")
    Client().get("/")
    response = Client().get("/")
    assert response.status_code == 200
    assert _waiting(response)
    body = response.content.decode()
    assert len(response.content) < 5 * 1024
    assert "<script" not in body
    assert re.search(r'<meta http-equiv="refresh" content="\d+">', body)
    assert _position(response) == 1
    assert "giliran" in body.lower()
    assert response["Cache-Control"].startswith("no-store")


def test_waiting_visitors_are_admitted_in_arrival_order_as_places_free(room, clock):
    admitted = [Client(), Client()]
    for client in admitted:
        client.get("/")
    first, second = Client(), Client()
    assert _position(first.get("/")) == 1
    clock.now += 5
    assert _position(second.get("/")) == 2
    # Everyone keeps going except the first admitted visitor, who leaves (idle past the limit).
    for _ in range(2):
        clock.now += 25
        admitted[1].get("/")
        assert _position(first.get("/")) == 1
        assert _position(second.get("/")) == 2
    clock.now += 11
    # One place is free: the second in line asks first but must let the first go ahead.
    assert _position(second.get("/")) == 2
    assert not _waiting(first.get("/"))
    assert _waiting(second.get("/"))
    assert _position(second.get("/")) == 1
    assert _waiting(Client().get("/"))


def test_a_waiting_visitor_who_leaves_gives_up_their_turn(room, clock):
    for _ in range(2):
        Client().get("/")
    gone, stays = Client(), Client()
    gone.get("/")
    stays.get("/")
    clock.now += 20
    assert _position(stays.get("/")) == 2
    clock.now += 20  # `gone` has not refreshed for 40 s > ADMISSION_WAIT_SECONDS
    assert _position(stays.get("/")) == 1


def test_partner_api_and_health_check_never_wait(room):
    for _ in range(2):
        Client().get("/")
    assert _waiting(Client().get("/"))
    health = Client().get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    schema = Client().get("/api/partner/v1/openapi.json")
    assert schema.status_code == 200
    assert not _waiting(schema)


def test_without_a_capacity_the_room_is_closed(clock):
    with override_settings(ADMISSION_CAPACITY=0):
        responses = [Client().get("/") for _ in range(5)]
    assert all(r.status_code == 200 and not _waiting(r) for r in responses)
    assert all(admission.COOKIE not in r.cookies for r in responses)


def test_the_portal_stays_up_when_redis_does_not_answer(room, monkeypatch):
    import redis

    def broken(*args, **kwargs):
        raise redis.ConnectionError("down")

    monkeypatch.setattr(admission, "_admit", broken)
    for _ in range(4):
        response = Client().get("/")
        assert response.status_code == 200
        assert not _waiting(response)
