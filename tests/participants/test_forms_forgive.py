"""Forms that forgive: Enter saves, no pre-selected gender, help texts wired, refusals lead on."""

import re

import pytest
from django.urls import reverse

from tests.factories import ParticipantFactory, make_nik

from .conftest import BIRTH
from .test_registration import _identity_post

pytestmark = pytest.mark.django_db


def _identity_page(client, new_user, data=None) -> str:
    client.force_login(new_user)
    if data is None:
        return client.get(reverse("identity")).content.decode()
    return client.post(reverse("identity"), data).content.decode()


def test_enter_submits_the_main_action_first_submit_button_is_save(client, areas, new_user):
    body = _identity_page(client, new_user)
    form = body[body.index('id="identitas"') :]
    first_submit = re.search(r"<button[^>]*type=\"submit\"[^>]*>", form).group(0)
    assert 'name="refresh"' not in first_submit


def test_no_gender_is_pre_selected(client, areas, new_user):
    body = _identity_page(client, new_user)
    select = body[body.index('name="gender"') :].split("</select>")[0]
    assert '<option value="" selected>' in select
    assert 'value="M" selected' not in select and 'value="F" selected' not in select


def test_the_identity_page_has_no_inline_script(client, areas, new_user):
    body = _identity_page(client, new_user)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)


def test_help_texts_are_wired_with_aria_describedby_to_the_rendered_ids(client):
    body = client.get(reverse("register")).content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', body)
    assert described
    for ids in described:
        for one in ids.split():
            assert f'id="{one}"' in body, f"{one} is referenced but not rendered"


def test_nik_taken_links_the_complaint_form_with_its_category(client, areas, new_user):
    ParticipantFactory(nik=make_nik(birth_date=BIRTH, serial=77))
    body = _identity_page(client, new_user, _identity_post())
    assert "NIK sudah terdaftar." in body
    assert reverse("complaints:file") + "?kategori=registrasi%3Anik_sudah_terdaftar" in body


def test_every_identity_refusal_says_what_to_do_next(client, areas, new_user):
    body = _identity_page(client, new_user, _identity_post(birth_date="1990-01-01"))
    assert 'id="langkah-berikutnya"' in body
    assert reverse("complaints:file") + "?kategori=registrasi%3Alainnya" in body
