import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from complaints import services
from complaints.admin import COMPLAINT_OFFICER_PERMISSIONS
from complaints.models import Complaint
from participants import demo
from participants.models import User
from tests.admin_forms import submit_change_form
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGE = "/admin/complaints/complaint/{}/change/"
LIST = "/admin/complaints/complaint/"


@pytest.fixture
def officer():
    user = UserFactory(is_staff=True, email="petugas@prakerja.local")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_complaint", "change_complaint"])
    )
    return user


@pytest.fixture
def demo_staff():
    """The demo staff account exactly as ``seed_demo`` creates it: a superuser."""
    return User.objects.create_superuser(
        email=demo.STAFF_EMAIL, password=demo.DEMO_PASSWORD, full_name="Staf Prakerja"
    )


@pytest.fixture
def documented_officer():
    """An officer holding exactly the permissions the README documents for complaint staff."""
    user = UserFactory(is_staff=True, email="petugas.dok@prakerja.local")
    for perm in COMPLAINT_OFFICER_PERMISSIONS:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def make(category="pembelian", age_days=0, **kwargs) -> Complaint:
    return services.submit_complaint(
        name="Rina",
        phone="+6281211112222",
        email="rina@contoh.id",
        category=category,
        description="Voucher tidak bisa ditukarkan di lembaga pelatihan.",
        now=timezone.now() - dt.timedelta(days=age_days),
        **kwargs,
    )


def admin_post(client, complaint, **fields):
    data = {
        "replies-TOTAL_FORMS": "0",
        "replies-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "reply": "",
        "new_status": "",
        "assign_to": "",
        "_save": "Simpan",
    }
    data.update(fields)
    return client.post(CHANGE.format(complaint.pk), data)


def test_staff_reply_reaches_the_participant_by_email_and_moves_the_status(
    client, officer, django_capture_on_commit_callbacks
):
    complaint = make()
    mail.outbox.clear()
    client.force_login(officer)
    assert client.get(CHANGE.format(complaint.pk)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_post(
            client,
            complaint,
            reply="Voucher sudah kami aktifkan kembali.",
            new_status="selesai",
            assign_to=str(officer.pk),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint.refresh_from_db()
    assert complaint.status == "selesai"
    assert complaint.assigned_to == officer
    assert complaint.replies.get().author == officer
    assert [m.to for m in mail.outbox] == [["rina@contoh.id"]]
    assert "Voucher sudah kami aktifkan kembali." in mail.outbox[0].body
    events = list(complaint.events.values_list("kind", "from_status", "to_status", "actor"))
    assert events == [
        ("filed", "", "baru", None),
        ("assignment", "", "", officer.pk),
        ("reply", "", "", officer.pk),
        ("status", "baru", "diproses", officer.pk),
        ("status", "diproses", "selesai", officer.pk),
    ]


def test_a_status_outside_the_allowed_transitions_is_refused_by_the_form(client, officer):
    complaint = make()
    client.force_login(officer)
    response = admin_post(client, complaint, new_status="baru")
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == "baru"
    assert not complaint.events.filter(kind="status").exists()


def test_the_queue_filters_by_category_and_age_and_lists_oldest_first(
    client, officer, django_assert_max_num_queries
):
    old = make(category="insentif", age_days=10)
    make(category="insentif", age_days=0)
    make(category="pembelian", age_days=2)
    client.force_login(officer)
    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"category": "insentif", "umur": "gt7"})
    assert list(response.context["cl"].result_list) == [old]
    response = client.get(LIST)
    tickets = [c.ticket_number for c in response.context["cl"].result_list]
    assert tickets[0] == old.ticket_number
    assert "10 hari" in response.content.decode()


def test_bulk_actions_go_through_the_service(client, officer):
    first, second = make(), make()
    services.change_status(complaint=second, to="selesai", actor=officer)
    client.force_login(officer)
    response = client.post(
        LIST,
        {"action": "mark_in_progress", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "diproses" and second.status == "diproses"
    client.post(LIST, {"action": "assign_to_me", "_selected_action": [first.pk]})
    first.refresh_from_db()
    assert first.assigned_to == officer
    assert response.status_code == 200


def test_staff_cannot_add_complaints_or_edit_what_the_participant_wrote(client, officer):
    complaint = make()
    client.force_login(officer)
    assert client.get("/admin/complaints/complaint/add/").status_code == 403
    admin_post(client, complaint, description="diubah", email="lain@contoh.id")
    complaint.refresh_from_db()
    assert complaint.email == "rina@contoh.id"
    assert complaint.description.startswith("Voucher")


@pytest.mark.parametrize("who", ["demo_staff", "documented_officer"])
def test_every_staff_role_replies_reassigns_and_closes_through_the_rendered_change_form(
    request, client, who, django_capture_on_commit_callbacks
):
    staff = request.getfixturevalue(who)
    colleague = UserFactory(is_staff=True, email="rekan@prakerja.local")
    complaint = make()
    services.reply_to_complaint(complaint=complaint, body="Sedang kami cek.", actor=colleague)
    mail.outbox.clear()
    client.force_login(staff)
    url = CHANGE.format(complaint.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = submit_change_form(
            client,
            url,
            "complaint",
            reply="Voucher sudah aktif kembali.",
            assign_to=str(colleague.pk),
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    with django_capture_on_commit_callbacks(execute=True):
        response = submit_change_form(client, url, "complaint", new_status="selesai")
    assert response.status_code == 302, response.content.decode()[:3000]
    # Saving with nothing typed is harmless too.
    assert submit_change_form(client, url, "complaint").status_code == 302

    complaint.refresh_from_db()
    assert complaint.status == "selesai"
    assert complaint.assigned_to == colleague
    assert complaint.replies.last().body == "Voucher sudah aktif kembali."
    assert complaint.replies.last().author == staff
    assert [m.to for m in mail.outbox] == [["rina@contoh.id"]]
    page = client.get(url).content.decode()
    assert "Voucher sudah aktif kembali." in page


def test_a_canned_reply_for_the_category_is_sent_when_nothing_is_typed(
    client, documented_officer, django_capture_on_commit_callbacks
):
    from complaints.canned import CANNED_REPLIES

    complaint = make(category="insentif")
    key, _label, text = CANNED_REPLIES["insentif"][0]
    client.force_login(documented_officer)
    page = client.get(CHANGE.format(complaint.pk)).content.decode()
    assert f'value="{key}"' in page
    # Canned replies of another category are not offered.
    other_key = CANNED_REPLIES["registrasi"][0][0]
    assert f'value="{other_key}"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = submit_change_form(
            client, CHANGE.format(complaint.pk), "complaint", canned_reply=key
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert complaint.replies.get().body == str(text)
    assert str(text) in mail.outbox[-1].body


@pytest.mark.parametrize("who", ["demo_staff", "documented_officer"])
def test_canned_replies_are_offered_for_the_tickets_own_category_only(client, who, request):
    """A "NIK sudah terdaftar" ticket is offered the NIK reply, not the ones about a failed
    account or a KTP upload; a reply of another category cannot be sent by a crafted form."""
    nik = make(category="registrasi", subcategory="nik_sudah_terdaftar")
    ktp = make(category="registrasi", subcategory="gagal_unggah_ktp")
    client.force_login(request.getfixturevalue(who))
    nik_page = client.get(CHANGE.format(nik.pk)).content.decode()
    ktp_page = client.get(CHANGE.format(ktp.pk)).content.decode()
    assert 'value="registrasi_nik_terdaftar"' in nik_page
    assert 'value="registrasi_ktp"' not in nik_page
    assert 'value="registrasi_gagal_akun"' not in nik_page
    assert 'value="registrasi_ktp"' in ktp_page
    assert 'value="registrasi_nik_terdaftar"' not in ktp_page
    refused = submit_change_form(
        client, CHANGE.format(nik.pk), "complaint", canned_reply="registrasi_ktp"
    )
    assert refused.status_code == 200
    assert not nik.replies.exists()


def test_the_queue_shows_first_response_time_and_filters_by_the_sla(
    client, documented_officer, django_assert_max_num_queries
):
    from complaints.selectors import FIRST_RESPONSE_SLA

    now = timezone.now()
    fast = make(age_days=3)
    services.reply_to_complaint(
        complaint=fast,
        body="Kami cek.",
        actor=documented_officer,
        now=fast.created_at + dt.timedelta(hours=2),
    )
    late = make(age_days=3)
    services.reply_to_complaint(
        complaint=late,
        body="Maaf terlambat.",
        actor=documented_officer,
        now=late.created_at + FIRST_RESPONSE_SLA + dt.timedelta(hours=5),
    )
    waiting_overdue = make(age_days=2)
    waiting_fresh = services.submit_complaint(
        name="Budi",
        phone="+6281211113333",
        email="budi@contoh.id",
        category="lainnya",
        description="Pertanyaan umum tentang program.",
        now=now - dt.timedelta(hours=1),
    )
    client.force_login(documented_officer)
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    page = response.content.decode()
    assert "Respons pertama" in page and "2 jam" in page

    def tickets(sla):
        result = client.get(LIST, {"sla": sla}).context["cl"].result_list
        return {c.ticket_number for c in result}

    assert tickets("terpenuhi") == {fast.ticket_number}
    assert tickets("terlambat") == {late.ticket_number, waiting_overdue.ticket_number}
    assert tickets("menunggu") == {waiting_fresh.ticket_number}
    assert tickets("lewat") == {waiting_overdue.ticket_number}
