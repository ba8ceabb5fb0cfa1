"""Registration does not tell whether an email is registered (no account enumeration): the same
answer either way, and the owner of a registered email is told by email instead."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def register(client, email):
    return client.post(
        reverse("register"),
        {
            "full_name": "Ani Lestari",
            "email": email,
            "password": DEFAULT_PASSWORD,
            "password_confirm": DEFAULT_PASSWORD,
        },
        follow=True,
    )


def answer(response, email) -> tuple:
    body = response.content.decode().replace(email, "EMAIL")
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    return response.status_code, response.redirect_chain, body


def test_a_registered_email_gets_the_same_answer_as_a_new_one(client):
    UserFactory(email="sudah@contoh.id")
    taken = answer(register(client, "sudah@contoh.id"), "sudah@contoh.id")
    client.logout()
    fresh = answer(register(client, "baru@contoh.id"), "baru@contoh.id")
    assert taken == fresh
    assert "sudah terdaftar" not in taken[2]


def test_the_owner_of_a_registered_email_is_told_by_email(client):
    UserFactory(email="sudah@contoh.id", full_name="Sri Wahyuni")
    register(client, "sudah@contoh.id")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sudah@contoh.id"]
    assert "/lupa-sandi/" in mail.outbox[0].body
    assert get_user_model().objects.filter(email="sudah@contoh.id").count() == 1


def test_a_new_account_continues_through_the_emailed_link(client):
    register(client, "baru@contoh.id")
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    response = client.get(link)
    assert response["Location"] == reverse("identity")
    assert client.get(reverse("identity")).status_code == 200
