"""Pages close to their floor (issue 14): the session costs no database round trip, the user and
their participant record come in one query, and each page keeps a query budget."""

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
