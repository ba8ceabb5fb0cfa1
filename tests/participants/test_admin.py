"""Staff search participants by email, phone and exact NIK; the full NIK needs a permission."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_participant"))
    return user


def changelist(client, q):
    return client.get(reverse("admin:participants_participant_changelist"), {"q": q})


def test_exact_nik_search_uses_the_keyed_hash(client, staff):
    staff.user_permissions.add(Permission.objects.get(codename="search_full_nik"))
    wanted, other = ParticipantFactory(), ParticipantFactory()
    client.force_login(staff)
    response = changelist(client, wanted._nik)
    assert list(response.context["cl"].result_list) == [wanted]
    assert other not in response.context["cl"].result_list


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_nik_search_needs_its_own_permission(client, staff):
    wanted = ParticipantFactory()
    client.force_login(staff)
    for url in ("participants_participant_changelist", "participants_blacklistentry_changelist"):
        response = client.get(reverse(f"admin:{url}"), {"q": wanted._nik})
        if response.status_code == 403:
            continue  # this staff member cannot open the blacklist
        assert list(response.context["cl"].result_list) == []
        assert "Anda tidak berwenang mencari dengan NIK lengkap." in messages_of(response)


@pytest.mark.redis
def test_nik_searches_are_throttled_per_staff_account(client, staff, settings):
    """A NIK search confirms a NIK: a few an hour per staff account, whatever the NIK. (The
    counter is keyed by the account's id, new in every run.)"""
    settings.RATELIMIT_ENABLE = True
    settings.NIK_SEARCH_RATE = "3/h"
    staff.user_permissions.add(Permission.objects.get(codename="search_full_nik"))
    wanted = ParticipantFactory()
    client.force_login(staff)
    answers = [changelist(client, wanted._nik) for _ in range(4)]
    assert [len(r.context["cl"].result_list) for r in answers] == [1, 1, 1, 0]
    assert "Batas pencarian dengan NIK lengkap tercapai. Coba lagi nanti." in messages_of(
        answers[-1]
    )
    other = UserFactory(is_staff=True)
    other.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_participant", "search_full_nik"])
    )
    client.force_login(other)
    assert len(changelist(client, wanted._nik).context["cl"].result_list) == 1


def test_search_by_email_and_phone(client, staff):
    wanted = ParticipantFactory(phone="+6281277770000")
    ParticipantFactory()
    client.force_login(staff)
    assert list(changelist(client, wanted.user.email).context["cl"].result_list) == [wanted]
    assert list(changelist(client, "+6281277770000").context["cl"].result_list) == [wanted]


def test_full_nik_only_with_the_permission(client, staff):
    participant = ParticipantFactory()
    url = reverse("admin:participants_participant_change", args=[participant.pk])
    client.force_login(staff)
    body = client.get(url).content.decode()
    assert participant.nik_masked in body
    assert participant._nik not in body
    staff.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    staff = type(staff).objects.get(pk=staff.pk)  # drop the permission cache
    client.force_login(staff)
    assert participant._nik in client.get(url).content.decode()


def test_changelist_filters_by_status_wave_and_province(client, staff):
    ParticipantFactory()
    client.force_login(staff)
    response = client.get(
        reverse("admin:participants_participant_changelist"),
        {"status__exact": "applicant", "province__code__exact": "32"},
    )
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1


def test_wave_page_shows_its_selection_run(client, admin_user):
    from django.utils import timezone

    from participants.models import SelectionRun
    from tests.factories import WaveFactory

    wave = WaveFactory()
    SelectionRun.objects.create(wave=wave, seed="benih-uji-42", started_at=timezone.now())
    client.force_login(admin_user)
    body = client.get(reverse("admin:participants_wave_change", args=[wave.pk])).content.decode()
    assert "benih-uji-42" in body
