"""The program dashboard's eligibility numbers: per wave and per source, how many were excluded
at selection, flagged after it, revoked and cleared (docs/eligibility.md, "Numbers")."""

import datetime as dt
import io

import pytest
from django.utils import timezone

from participants.eligibility import lists, recheck, reviews
from participants.models import Application, EligibilityReview
from reports import selectors
from tests.factories import UserFactory, WaveFactory, make_active_participant
from tests.reports.conftest import apply, staff_with

pytestmark = pytest.mark.django_db

URL = "/admin/laporan/"


def put_on_list(source, *people):
    today = timezone.localdate()
    niks = [person._nik for person in people]
    lists.import_list(
        source=source,
        stream=io.BytesIO("\n".join(niks).encode()),
        list_date=today,
        valid_until=today + dt.timedelta(days=30),
    )


def test_per_wave_and_source_excluded_flagged_revoked_cleared(
    client, django_assert_max_num_queries
):
    now = timezone.now()
    wave = WaveFactory(
        number=7,
        opens_at=now - dt.timedelta(days=40),
        closes_at=now - dt.timedelta(days=35),
        announces_at=now - dt.timedelta(days=34),
    )
    for reason in ("other_aid_bsu", "other_aid_bsu", "excluded_asn", "quota_full"):
        apply(wave, status=Application.Status.NOT_SELECTED, reason=reason)
    revoked, cleared, waiting = (make_active_participant(wave=wave) for _ in range(3))
    put_on_list("bsu", revoked, cleared, waiting)
    recheck.recheck()
    maker = UserFactory(is_staff=True, email="a@prakerja.local")
    checker = UserFactory(is_staff=True, email="b@prakerja.local")
    for person, decision in ((revoked, "revoke"), (cleared, "clear")):
        review = EligibilityReview.objects.get(participant=person)
        reviews.propose(review=review, decision=decision, reason="cek", actor=maker)
        reviews.approve(review=review, actor=checker)

    numbers = {
        (row["wave"], row["source"]): (
            row["excluded"],
            row["flagged"],
            row["revoked"],
            row["cleared"],
            row["open"],
        )
        for row in selectors.eligibility_by_wave_and_source()
    }
    assert numbers == {(7, "bsu"): (2, 3, 1, 1, 1), (7, "asn"): (1, 0, 0, 0, 0)}

    client.force_login(staff_with("view_program_dashboard"))
    with django_assert_max_num_queries(25):
        body = client.get(URL).content.decode()
    section = body.split('id="kelayakan"')[1].split("</section>")[0]
    assert "Penerima BSU (Bantuan Subsidi Upah)" in section
    assert "ASN (Aparatur Sipil Negara)" in section
    bsu = next(row for row in section.split("<tr") if "Penerima BSU" in row)
    assert [cell.split("<")[0] for cell in bsu.split('class="num">')[1:]] == [
        "2",
        "3",
        "1",
        "1",
        "1",
    ]
