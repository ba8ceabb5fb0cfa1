"""The lists work with the portal's serving database role (rows only, README "Two database
roles"): an import, the purge of the replaced version, the selection and the re-check."""

import datetime as dt
import io

import pytest
from django.db import connection
from django.utils import timezone

from participants.eligibility import lists, recheck
from participants.models import Application, EligibilityReview
from participants.waves.selection import run_selection
from tests.factories import make_active_participant
from tests.participants.test_selection import NOW, apply, closed_wave
from tests.test_database_role import app_role, serving_as  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def list_rows_deleted():
    """The lists' rows are in a table the flush after a committing test does not empty."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM participants_agencylistentry")


def test_import_purge_selection_and_recheck_as_the_serving_role(
    app_role,  # noqa: F811
    list_rows_deleted,
):
    wave = closed_wave(quota_total=5)
    applicant = apply(wave)
    holder = make_active_participant()
    today = timezone.localdate(NOW)
    niks = f"nik\n{applicant._nik}\n{holder._nik}\n".encode()
    with serving_as(*app_role):
        for _version in (1, 2):
            lists.import_list(
                source="bsu",
                stream=io.BytesIO(niks),
                list_date=today,
                valid_until=today + dt.timedelta(days=30),
                now=NOW,
            )
        # The purge queued after the second import's commit (run in-process here) went too.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM participants_agencylistentry")
            assert cursor.fetchone()[0] == 2
        assert lists.purge_replaced() == 0
        run_selection(wave=wave, now=NOW)
        assert recheck.recheck(now=NOW).flagged == 1
    assert Application.objects.get(participant=applicant).reason_code == "other_aid_bsu"
    assert EligibilityReview.objects.get().participant == holder
