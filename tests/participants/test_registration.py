"""Registration, the email link, and the identity step (service rules and pages)."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from participants import services
from participants.models import DomainError, Participant, ParticipantEvent, User
from participants.registration import steps
from participants.registration.nik import InvalidNik
from prakerja import crypto, jobs
from tests.factories import DEFAULT_PASSWORD, ParticipantFactory, UserFactory, make_nik

from .conftest import BIRTH, identity_kwargs

pytestmark = pytest.mark.django_db


# --- account and email --------------------------------------------------------------------------


def test_register_creates_account_with_argon2_or_test_hasher_and_participant():
    user = steps.register_user(
        full_name="  Ani Yudhoyono ", email="Ani@Contoh.ID", password=DEFAULT_PASSWORD
    )
    assert user.email == "ani@contoh.id"
    assert user.full_name == "Ani Yudhoyono"
    assert user.check_password(DEFAULT_PASSWORD)
    assert user.email_verified_at is None
    assert Participant.objects.filter(user=user, status="applicant").exists()
    assert ParticipantEvent.objects.filter(
        participant__user=user, reason_code="registered"
    ).exists()


def test_register_refuses_an_email_already_used():
    UserFactory(email="ani@contoh.id")
    with pytest.raises(DomainError) as exc:
        steps.register_user(full_name="Ani", email="ANI@contoh.id", password="x" * 10)
    assert exc.value.code == "email_taken"


def test_register_page_sends_a_working_link_and_logs_in(
    client, monkeypatch, django_assert_max_num_queries
):
    # The page's own queries are budgeted; the email goes out from a Celery task (run here
    # after the request, as a worker would), whose queries are the worker's.
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: queued.append((args, kwargs)))
    with django_assert_max_num_queries(6):
        response = client.post(
            reverse("register"),
            {
                "full_name": "Ani Lestari",
                "email": "ani@contoh.id",
                "password": DEFAULT_PASSWORD,
                "password_confirm": DEFAULT_PASSWORD,
            },
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("register_done")
    assert len(queued) == 1
    monkeypatch.undo()
    for args, kwargs in queued:
        jobs.enqueue(*args, **kwargs)
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("identity")
    assert User.objects.get(email="ani@contoh.id").email_verified_at is not None


def test_registering_writes_no_session_and_the_next_page_names_the_email(client, settings):
    """The launch-day peak is mostly this POST: the address shown on the next page travels in a
    signed cookie, not in a session written to the session store for each new visitor."""
    response = client.post(
        reverse("register"),
        {
            "full_name": "Ani Lestari",
            "email": "Ani@Contoh.ID",
            "password": DEFAULT_PASSWORD,
            "password_confirm": DEFAULT_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    cookie = response.cookies["prakerja_daftar"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get(reverse("register_done"))
    assert page.status_code == 200
    assert "ani@contoh.id" in page.content.decode()


def test_the_check_your_email_page_refuses_a_forged_address(client):
    client.cookies["prakerja_daftar"] = "someone@contoh.id"
    response = client.get(reverse("register_done"))
    assert response.status_code == 302
    assert response["Location"] == reverse("register")


def test_the_blank_registration_form_renders_its_fields_once_per_process(client, monkeypatch):
    """Everyone gets the same blank form on launch day: its inputs are rendered once and reused
    (only the CSRF token differs), while a form sent back with errors renders afresh."""
    from django.forms import widgets

    first = client.get(reverse("register")).content.decode()
    renders = []
    original = widgets.Widget.render
    monkeypatch.setattr(
        widgets.Widget,
        "render",
        lambda self, *args, **kwargs: renders.append(self) or original(self, *args, **kwargs),
    )
    second = client.get(reverse("register")).content.decode()
    assert renders == []
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub("", first) == token.sub("", second)
    assert 'name="email"' in second and 'autocomplete="new-password"' in second
    sent = client.post(reverse("register"), {"full_name": "Ani", "email": "bukan-email"})
    assert len(renders) == 4
    assert 'value="bukan-email"' in sent.content.decode()


def test_register_page_renders_within_query_budget(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(reverse("register"))
    assert response.status_code == 200
    assert "Daftar" in response.content.decode()
    assert len(response.content) < 50 * 1024


def test_register_page_refuses_weak_or_mismatched_passwords(client):
    response = client.post(
        reverse("register"),
        {
            "full_name": "Ani",
            "email": "ani@contoh.id",
            "password": "12345678",
            "password_confirm": "12345679",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="ani@contoh.id").exists()
    body = response.content.decode()
    assert "Kata sandi tidak sama." in body


def test_email_link_expires():
    user = steps.register_user(full_name="Ani", email="a@contoh.id", password="x" * 10)
    token = steps.email_verification_token(user=user)
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=4)),
        pytest.raises(DomainError) as exc,
    ):
        steps.verify_email(token=token)
    assert exc.value.code == "email_link_expired"


def test_tampered_email_link_is_refused():
    user = steps.register_user(full_name="Ani", email="a@contoh.id", password="x" * 10)
    token = steps.email_verification_token(user=user)
    with pytest.raises(DomainError) as exc:
        steps.verify_email(token=token[:-2] + "xx")
    assert exc.value.code == "email_link_invalid"


def test_password_reset_sends_an_indonesian_email(client):
    UserFactory(email="ani@contoh.id")
    response = client.post(reverse("password_reset"), {"email": "ani@contoh.id"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "kata sandi" in mail.outbox[0].subject.lower()
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    response = client.get(link, follow=True)
    assert "Buat kata sandi baru" in response.content.decode()


# --- identity: the service --------------------------------------------------------------------


def test_identity_is_stored_encrypted_hashed_and_masked(areas, new_user):
    data = identity_kwargs()
    participant = steps.submit_identity(participant=new_user.participant, **data)
    assert participant.identity_verified_at is not None
    assert participant.nik_hash == crypto.keyed_hash(data["nik"])
    assert crypto.decrypt(participant.nik_encrypted) == data["nik"]
    assert participant.nik_masked == "************" + data["nik"][-4:]
    assert data["nik"] not in participant.nik_encrypted
    assert (participant.province_id, participant.regency_id) == ("32", "3201")


def test_invalid_nik_is_refused_with_its_code(areas, new_user):
    nik = make_nik(birth_date=BIRTH, gender="F", serial=5)
    with pytest.raises(InvalidNik) as exc:
        steps.submit_identity(participant=new_user.participant, **identity_kwargs(nik=nik))
    assert exc.value.code == "nik_gender_mismatch"
    assert Participant.objects.get(pk=new_user.participant.pk).nik_hash is None


def test_nik_already_registered_is_refused(areas, new_user):
    nik = make_nik(birth_date=BIRTH, serial=77)
    ParticipantFactory(nik=nik)
    with pytest.raises(DomainError) as exc:
        steps.submit_identity(participant=new_user.participant, **identity_kwargs(nik=nik))
    assert exc.value.code == "nik_taken"
    assert str(exc.value.message) == "NIK sudah terdaftar."


def test_a_third_person_on_one_family_card_is_refused(areas, new_user):
    kk = "3201010101019999"
    ParticipantFactory(kk=kk)
    ParticipantFactory(kk=kk)
    with pytest.raises(DomainError) as exc:
        steps.submit_identity(participant=new_user.participant, **identity_kwargs(kk=kk))
    assert exc.value.code == "family_card_limit"


def test_second_person_on_one_family_card_is_accepted(areas, new_user):
    kk = "3201010101019999"
    ParticipantFactory(kk=kk)
    steps.submit_identity(participant=new_user.participant, **identity_kwargs(kk=kk))


def test_blacklisted_nik_cannot_register(areas, new_user):
    nik = make_nik(birth_date=BIRTH, serial=77)
    revoked = ParticipantFactory(nik=make_nik(birth_date=BIRTH, serial=78))
    services.add_to_blacklist(participant=revoked, reason_code="fraud")
    # The blacklist is by NIK hash: an entry for this NIK from an earlier (deleted) account.
    from participants.models import BlacklistEntry

    BlacklistEntry.objects.create(
        nik_hash=crypto.keyed_hash(nik),
        nik_masked=crypto.mask_nik(nik),
        full_name="Rudi Hartono",
        reason_code="no_first_purchase",
        created_at=timezone.now(),
    )
    with pytest.raises(DomainError) as exc:
        steps.submit_identity(participant=new_user.participant, **identity_kwargs(nik=nik))
    assert exc.value.code == "nik_blacklisted"
    assert str(exc.value.message) == "NIK Anda tercatat dalam daftar hitam program."


def test_identity_cannot_be_changed_once_verified(areas, new_user):
    steps.submit_identity(participant=new_user.participant, **identity_kwargs())
    with pytest.raises(DomainError) as exc:
        steps.submit_identity(
            participant=new_user.participant,
            **identity_kwargs(nik=make_nik(birth_date=BIRTH, serial=99)),
        )
    assert exc.value.code == "identity_locked"


def test_identity_needs_a_verified_email(areas, db):
    user = steps.register_user(full_name="Ani", email="a@contoh.id", password="x" * 10)
    with pytest.raises(DomainError) as exc:
        steps.submit_identity(participant=user.participant, **identity_kwargs())
    assert exc.value.code == "email_not_verified"


# --- identity: the page -------------------------------------------------------------------------


def _identity_post(**overrides):
    data = {
        "nik": make_nik(birth_date=BIRTH, serial=77),
        "kk": "3201010101010001",
        "birth_date": "1995-06-15",
        "gender": "M",
        "province": "32",
        "regency": "3201",
        "district": "320101",
        "address": "Jl. Mawar No. 2",
        "education": "sma",
        "employment_status": "unemployed",
    }
    data.update(overrides)
    return data


def test_identity_page_within_query_budget(client, areas, new_user, django_assert_max_num_queries):
    client.force_login(new_user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("identity"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "JAWA BARAT" in body
    assert len(response.content) < 50 * 1024


def test_identity_selects_work_without_javascript(client, areas, new_user):
    """Choose a province and press the refresh button: the regencies of that province appear,
    typed data is kept and no errors are shown; then the districts of the chosen regency."""
    client.force_login(new_user)
    response = client.post(reverse("identity"), {"province": "32", "nik": "1234", "refresh": "1"})
    body = response.content.decode()
    assert "KABUPATEN BOGOR" in body
    assert "KOTA ADM. JAKARTA PUSAT" not in body
    assert 'value="1234"' in body
    assert 'role="alert"' not in body
    response = client.post(
        reverse("identity"), {"province": "32", "regency": "3201", "refresh": "1"}
    )
    assert "Cibinong" in response.content.decode()


def test_identity_page_saves_and_goes_to_phone_step(
    client, areas, new_user, django_assert_max_num_queries
):
    client.force_login(new_user)
    with django_assert_max_num_queries(20):
        response = client.post(reverse("identity"), _identity_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("phone")


def test_identity_page_shows_nik_taken_message(client, areas, new_user):
    ParticipantFactory(nik=make_nik(birth_date=BIRTH, serial=77))
    client.force_login(new_user)
    response = client.post(reverse("identity"), _identity_post())
    assert response.status_code == 200
    assert "NIK sudah terdaftar." in response.content.decode()


def test_identity_page_refuses_a_district_outside_the_regency(client, areas, new_user):
    client.force_login(new_user)
    response = client.post(reverse("identity"), _identity_post(regency="3202"))
    assert response.status_code == 200
    assert Participant.objects.get(user=new_user).identity_verified_at is None


def test_identity_page_shows_age_failure_on_the_birth_date(client, areas, new_user):
    today = timezone.localdate()
    birth = today.replace(year=today.year - 17)
    client.force_login(new_user)
    response = client.post(
        reverse("identity"),
        _identity_post(nik=make_nik(birth_date=birth, serial=5), birth_date=birth.isoformat()),
    )
    form = response.context["form"]
    assert form.errors["birth_date"] == ["Usia pendaftar minimal 18 tahun."]


@pytest.mark.django_db(transaction=True)
def test_three_simultaneous_registrations_on_one_family_card_admit_two():
    import threading

    from django.db import connection

    from participants.registration.areas import load_areas

    load_areas(provinces=["32"])
    people = []
    for serial in (1, 2, 3):
        user = steps.register_user(
            full_name=f"Anggota {serial}", email=f"kk{serial}@contoh.id", password="x" * 10
        )
        User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
        people.append((user.pk, make_nik(birth_date=BIRTH, serial=serial)))
    barrier = threading.Barrier(3)
    results: list[str] = []

    def submit(user_pk, nik):
        try:
            participant = Participant.objects.select_related("user").get(user_id=user_pk)
            barrier.wait()
            steps.submit_identity(
                participant=participant, **identity_kwargs(nik=nik, kk="3201011111110000")
            )
            results.append("ok")
        except DomainError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=person) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["family_card_limit", "ok", "ok"]
    assert Participant.objects.filter(kk_hash=crypto.keyed_hash("3201011111110000")).count() == 2
