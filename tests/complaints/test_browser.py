"""A real browser at phone size: a guest and a participant file complaints, staff answer in the
admin, and both see the answer."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from playwright.sync_api import expect

from complaints.models import Complaint
from participants.models import User
from tests.factories import DEFAULT_PASSWORD, ParticipantFactory, UserFactory
from tests.staff import staff_totp_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_complaint(page, *, topic: str, description: str, name=None, phone=None, email=None):
    if name is not None:
        page.get_by_label("Nama lengkap").fill(name)
    if phone is not None:
        page.get_by_label("Nomor HP").fill(phone)
    if email is not None:
        page.get_by_label("Email").fill(email)
    page.get_by_label("Kategori").select_option(label=topic)
    page.get_by_label("Uraian pengaduan").fill(description)
    page.get_by_label(re.compile("Saya setuju")).check()
    page.get_by_role("button", name="Kirim pengaduan").click()


def staff_answers(page, live_server, complaint: Complaint, *, reply: str, status: str):
    page.goto(f"{live_server.url}/admin/complaints/complaint/{complaint.pk}/change/")
    page.get_by_label("Balasan untuk pelapor").fill(reply)
    page.get_by_label("Ubah status").select_option(label=status)
    page.get_by_role("button", name="Simpan", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/complaints/complaint/(\?.*)?$"))


def staff_desk(browser, live_server, email: str, password: str):
    """A desktop browser context signed in to the admin; returns (context, page)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    desk = context.new_page()
    desk.goto(live_server.url + "/admin/login/")
    desk.get_by_label("Email").fill(email)
    desk.get_by_label(re.compile("[Ss]andi")).fill(password)
    desk.fill("#id_otp_token", staff_totp_token(User.objects.get(email=email)))
    desk.get_by_role("button", name=re.compile("Masuk|Log in")).click()
    return context, desk


@pytest.fixture
def officer():
    user = UserFactory(is_staff=True, email="petugas@prakerja.local")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_complaint", "change_complaint"])
    )
    return user


def test_guest_and_participant_file_complaints_staff_answer_and_they_see_the_answers(
    page, live_server, officer, browser
):
    # A guest finds the form in the footer of the home page.
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Formulir Pengaduan").click()
    assert page.bytes_on_wire() < 50 * 1024
    page.screenshot(path="test-artifacts/screenshots/complaint_form.png", full_page=True)
    fill_complaint(
        page,
        name="Tamu Pelapor",
        phone="081233334444",
        email="tamu@contoh.id",
        topic="Registrasi: gagal buat akun",
        description="Tombol Daftar tidak merespons setelah saya isi email dan kata sandi.",
    )
    guest_complaint = Complaint.objects.get(email="tamu@contoh.id")
    expect(page.get_by_text(guest_complaint.ticket_number).first).to_be_visible()
    guest_link = re.search(r"https?://\S+/pengaduan/lacak/\S+/", mail.outbox[-1].body).group(0)
    guest_link = re.sub(r"^https?://[^/]+", live_server.url, guest_link)

    # A participant logs in; the form knows who they are.
    participant = ParticipantFactory(phone="+6281255556666")
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="id-ID")
    other = context.new_page()
    other.goto(live_server.url + "/masuk/")
    other.get_by_label("Email").fill(participant.user.email)
    other.get_by_label(re.compile("[Ss]andi")).fill(DEFAULT_PASSWORD)
    other.get_by_role("button", name="Masuk").click()
    other.goto(live_server.url + "/pengaduan/")
    assert other.get_by_label("Email").input_value() == participant.user.email
    fill_complaint(
        other,
        topic="Insentif",
        description="Insentif bulan pertama belum masuk ke rekening BNI saya.",
    )
    own = Complaint.objects.get(user=participant.user)
    expect(other.get_by_role("heading", name=f"Pengaduan {own.ticket_number}")).to_be_visible()
    # Staff answer both in the admin, on a desktop browser of their own.
    staff_context, desk = staff_desk(browser, live_server, officer.email, DEFAULT_PASSWORD)
    desk.goto(live_server.url + "/admin/complaints/complaint/?category=insentif")
    expect(desk.get_by_role("link", name=own.ticket_number)).to_be_visible()
    staff_answers(
        desk,
        live_server,
        own,
        reply="Insentif Anda dijadwalkan ulang minggu ini.",
        status="Selesai",
    )
    desk.screenshot(path="test-artifacts/screenshots/complaint_admin_queue.png", full_page=True)
    staff_answers(
        desk,
        live_server,
        guest_complaint,
        reply="Silakan coba lagi dengan peramban terbaru.",
        status="Diproses",
    )
    staff_context.close()
    replies = [m for m in mail.outbox if m.subject.startswith("Balasan pengaduan")]
    assert {m.to[0] for m in replies} == {participant.user.email, "tamu@contoh.id"}

    # The participant sees the answer from their complaints page.
    other.goto(live_server.url + "/pengaduan/saya/")
    other.get_by_role("link", name=own.ticket_number).click()
    expect(other.get_by_text("Insentif Anda dijadwalkan ulang minggu ini.")).to_be_visible()
    expect(other.get_by_text("Selesai", exact=True).first).to_be_visible()
    other.screenshot(
        path="test-artifacts/screenshots/complaint_participant_answer.png", full_page=True
    )
    context.close()

    # The guest follows the link from the email.
    page.goto(guest_link)
    assert page.bytes_on_wire() < 50 * 1024
    expect(page.get_by_text("Silakan coba lagi dengan peramban terbaru.")).to_be_visible()
    expect(page.get_by_text("Diproses", exact=True).first).to_be_visible()


@pytest.mark.parametrize("who", ["demo_staff", "documented_officer"])
def test_staff_answer_reassign_and_close_a_complaint_and_the_participant_sees_it(
    page, live_server, browser, who
):
    from complaints import services
    from complaints.admin import COMPLAINT_OFFICER_PERMISSIONS
    from participants import demo

    if who == "demo_staff":
        # Exactly as seed_demo creates it: a superuser.
        staff = User.objects.create_superuser(
            email=demo.STAFF_EMAIL, password=demo.DEMO_PASSWORD, full_name="Staf Prakerja"
        )
        password = demo.DEMO_PASSWORD
    else:
        staff = UserFactory(is_staff=True, email="petugas.dok@prakerja.local")
        for perm in COMPLAINT_OFFICER_PERMISSIONS:
            app_label, codename = perm.split(".")
            staff.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        password = DEFAULT_PASSWORD
    colleague = UserFactory(is_staff=True, email="rekan@prakerja.local", full_name="Rekan")
    participant = ParticipantFactory(phone="+6281277778888")
    complaint = services.submit_complaint(
        name=participant.user.full_name,
        phone=participant.phone,
        email=participant.user.email,
        category="pembelian",
        description="Voucher belum muncul setelah pembayaran berhasil.",
        user=participant.user,
    )
    mail.outbox.clear()

    staff_context, desk = staff_desk(browser, live_server, staff.email, password)
    desk.goto(live_server.url + "/admin/complaints/complaint/")
    expect(
        desk.get_by_role("columnheader", name=re.compile("Respons pertama", re.I))
    ).to_be_visible()
    desk.get_by_role("link", name=complaint.ticket_number).click()

    # 1. Answer (the demo staff account is a superuser: the page used to fail with a 500 here).
    desk.get_by_label("Balasan untuk pelapor").fill("Voucher Anda sudah terbit, silakan cek.")
    desk.get_by_role("button", name="Simpan dan terus mengedit").click()
    expect(desk.locator(".messagelist .success")).to_be_visible()
    expect(desk.get_by_text("Voucher Anda sudah terbit, silakan cek.", exact=True)).to_be_visible()
    # 2. Reassign to a colleague.
    desk.get_by_label("Tugaskan ke").select_option(label=colleague.email)
    desk.get_by_role("button", name="Simpan dan terus mengedit").click()
    expect(desk.locator(".messagelist .success")).to_be_visible()
    # 3. Close.
    desk.get_by_label("Ubah status").select_option(label="Selesai")
    desk.get_by_role("button", name="Simpan", exact=True).click()
    desk.wait_for_url(re.compile(r"/admin/complaints/complaint/(\?.*)?$"))
    desk.screenshot(path=f"test-artifacts/screenshots/complaint_{who}_closed.png")
    staff_context.close()

    complaint.refresh_from_db()
    assert complaint.status == "selesai" and complaint.assigned_to == colleague
    assert [m.to for m in mail.outbox] == [[participant.user.email]]
    assert "Voucher Anda sudah terbit, silakan cek." in mail.outbox[0].body

    page.goto(live_server.url + "/masuk/")
    page.get_by_label("Email").fill(participant.user.email)
    page.get_by_label(re.compile("[Ss]andi")).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.goto(live_server.url + "/pengaduan/saya/")
    page.get_by_role("link", name=complaint.ticket_number).click()
    expect(page.get_by_text("Voucher Anda sudah terbit, silakan cek.")).to_be_visible()
    expect(page.get_by_text("Selesai", exact=True).first).to_be_visible()


def test_the_owner_opens_their_screenshot_without_console_errors(
    page, live_server, settings, tmp_path
):
    """The complaint page links the screenshot; the browser shows it as a bare image document,
    which the policy served with the file must let Chromium style."""
    from django.core.files.base import ContentFile

    from complaints.services import submit_complaint
    from tests.browser_checks import login
    from tests.complaints.conftest import PNG_BYTES

    settings.MEDIA_ROOT = tmp_path
    participant = ParticipantFactory()
    complaint = submit_complaint(
        name="Ani",
        phone="+6281200000001",
        email=participant.user.email,
        category="insentif",
        description="Insentif belum masuk.",
        attachment=ContentFile(PNG_BYTES, name="bukti.png"),
        attachment_type="image/png",
        user=participant.user,
    )
    login(page, live_server.url, participant.user.email, DEFAULT_PASSWORD)
    page.goto(live_server.url + f"/pengaduan/tiket/{complaint.ticket_number}/")
    page.get_by_role("link", name="Lihat tangkapan layar").click()
    page.wait_for_url(re.compile(r"/lampiran/$"))
    page.wait_for_function(
        "() => { const i = document.querySelector('img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
