"""Uploads are data, never code: every file field accepts a short list of types, checked by
content and by extension; what is served is checked again and sent with a fixed type that no
browser executes; a body larger than its route allows is refused from its Content-Length,
before it is read."""

import socket
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from complaints.models import Complaint
from participants import services
from participants.models import OrientationVideo, Participant
from tests.complaints.conftest import PNG_BYTES
from tests.complaints.test_views import form_data
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.django_db

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 200
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + b"\x00" * 200
)
HTML = b"<!doctype html><script>fetch('/insentif/rekening/')</script>"
JS = b"fetch('/insentif/rekening/').then(r => r.text())"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'

EXECUTABLE_TYPES = ("html", "javascript", "svg", "xml", "ecmascript")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


def orientation_officer():
    """A staff member with exactly the README's orientation-video permissions."""
    from participants.admin import ORIENTATION_OFFICER_PERMISSIONS

    user = UserFactory(is_staff=True)
    for dotted in ORIENTATION_OFFICER_PERMISSIONS:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


STAFF = {"superuser": superuser, "officer": orientation_officer}


def add_video(client, upload, order=7):
    return client.post(
        "/admin/participants/orientationvideo/add/",
        {
            "order": order,
            "title": "Mengenal Prakerja",
            "description": "",
            "url": "",
            "duration_seconds": 60,
            "is_active": "on",
            "file": upload,
            "_save": "Simpan",
        },
    )


# --- orientation videos through the admin ------------------------------------------------------


@pytest.mark.parametrize("who", STAFF)
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("panduan.html", HTML),
        ("panduan.mp4", HTML),  # a page disguised as a video
        ("skrip.js", JS),
        ("skrip.mp4", JS),
        ("gambar.svg", SVG),
        ("gambar.webm", SVG),
        ("panduan.html", MP4),  # video content, executable name
        ("video.webm", MP4),  # name and content disagree
    ],
)
def test_an_orientation_video_that_is_not_mp4_or_webm_is_refused(client, who, name, content):
    client.force_login(STAFF[who]())
    response = add_video(client, SimpleUploadedFile(name, content, content_type="video/mp4"))
    assert response.status_code == 200
    assert "Video harus berupa berkas MP4 atau WebM" in response.content.decode()
    assert not OrientationVideo.objects.filter(order=7).exists()


@pytest.mark.parametrize("who", STAFF)
@pytest.mark.parametrize(
    ("name", "content", "kind"), [("a.mp4", MP4, "mp4"), ("b.WebM", WEBM, "webm")]
)
def test_an_mp4_or_webm_video_is_accepted_and_served_as_video(client, who, name, content, kind):
    client.force_login(STAFF[who]())
    response = add_video(client, SimpleUploadedFile(name, content, content_type="text/html"))
    assert response.status_code == 302, response.content.decode()[:3000]
    video = OrientationVideo.objects.get(order=7)
    assert video.file.name.endswith(f".{kind}")
    assert Path(video.file.name).stem != Path(name).stem  # the uploaded name is never kept

    response = _get_video_as_participant(client, video)
    assert response.status_code == 200
    assert response["Content-Type"] == f"video/{kind}"
    _assert_served_as_data(response, inline=True)
    assert b"".join(response.streaming_content) == content


def _get_video_as_participant(client, video):
    participant = ParticipantFactory()
    services.transition_status(
        participant=participant,
        to=Participant.Status.SELECTED,
        reason_code="selected",
        card_number="5890000000000077",
    )
    client.force_login(participant.user)
    return client.get(f"/orientasi/{video.pk}/video/")


def _assert_served_as_data(response, *, inline: bool):
    content_type = response["Content-Type"].lower()
    assert not any(kind in content_type for kind in EXECUTABLE_TYPES), content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = [d.strip() for d in response["Content-Security-Policy"].split(";")]
    assert policy[0] == "default-src 'none'" and "sandbox" in policy
    assert not any(d.startswith(("script-src", "object-src", "frame-src")) for d in policy)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;" if inline else "attachment;")
    assert ".html" not in disposition and ".js" not in disposition


def test_a_stored_file_that_fails_the_check_is_never_served(client):
    """A file stored before the check existed (or written around it) is checked again."""
    video = OrientationVideo.objects.create(order=9, title="Lama", duration_seconds=5)
    video.file.save("panduan.html", ContentFile(HTML))
    response = _get_video_as_participant(client, video)
    assert response.status_code == 404
    assert b"<script>" not in response.content


# --- complaint screenshots -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("layar.html", PNG_BYTES),  # image content, executable name
        ("layar.svg", PNG_BYTES),
        ("layar.png", SVG),
        ("layar.jpg", HTML),
        ("layar.js", JS),
    ],
)
def test_a_screenshot_that_is_not_png_or_jpeg_is_refused(client, name, content):
    response = client.post("/pengaduan/", form_data(screenshot=SimpleUploadedFile(name, content)))
    assert response.status_code == 200
    assert "Tangkapan layar harus berupa gambar PNG atau JPEG" in response.content.decode()
    assert not Complaint.objects.exists()


def test_a_stored_screenshot_is_checked_again_and_never_served_as_a_page(client):
    participant = ParticipantFactory()
    client.force_login(participant.user)
    client.post("/pengaduan/", form_data(screenshot=SimpleUploadedFile("a.png", PNG_BYTES)))
    complaint = Complaint.objects.get()
    url = f"/pengaduan/tiket/{complaint.ticket_number}/lampiran/"
    good = client.get(url)
    assert good["Content-Type"] == "image/png"
    _assert_served_as_data(good, inline=True)
    # The stored bytes and type are changed behind the form's back (an old row, a restore).
    Path(complaint.attachment.path).write_bytes(HTML)
    Complaint.objects.filter(pk=complaint.pk).update(attachment_type="text/html")
    response = client.get(url)
    assert response.status_code == 404
    assert b"<script>" not in response.content


# --- bodies too large, refused before they are read ---------------------------------------------


def _post_headers_only(live_server, path: str, length: int, session: str = "") -> tuple[int, float]:
    """Send a multipart POST's headers (with a valid CSRF cookie and token, as a browser that
    opened the form has) and the first 64 KiB of a ``length``-byte body, then wait for the
    answer: a server that reads the body first never answers."""
    host, port = live_server.thread.host, live_server.thread.port
    token = "a" * 32
    cookies = f"csrftoken={token}" + (f"; sessionid={session}" if session else "")
    boundary = "----batas"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Cookie: {cookies}\r\nX-CSRFToken: {token}\r\nReferer: {live_server.url}/\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="screenshot"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head + part + PNG_BYTES + b"\x00" * 65536)
        try:
            answer = sock.recv(200)
        except TimeoutError:
            return 0, time.monotonic() - started
    return int(answer.split(b" ", 2)[1]), time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_a_300_mb_guest_screenshot_is_refused_from_its_content_length(live_server, settings):
    status, seconds = _post_headers_only(live_server, "/pengaduan/", 300 * 1024 * 1024)
    assert status == 413
    assert seconds < 5


@pytest.mark.django_db(transaction=True)
def test_an_oversized_admin_video_upload_is_refused_from_its_content_length(live_server, settings):
    settings.ORIENTATION_VIDEO_MAX_BYTES = 1024 * 1024
    staff = Client()
    staff.force_login(superuser())
    path = "/admin/participants/orientationvideo/add/"
    session = staff.cookies["sessionid"].value
    status, seconds = _post_headers_only(live_server, path, 5 * 1024 * 1024, session=session)
    assert status == 413
    assert seconds < 5


def test_the_refusal_of_an_oversized_body_says_what_to_do_next(client, settings):
    response = client.post(
        "/pengaduan/",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
    )
    assert response.status_code == 413
    body = response.content.decode()
    assert 'data-kode="upload_too_large"' in body
    assert "Perkecil" in body
