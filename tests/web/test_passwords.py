"""Password hashing on the registration path (docs/performance.md): Argon2id at OWASP's parameters,
and older hashes upgraded when their owner next logs in."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher, make_password
from django.test import override_settings
from django.urls import reverse

from participants.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

# The production list, without the fast hasher the test run puts in front.
PRODUCTION_HASHERS = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]


def _argon2_parameters(encoded: str) -> str:
    # argon2$argon2id$v=19$m=7168,t=5,p=1$salt$hash
    algorithm, variety, _version, parameters, *_rest = encoded.split("$")
    assert (algorithm, variety) == ("argon2", "argon2id")
    return parameters


# OWASP Password Storage Cheat Sheet, Argon2id: the configurations that "provide an equal level of
# defense" (KiB of memory, iterations, parallelism; the first one is not for Argon2i).
OWASP_ARGON2ID = {(47104, 1, 1), (19456, 2, 1), (12288, 3, 1), (9216, 4, 1), (7168, 5, 1)}


def test_preferred_hasher_is_argon2id_at_an_owasp_configuration():
    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
        hasher = get_hasher("default")
        encoded = make_password(DEFAULT_PASSWORD)
    parameters = (hasher.memory_cost, hasher.time_cost, hasher.parallelism)
    assert parameters in OWASP_ARGON2ID
    # The least memory of them (7 MiB, 5 passes): four web workers hashing at once stay within
    # the CPU's cache, where four 19 MiB hashes do not (prakerja/hashers.py).
    assert parameters == (7168, 5, 1)
    assert _argon2_parameters(encoded) == "m=7168,t=5,p=1"


class _OwaspNineteenMiB(Argon2PasswordHasher):
    """The portal's previous parameters: OWASP's 19 MiB configuration."""

    memory_cost = 19_456
    time_cost = 2
    parallelism = 1


class _OldArgon2(Argon2PasswordHasher):
    """What the portal used before: Django's defaults, 100 MiB and parallelism 8."""

    memory_cost = 102_400
    time_cost = 2
    parallelism = 8


@pytest.mark.parametrize(
    "old_hash",
    [
        lambda: _OldArgon2().encode(DEFAULT_PASSWORD, _OldArgon2().salt()),
        lambda: _OwaspNineteenMiB().encode(DEFAULT_PASSWORD, _OwaspNineteenMiB().salt()),
        lambda: make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256"),
    ],
    ids=["argon2-100MiB-p8", "argon2-19MiB-t2", "pbkdf2"],
)
def test_an_older_hash_is_upgraded_at_the_next_login(client, old_hash):
    user = UserFactory(email="ani@contoh.id")
    user.password = old_hash()
    user.save(update_fields=["password"])
    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
        response = client.post(
            reverse("login"), {"username": "ani@contoh.id", "password": DEFAULT_PASSWORD}
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert _argon2_parameters(user.password) == "m=7168,t=5,p=1"
    with override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS):
        assert user.check_password(DEFAULT_PASSWORD)


def _register(client, email):
    return client.post(
        reverse("register"),
        {
            "full_name": "Ani Lestari",
            "email": email,
            "password": DEFAULT_PASSWORD,
            "password_confirm": DEFAULT_PASSWORD,
        },
    )


def _scheduled(monkeypatch) -> list:
    """What registration hands to Celery, recorded instead of run."""
    from participants import tasks

    scheduled = []
    monkeypatch.setattr(
        tasks.flush_registration_mail,
        "apply_async",
        lambda args=(), **options: scheduled.append(options),
    )
    monkeypatch.setattr(tasks.send_registration_mail, "delay", scheduled.append)
    return scheduled


def _send_what_was_queued(scheduled: list) -> None:
    """What the worker does with it."""
    from participants.registration import mail as registration_mail

    if settings.REDIS_URL:
        registration_mail.flush()
    else:
        for items in scheduled:
            registration_mail.send(items)


def test_registration_sends_its_email_through_celery_not_in_the_request(client, monkeypatch):
    from django.core import mail

    scheduled = _scheduled(monkeypatch)
    response = _register(client, "ani@contoh.id")
    assert response.status_code == 302
    assert mail.outbox == []
    assert scheduled
    _send_what_was_queued(scheduled)
    [email] = [m for m in mail.outbox if m.to == ["ani@contoh.id"]]
    # Links in emails are built on PORTAL_URL, never on the request's Host header.
    link = re.search(r"https?://\S+", email.body).group(0)
    assert link.startswith(settings.PORTAL_URL.rstrip("/") + "/verifikasi-email/")
    assert User.objects.get(email="ani@contoh.id").email_verified_at is None


@pytest.mark.redis
def test_a_registration_peak_schedules_one_task_for_its_emails(client, monkeypatch):
    """Each registration queues its email in Redis with one round trip; the first schedules one
    Celery task, which sends everything queued by the time it runs (a task per email cost the
    worker 3-4 ms of CPU each). An email already registered is told the same way."""
    from django.core import mail

    from participants.registration import mail as registration_mail

    UserFactory(email="sudah@contoh.id")
    scheduled = _scheduled(monkeypatch)
    for email in ("satu@contoh.id", "dua@contoh.id", "sudah@contoh.id", "tiga@contoh.id"):
        assert _register(client, email).status_code == 302
    assert len(scheduled) == 1 and scheduled[0]["countdown"] >= 1
    assert mail.outbox == []
    assert registration_mail.flush() == 4
    assert sorted(m.to[0] for m in mail.outbox) == [
        "dua@contoh.id",
        "satu@contoh.id",
        "sudah@contoh.id",
        "tiga@contoh.id",
    ]
    assert "sudah memiliki akun" in next(m.body for m in mail.outbox if m.to == ["sudah@contoh.id"])


@pytest.mark.redis
def test_an_email_the_mail_server_refuses_stays_queued(client, monkeypatch):
    from django.core import mail

    from participants.registration import mail as registration_mail
    from participants.registration import steps

    scheduled = _scheduled(monkeypatch)
    for email in ("satu@contoh.id", "dua@contoh.id"):
        _register(client, email)
    sent = steps.send_verification_email

    def refuse_the_second(*, user, verify_url):
        if user.email == "dua@contoh.id":
            raise ConnectionRefusedError("mail server down")
        sent(user=user, verify_url=verify_url)

    monkeypatch.setattr(steps, "send_verification_email", refuse_the_second)
    with pytest.raises(ConnectionRefusedError):
        registration_mail.flush()
    assert [m.to for m in mail.outbox] == [["satu@contoh.id"]]
    monkeypatch.setattr(steps, "send_verification_email", sent)
    assert registration_mail.flush() == 1
    assert [m.to for m in mail.outbox] == [["satu@contoh.id"], ["dua@contoh.id"]]
    assert scheduled
