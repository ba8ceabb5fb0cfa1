"""A real browser (Chromium, phone size) in the admin: an officer blacklists an active participant
for fraud and the partner API refuses the card over signed HTTP while the dashboard explains why;
staff correct a decisive field through the audited action, which the plain form cannot change."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from participants.models import BlacklistEntry, Participant, User
from tests.factories import (
    DEFAULT_PASSWORD,
    ParticipantFactory,
    UserFactory,
    make_active_participant,
)
from tests.participants.test_staff_actions import OFFICER_PERMISSIONS
from tests.staff import staff_totp_token
from tests.trainings.partner import PartnerClient, make_offering
from trainings import services as training_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def admin_login(page, base: str, email: str) -> None:
    page.goto(base + "/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.fill("#id_otp_token", staff_totp_token(User.objects.get(email=email)))
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def start_payment(partner: PartnerClient, card, offering, order: str):
    return partner.post(
        "/payments",
        {
            "card_number": card.card_number,
            "offering_code": offering.code,
            "partner_order_id": order,
        },
    )


def test_a_fraud_blacklist_in_the_admin_stops_the_card_and_the_dashboard_says_why(
    page, live_server
):
    base = live_server.url
    officer = UserFactory(is_staff=True, email="petugas@prakerja.local")
    officer.user_permissions.add(*Permission.objects.filter(codename__in=OFFICER_PERMISSIONS))
    card = make_active_participant()
    offering = make_offering(price_idr=250_000)
    key, secret = training_services.issue_partner_key(platform=offering.platform)
    partner = PartnerClient(base, key, secret)
    assert start_payment(partner, card, offering, "ORD-1").status_code == 201

    admin_login(page, base, officer.email)
    page.goto(base + "/admin/participants/blacklistentry/add/")
    page.fill("#id_participant", str(card.pk))
    page.select_option("#id_reason_code", "fraud")
    page.fill("#id_note", "Memakai KTP milik orang lain (laporan #31)")
    page.fill("#id_participant_reason", "KTP yang Anda pakai bukan milik Anda.")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/participants/blacklistentry/$"))
    entry = BlacklistEntry.objects.get(nik_hash=card.nik_hash)
    assert (entry.reason_code, entry.created_by_id) == ("fraud", officer.pk)
    page.click("#logout-form button")

    # The platform tries the card again: refused over signed HTTP, nothing to pay with.
    response = start_payment(partner, card, offering, "ORD-2")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "card_revoked"
    card.refresh_from_db()
    assert (card.status, card.balance_idr) == (Participant.Status.REVOKED, 0)

    # The participant's dashboard says what happened and what it means.
    page.goto(base + "/masuk/")
    page.fill("#id_username", card.user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("#status")).to_have_text("Kepesertaan dicabut")
    expect(page.get_by_text("Kecurangan / penyalahgunaan")).to_be_visible()
    expect(page.locator("#alasan-petugas")).to_have_text("KTP yang Anda pakai bukan milik Anda.")
    assert "laporan #31" not in page.locator("main").inner_text()
    expect(page.locator("#penjelasan")).to_contain_text("tidak dapat lagi dipakai membeli")


def test_staff_correct_a_decisive_field_and_the_history_shows_who_when_why_old_and_new(
    page, live_server
):
    base = live_server.url
    UserFactory(is_staff=True, is_superuser=True, email="staf@prakerja.local")
    person = ParticipantFactory(employment_status="unemployed", is_student=False)
    change_url = f"{base}/admin/participants/participant/{person.pk}/change/"

    admin_login(page, base, "staf@prakerja.local")
    page.goto(change_url)
    # The plain form shows the decisive fields but has no input for them.
    for name in ("education", "is_student", "birth_date", "gender", "status"):
        expect(page.locator(f"#id_{name}")).to_have_count(0)
    expect(page.locator(".field-education .readonly")).to_have_text("SMA/SMK/sederajat")

    page.get_by_role("link", name="Koreksi data profil").click()
    expect(page.locator("#id_priority_tier")).to_have_count(0)  # follows the agencies' lists
    page.select_option("#id_employment_status", "laid_off")
    page.fill("#id_reason", "Tercantum di daftar korban PHK Kemnaker (surat 12/2026)")
    page.get_by_role("button", name="Simpan koreksi").click()
    page.wait_for_url(change_url)
    expect(page.locator(".messagelist")).to_contain_text("1 data dikoreksi")

    row = page.locator("tr", has_text="employment_status")
    expect(row).to_contain_text("staf@prakerja.local")  # who
    expect(row).to_contain_text("Tercantum di daftar korban PHK Kemnaker")  # why
    expect(row.locator(".field-old")).to_have_text("unemployed")  # old
    expect(row.locator(".field-new")).to_have_text("laid_off")  # new
    expect(row.locator(".field-created_at")).not_to_be_empty()  # when
    person.refresh_from_db()
    assert person.employment_status == "laid_off"
