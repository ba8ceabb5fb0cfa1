"""The client address behind the load balancer: one trusted-proxy setting decides it
(``TRUSTED_PROXY_COUNT``, ``prakerja.client_ip``), every rate limit and lockout uses it, and
lockouts key on account + address, so a shared address (a mobile carrier's) never locks other
people's accounts."""

import uuid

import pytest
from django.test import RequestFactory

from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.test_staff_accounts import ADMIN_LOGIN, rfc6238

pytestmark = pytest.mark.django_db

BALANCER = "10.0.0.2"  # the load balancer: every request arrives from it


def carrier() -> str:
    """A public address (one mobile carrier's NAT), fresh per test: counters live in Redis."""
    n = uuid.uuid4().int
    return f"114.{n % 250 + 1}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


@pytest.fixture
def behind_balancer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


def via_balancer(client_address: str, spoofed: str = "") -> dict:
    """What the balancer passes on: it appends the address it saw to X-Forwarded-For."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": forwarded}


def request_with(**meta):
    return RequestFactory().get("/", **meta)


def client_ip(request) -> str:
    from prakerja.client_ip import client_ip as helper

    return helper(request)


def test_behind_the_balancer_the_client_is_the_address_the_balancer_saw(behind_balancer):
    assert client_ip(request_with(**via_balancer("114.5.6.7"))) == "114.5.6.7"


def test_an_address_the_client_wrote_itself_is_not_believed(behind_balancer):
    request = request_with(**via_balancer("114.5.6.7", spoofed="1.2.3.4"))
    assert client_ip(request) == "114.5.6.7"


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = request_with(REMOTE_ADDR="114.5.6.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "114.5.6.7"


def test_two_proxies_the_client_is_second_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2  # a CDN, then the balancer
    request = request_with(
        REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR="1.2.3.4, 114.5.6.7, 172.16.0.9"
    )
    assert client_ip(request) == "114.5.6.7"


def test_a_request_that_skipped_the_balancer_falls_back_to_the_connection(behind_balancer):
    assert client_ip(request_with(REMOTE_ADDR="114.5.6.7")) == "114.5.6.7"
    garbage = request_with(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR="bukan-alamat")
    assert client_ip(garbage) == BALANCER


def test_wrong_admin_passwords_from_a_shared_address_never_lock_another_persons_login(
    client, behind_balancer
):
    shared = carrier()
    staff = UserFactory(is_staff=True, is_superuser=True)
    for n in range(6):
        client.post(
            ADMIN_LOGIN,
            {"username": staff.email, "password": f"salah-{n}", "otp_token": "", "next": "/"},
            **via_balancer(shared),
        )
    aktif = UserFactory()
    response = client.post(
        "/masuk/", {"username": aktif.email, "password": DEFAULT_PASSWORD}, **via_balancer(shared)
    )
    assert response.status_code == 302, response.content.decode()[:500]


def test_wrong_passwords_lock_the_account_from_that_address_only(client, behind_balancer):
    user = UserFactory()
    guesser, owner = carrier(), carrier()
    for n in range(6):
        client.post(
            "/masuk/", {"username": user.email, "password": f"salah-{n}"}, **via_balancer(guesser)
        )
    locked = client.post(
        "/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD}, **via_balancer(guesser)
    )
    assert locked.status_code == 429
    # The owner, elsewhere, is not locked out by someone guessing their password.
    response = client.post(
        "/masuk/", {"username": user.email, "password": DEFAULT_PASSWORD}, **via_balancer(owner)
    )
    assert response.status_code == 302


def test_the_admin_lock_keys_on_the_address_the_balancer_saw(client, behind_balancer):
    from participants.staff_otp import ensure_totp_device

    staff = UserFactory(is_staff=True, is_superuser=True)
    secret = ensure_totp_device(user=staff)
    guesser, owner = carrier(), carrier()
    for n in range(6):
        client.post(
            ADMIN_LOGIN,
            {"username": staff.email, "password": f"salah-{n}", "otp_token": "", "next": "/"},
            **via_balancer(guesser),
        )
    form = {
        "username": staff.email,
        "password": DEFAULT_PASSWORD,
        "otp_token": rfc6238(secret),
        "next": "/admin/",
    }
    assert client.post(ADMIN_LOGIN, form, **via_balancer(guesser)).status_code == 429
    assert client.post(ADMIN_LOGIN, form, **via_balancer(owner)).status_code == 302


def test_rate_limits_count_each_client_behind_the_balancer_apart(client, behind_balancer):
    behind_balancer.RATELIMIT_ENABLE = True
    behind_balancer.RATELIMIT_REGISTER_PER_ADDRESS = "2/m"
    first, second = carrier(), carrier()
    password = "kata-sandi-panjang-9"
    form = {"full_name": "Siti Aminah", "password": password, "password_confirm": password}

    def register(address):
        email = f"r-{uuid.uuid4().hex[:10]}@contoh.id"
        return client.post("/daftar/", {**form, "email": email}, **via_balancer(address))

    assert [register(first).status_code for _ in range(3)] == [302, 302, 429]
    assert register(second).status_code == 302


def test_people_behind_one_carrier_address_register_each_their_own_account(client, behind_balancer):
    """A mobile carrier's address serves thousands: the tight limit counts one address and one
    email together; the address in all has a limit of its own, high enough for a crowd."""
    behind_balancer.RATELIMIT_ENABLE = True
    behind_balancer.RATELIMIT_REGISTER = "2/m"
    behind_balancer.RATELIMIT_REGISTER_PER_ADDRESS = "8/m"
    shared = carrier()
    password = "kata-sandi-panjang-9"
    form = {"full_name": "Siti Aminah", "password": password, "password_confirm": password}

    def register(email):
        return client.post("/daftar/", {**form, "email": email}, **via_balancer(shared))

    people = [f"orang-{i}-{uuid.uuid4().hex[:6]}@contoh.id" for i in range(6)]
    assert [register(email).status_code for email in people] == [302] * 6
    # One email sent again and again from that address is limited...
    assert [register(people[0]).status_code for _ in range(2)] == [302, 429]
    # ...and so is the address as a whole, past its own figure.
    assert register(f"lagi-{uuid.uuid4().hex[:6]}@contoh.id").status_code == 429
