from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from complaints import notifications, services
from complaints.models import Complaint
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/pengaduan/"


def form_data(**overrides) -> dict:
    data = {
        "name": "Rina Wati",
        "phone": "0812-1111-2222",
        "email": "rina@contoh.id",
        "topic": "registrasi:nik_sudah_terdaftar",
        "description": "NIK saya dinyatakan sudah terdaftar padahal belum pernah daftar.",
        "consent": "on",
    }
    data.update(overrides)
    return data


def test_the_form_is_linked_from_every_page_footer_also_for_guests(client):
    response = client.get("/")
    assert f'href="{URL}"' in response.content.decode()
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="consent"' in body and 'enctype="multipart/form-data"' in body
    assert "NIK sudah terdaftar" in body


def test_a_guest_files_a_complaint_and_follows_it_through_the_signed_link(
    client, django_capture_on_commit_callbacks
):
    # The link is signed with a timestamp: the clock stands still, so the link the page made
    # and the one made here to compare carry the same second.
    with (
        time_machine.travel(timezone.now(), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(URL, form_data(), follow=True)
        complaint = Complaint.objects.get()
        expected = reverse(
            "complaints:track", kwargs={"token": notifications.tracking_token(complaint)}
        )
    assert complaint.user is None
    assert complaint.category == "registrasi" and complaint.subcategory == "nik_sudah_terdaftar"
    assert complaint.phone == "+6281211112222"
    assert response.redirect_chain[-1][0] == expected
    assert complaint.ticket_number in response.content.decode()
    assert complaint.ticket_number in mail.outbox[0].body


def test_a_tampered_tracking_link_is_not_found(client):
    complaint = services.submit_complaint(
        name="A", phone="+628121", email="a@contoh.id", category="lainnya", description="x" * 30
    )
    token = notifications.tracking_token(complaint)
    assert client.get(f"/pengaduan/lacak/{token}/").status_code == 200
    assert client.get(f"/pengaduan/lacak/{token}x/").status_code == 404


def test_consent_is_required(client):
    data = form_data()
    del data["consent"]
    response = client.post(URL, data)
    assert response.status_code == 200
    assert "Persetujuan wajib dicentang." in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_participant_is_prefilled_and_sees_the_complaint_among_their_own(
    client, django_assert_max_num_queries
):
    participant = ParticipantFactory(phone="+6281299998888")
    client.force_login(participant.user)
    body = client.get(URL).content.decode()
    assert participant.user.email in body and "+6281299998888" in body
    response = client.post(URL, form_data(email=participant.user.email), follow=True)
    complaint = Complaint.objects.get()
    assert complaint.user == participant.user
    assert response.redirect_chain[-1][0] == f"/pengaduan/tiket/{complaint.ticket_number}/"
    with django_assert_max_num_queries(6):
        listing = client.get("/pengaduan/saya/")
    assert complaint.ticket_number in listing.content.decode()


def test_the_detail_page_shows_replies_in_few_queries(client, django_assert_max_num_queries):
    owner = ParticipantFactory()
    complaint = services.submit_complaint(
        name="A",
        phone="+628121",
        email="a@contoh.id",
        category="pembelian",
        description="x" * 30,
        user=owner.user,
    )
    officer = UserFactory(is_staff=True)
    for n in range(3):
        services.reply_to_complaint(complaint=complaint, body=f"Balasan {n}", actor=officer)
    client.force_login(owner.user)
    with django_assert_max_num_queries(4):
        response = client.get(f"/pengaduan/tiket/{complaint.ticket_number}/")
    body = response.content.decode()
    assert all(f"Balasan {n}" in body for n in range(3))
    assert officer.email not in body  # staff are shown as "Petugas Prakerja", not by name


def test_nobody_else_sees_a_participants_complaint(client):
    owner = ParticipantFactory()
    complaint = services.submit_complaint(
        name="A",
        phone="+628121",
        email="a@contoh.id",
        category="lainnya",
        description="x" * 30,
        user=owner.user,
    )
    client.force_login(UserFactory())
    assert client.get(f"/pengaduan/tiket/{complaint.ticket_number}/").status_code == 404


def test_the_dashboard_section_shows_the_latest_complaints(client):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    participant = ParticipantFactory()
    services.submit_complaint(
        name="A",
        phone="+628121",
        email="a@contoh.id",
        category="insentif",
        description="x" * 30,
        user=participant.user,
    )
    request = RequestFactory().get("/dasbor/")
    request.user = participant.user
    html = render_to_string(
        "complaints/_dashboard_section.html", {"user": participant.user}, request=request
    )
    assert "Insentif" in html and "Baru" in html


# --- attachments --------------------------------------------------------------------------------


def test_a_png_screenshot_is_stored_outside_the_web_root_and_served_to_owner_and_staff(
    client, png_bytes
):
    participant = ParticipantFactory()
    client.force_login(participant.user)
    # The type the browser names is ignored; the content and the extension decide.
    upload = SimpleUploadedFile("Layar.PNG", png_bytes, content_type="application/octet-stream")
    client.post(URL, form_data(screenshot=upload))
    complaint = Complaint.objects.get()
    stored = Path(complaint.attachment.path)
    assert stored.is_file() and stored.suffix == ".png"
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT))
    assert complaint.attachment_type == "image/png"
    url = f"/pengaduan/tiket/{complaint.ticket_number}/lampiran/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes
    # Another participant: not found. A guest: sent to log in. Staff with the permission: served.
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    officer = UserFactory(is_staff=True)
    officer.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    client.force_login(officer)
    assert client.get(url).status_code == 200
    # The media URL itself serves nothing.
    assert client.get(settings.MEDIA_URL + complaint.attachment.name).status_code == 404


def test_a_guest_sees_their_screenshot_through_the_signed_link(client, png_bytes):
    client.post(URL, form_data(screenshot=SimpleUploadedFile("a.png", png_bytes)))
    complaint = Complaint.objects.get()
    token = notifications.tracking_token(complaint)
    response = client.get(f"/pengaduan/lacak/{token}/lampiran/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_a_file_that_is_not_png_or_jpeg_by_content_is_refused_whatever_its_name(client):
    fake = SimpleUploadedFile("layar.png", b"%PDF-1.7 not an image", content_type="image/png")
    response = client.post(URL, form_data(screenshot=fake))
    assert response.status_code == 200
    assert "harus berupa gambar PNG atau JPEG" in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_jpeg_is_accepted(client):
    jpeg = SimpleUploadedFile("foto.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 100)
    client.post(URL, form_data(screenshot=jpeg))
    assert Complaint.objects.get().attachment_type == "image/jpeg"


def test_a_screenshot_over_the_size_limit_is_refused(client, settings, png_bytes):
    settings.COMPLAINT_ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("besar.png", png_bytes + b"\0" * 2000)
    response = client.post(URL, form_data(screenshot=big))
    assert "Ukuran berkas maksimal" in response.content.decode()
    assert not Complaint.objects.exists()


# --- rate limits --------------------------------------------------------------------------------


def test_filing_is_rate_limited_per_email(client, settings):
    settings.RATELIMIT_ENABLE = True  # off by default under the test runner
    settings.COMPLAINT_RATE_PER_EMAIL = "2/h"
    for n in range(2):
        response = client.post(URL, form_data(), REMOTE_ADDR=f"10.0.0.{n + 1}")
        assert response.status_code == 302
    response = client.post(URL, form_data(), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "Terlalu banyak pengaduan" in response.content.decode()
    assert Complaint.objects.count() == 2
    # Another email from a fresh address still gets through.
    response = client.post(URL, form_data(email="lain@contoh.id"), REMOTE_ADDR="10.0.0.10")
    assert response.status_code == 302


def test_filing_is_rate_limited_per_ip(client, settings):
    settings.RATELIMIT_ENABLE = True  # off by default under the test runner
    settings.COMPLAINT_RATE_PER_IP = "3/h"
    # An address of its own: parallel test workers share the Redis counters.
    address = "10.77.7.7"
    for n in range(3):
        response = client.post(URL, form_data(email=f"orang{n}@contoh.id"), REMOTE_ADDR=address)
        assert response.status_code == 302
    response = client.post(URL, form_data(email="orang9@contoh.id"), REMOTE_ADDR=address)
    assert response.status_code == 429
    assert Complaint.objects.count() == 3


def test_a_tracking_link_expires(client, settings):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    complaint = services.submit_complaint(
        name="Rina Wati",
        phone="081211112222",
        email="rina@contoh.id",
        category="registrasi",
        subcategory="nik_sudah_terdaftar",
        description="NIK saya dinyatakan sudah terdaftar padahal belum pernah daftar.",
        attachment=None,
        attachment_type="",
        user=None,
    )
    settings.COMPLAINT_TRACKING_MAX_AGE_SECONDS = 30 * 24 * 3600
    url = reverse("complaints:track", kwargs={"token": notifications.tracking_token(complaint)})
    assert client.get(url).status_code == 200
    later = timezone.now() + dt.timedelta(days=31)
    with time_machine.travel(later):
        assert client.get(url).status_code == 404
