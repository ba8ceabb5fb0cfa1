"""Exceptions staff record for a person wrongly named on a list: hash and masked NIK only,
audited, ended early only with a reason; through the admin as the superuser and as an officer
with exactly the documented permissions (selection and the re-check respecting them:
test_selection_lists.py, test_recheck.py)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from participants.eligibility import exceptions
from participants.models import ListException, ParticipantEvent
from prakerja import crypto
from tests.admin_forms import rendered_form
from tests.factories import ParticipantFactory, UserFactory
from tests.staff import staff_with

pytestmark = pytest.mark.django_db

NIK = "3201011506950321"


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")


@pytest.fixture(params=["superuser", "officer"])
def staff(request, superuser):
    if request.param == "superuser":
        return superuser
    return staff_with(exceptions.EXCEPTION_OFFICER_PERMISSIONS, "kelayakan@prakerja.local")


def test_an_exception_keeps_only_the_hash_and_the_masked_nik_and_is_audited(superuser):
    person = ParticipantFactory(nik=NIK)
    until = timezone.localdate() + dt.timedelta(days=90)
    exception = exceptions.record_exception(
        nik_value=NIK,
        source="bsu",
        reason="BPJS Ketenagakerjaan: NIK salah input oleh pemberi kerja",
        valid_until=until,
        complaint_ticket="ADU-7KQ2M9XH",
        actor=superuser,
    )
    row = ListException.objects.values().get(pk=exception.pk)
    assert row["nik_hash"] == crypto.keyed_hash(NIK)
    assert row["nik_masked"] == "************0321"
    assert NIK not in repr(row)
    assert (row["source"], row["valid_until"], row["created_by_id"]) == ("bsu", until, superuser.pk)
    event = ParticipantEvent.objects.get(participant=person, kind="eligibility")
    assert (event.reason_code, event.actor) == ("list_exception_recorded", superuser)
    assert "bsu" in event.note


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"nik_value": "12345"}, "nik_format"),
        ({"reason": "  "}, "reason_required"),
        ({"source": "pns"}, "list_source_unknown"),
        ({"valid_until": dt.date(2000, 1, 1)}, "valid_until_past"),
    ],
)
def test_an_incomplete_exception_is_refused(superuser, changes, code):
    data = {
        "nik_value": NIK,
        "source": "bsu",
        "reason": "Sudah berhenti menerima BSU",
        "valid_until": timezone.localdate(),
        "actor": superuser,
    }
    data.update(changes)
    with pytest.raises(exceptions.ExceptionRefused) as exc:
        exceptions.record_exception(**data)
    assert exc.value.code == code
    assert not ListException.objects.exists()


def test_an_exception_is_in_force_until_its_last_day_or_its_end(superuser):
    today = timezone.localdate()
    exception = exceptions.record_exception(
        nik_value=NIK, source="asn", reason="Honorer, bukan ASN", valid_until=today, actor=superuser
    )
    assert exceptions.active_exceptions(on=today).filter(pk=exception.pk).exists()
    assert not exceptions.active_exceptions(on=today + dt.timedelta(days=1)).exists()
    with pytest.raises(exceptions.ExceptionRefused):
        exceptions.end_exception(exception=exception, reason=" ", actor=superuser)
    exceptions.end_exception(exception=exception, reason="BKN mengonfirmasi ASN", actor=superuser)
    assert not exceptions.active_exceptions(on=today).exists()
    with pytest.raises(exceptions.ExceptionRefused) as exc:
        exceptions.end_exception(exception=exception, reason="lagi", actor=superuser)
    assert exc.value.code == "already_ended"


def test_staff_record_an_exception_in_the_admin(client, staff):
    ParticipantFactory(nik=NIK)
    client.force_login(staff)
    url = reverse("admin:participants_listexception_add")
    page = client.get(url)
    assert page.status_code == 200
    data = rendered_form(page.content.decode(), "listexception_form")
    until = timezone.localdate() + dt.timedelta(days=30)
    data.update(
        nik=[NIK],
        source=["bsu"],
        reason=["Slip gaji menunjukkan bukan penerima BSU"],
        complaint_ticket=["ADU-7KQ2M9XH"],
        valid_until=[until.isoformat()],
        _save=["Simpan"],
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    exception = ListException.objects.get()
    assert (exception.nik_hash, exception.created_by) == (crypto.keyed_hash(NIK), staff)
    changelist = client.get(reverse("admin:participants_listexception_changelist"))
    assert "************0321" in changelist.content.decode()
    assert NIK not in changelist.content.decode()
    # Ending it early asks a reason.
    response = client.post(
        reverse("admin:participants_listexception_changelist"),
        {
            "action": "end_exceptions",
            "_selected_action": [exception.pk],
            "apply": "1",
            "reason": "BPJS mengonfirmasi data awal",
        },
    )
    assert response.status_code == 302
    exception.refresh_from_db()
    assert (exception.ended_by, exception.end_reason) == (staff, "BPJS mengonfirmasi data awal")


def test_a_past_date_in_the_admin_is_refused_with_a_message(client, superuser):
    client.force_login(superuser)
    url = reverse("admin:participants_listexception_add")
    data = rendered_form(client.get(url).content.decode(), "listexception_form")
    data.update(
        nik=[NIK],
        source=["bsu"],
        reason=["x"],
        valid_until=["2000-01-01"],
        _save=["Simpan"],
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "tidak boleh sebelum hari ini" in response.content.decode()
    assert not ListException.objects.exists()
