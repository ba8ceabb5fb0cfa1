"""Pages close to their floor (docs/performance.md): the session costs no database round trip, the
user and their participant record come in one query, and each page keeps a query budget."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.models import Application
from tests.factories import ParticipantFactory, WaveFactory

pytestmark = pytest.mark.django_db


def _applicant_with_history(waves: int = 3):
    participant = ParticipantFactory()
    for _ in range(waves):
        wave = WaveFactory(
            opens_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            closes_at=dt.datetime(2026, 1, 8, tzinfo=dt.UTC),
            announces_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC),
        )
        Application.objects.create(
            participant=participant,
            wave=wave,
            joined_at=wave.opens_at,
            status=Application.Status.NOT_SELECTED,
            reason_code=Application.Reason.QUOTA_FULL,
        )
    return participant


def test_a_logged_in_request_reads_no_session_row(client):
    participant = _applicant_with_history()
    client.force_login(participant.user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 200
    assert not [q["sql"] for q in queries if "django_session" in q["sql"]]


def test_dashboard_loads_the_user_and_participant_in_one_query(
    client, django_assert_max_num_queries
):
    participant = _applicant_with_history()
    client.force_login(participant.user)
    # user + participant + wave, the wave history, the open waves (this applicant may join one),
    # the person's complaints. No session row, no second query for the participant.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("dashboard"))
    assert response.content.decode().count("Belum berhasil") == 4


def test_recommendations_for_a_participant_within_budget(client, django_assert_max_num_queries):
    participant = _applicant_with_history(waves=0)
    client.force_login(participant.user)
    # user + participant, categories, count, trainings, their offerings.
    with django_assert_max_num_queries(5):
        response = client.get(reverse("trainings:recommendations"))
    assert response.status_code == 200


def _load(user_id):
    from prakerja.auth import UserWithParticipantBackend

    return UserWithParticipantBackend().get_user(user_id)


def test_loading_the_logged_in_user_builds_its_sql_once_per_process(monkeypatch):
    """Building the SQL of the user + participant + wave query cost more CPU than running it;
    it is built once and reused on every request."""
    from django.db.models.sql.compiler import SQLCompiler

    first, second = ParticipantFactory(), ParticipantFactory()
    _load(first.user_id)
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    user = _load(second.user_id)
    assert user == second.user
    assert compiled == []


def test_the_logged_in_user_comes_with_participant_and_wave_in_one_query(
    django_assert_num_queries,
):
    from tests.factories import make_active_participant

    participant = make_active_participant()
    email, wave_number = participant.user.email, participant.wave.number
    _load(participant.user_id)  # the SQL is built on first use
    with django_assert_num_queries(1):
        user = _load(participant.user_id)
        assert user.pk == participant.user_id
        assert user.email == email
        assert user.participant.pk == participant.pk
        assert user.participant.user is user
        assert user.participant.card_number == participant.card_number
        assert user.participant.balance_idr == participant.balance_idr
        assert user.participant.wave.number == wave_number
        assert user.participant.first_purchase_deadline == participant.first_purchase_deadline


def test_a_user_without_participant_record_loads_without_one(django_assert_num_queries):
    from participants.models import Participant
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    _load(staff.pk)
    with django_assert_num_queries(1):
        user = _load(staff.pk)
        assert user == staff
        with pytest.raises(Participant.DoesNotExist):
            _ = user.participant


def test_an_unknown_or_deactivated_user_is_not_loaded():
    from tests.factories import UserFactory

    inactive = UserFactory(is_active=False)
    assert _load(inactive.pk) is None
    assert _load(inactive.pk + 1000) is None


def test_the_loaded_user_is_fresh_on_every_request():
    """Nothing about the person is kept between requests: a balance or status written by
    another process shows at once."""
    from tests.factories import make_active_participant

    participant = make_active_participant()
    assert _load(participant.user_id).participant.balance_idr == participant.balance_idr
    type(participant).objects.filter(pk=participant.pk).update(balance_idr=1234)
    assert _load(participant.user_id).participant.balance_idr == 1234


def test_the_dashboard_builds_no_sql_after_its_first_request(client, monkeypatch):
    """The dashboard's queries (the user, the wave history, the latest complaints) have their
    SQL built once per process; later requests only run them."""
    from django.db.models.sql.compiler import SQLCompiler

    from complaints import services as complaint_services
    from tests.factories import make_active_participant

    participant = make_active_participant()
    complaint = complaint_services.submit_complaint(
        name="Peserta",
        phone=participant.phone,
        email=participant.user.email,
        category="pembelian",
        description="Pembayaran belum masuk.",
        user=participant.user,
    )
    client.force_login(participant.user)
    assert client.get(reverse("dashboard")).status_code == 200
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    response = client.get(reverse("dashboard"))
    assert complaint.ticket_number in response.content.decode()
    assert "Riwayat Gelombang" in response.content.decode()
    assert compiled == []


def test_pages_speak_indonesian_whatever_the_browser_asks(client):
    """The portal has one language, used without choosing it per request (no LocaleMiddleware):
    a browser asking for English still gets Indonesian, Django's own texts included."""
    response = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert "<title>Masuk |" in response.content.decode()
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="id">' in home.content.decode()
    assert "Langsung ke isi" in home.content.decode()
