"""Production error pages (DEBUG off) are Indonesian, for participants and for staff."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.views import defaults

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def test_a_missing_page_is_indonesian_and_leads_home(client):
    response = client.get("/halaman-yang-tidak-ada/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Halaman tidak ditemukan" in body
    assert "Not Found" not in body
    assert 'href="/"' in body


def test_a_missing_admin_page_leads_staff_back_to_the_admin(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/tidak-ada/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Halaman tidak ditemukan" in body
    assert 'href="/admin/"' in body


def test_a_forbidden_admin_page_is_indonesian(client):
    client.force_login(UserFactory(is_staff=True))
    response = client.get("/admin/complaints/complaint/add/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Akses ditolak" in body
    assert "Forbidden" not in body


def test_the_server_error_page_is_indonesian_and_needs_no_context(rf):
    request = rf.get("/dasbor/")
    request.user = AnonymousUser()
    response = defaults.server_error(request)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Terjadi kesalahan" in body
    assert "Server Error" not in body
