"""Selection with the state's lists and the civil registry: each exclusion list refuses with its
own reason code, the laid-off workers' list gives the only priority, exceptions and list
validity are respected, an unverified identity is not selected, and the "Belum berhasil" page
names the source and opens the complaint form with its category (docs/eligibility.md)."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from participants import services
from participants.eligibility import exceptions, lists, sources
from participants.models import Application, Participant
from participants.waves.selection import preview_selection, run_selection
from tests.factories import ParticipantFactory, UserFactory

from .test_selection import NOW, apply, closed_wave, outcome, selected_ids

pytestmark = pytest.mark.django_db

R = Application.Reason
TODAY = timezone.localdate(NOW)


def put_on_list(source: str, *people: Participant, **kwargs) -> None:
    """Import a version of ``source``'s list holding these people (and one stranger)."""
    niks = [person._nik for person in people] + ["3201010101700999"]
    kwargs.setdefault("list_date", TODAY - dt.timedelta(days=10))
    kwargs.setdefault("valid_until", TODAY + dt.timedelta(days=90))
    lists.import_list(source=source, stream=io.BytesIO("\n".join(niks).encode()), now=NOW, **kwargs)


@pytest.mark.parametrize("source", sources.EXCLUSION_SOURCES)
def test_each_exclusion_list_refuses_with_the_reason_naming_its_source(source):
    wave = closed_wave()
    listed, free = apply(wave), apply(wave)
    put_on_list(source, listed)
    run = run_selection(wave=wave, now=NOW)
    reason = sources.rule(source).reason_code
    assert outcome(listed) == (Application.Status.NOT_SELECTED, reason)
    assert outcome(free) == (Application.Status.SELECTED, "")
    assert run.counts_by_reason == {reason: 1}


def test_the_first_list_in_the_fixed_order_is_the_reason_given():
    wave = closed_wave()
    person = apply(wave)
    put_on_list("bsu", person)
    put_on_list("asn", person)
    run_selection(wave=wave, now=NOW)
    assert outcome(person)[1] == R.EXCLUDED_ASN


def test_a_declaration_is_the_reason_before_a_list():
    wave = closed_wave()
    person = apply(wave, is_civil_servant=True)
    put_on_list("asn", person)
    run_selection(wave=wave, now=NOW)
    assert outcome(person)[1] == R.CIVIL_SERVANT


def test_the_laid_off_workers_list_is_drawn_first():
    wave = closed_wave(quota_total=2)
    ordinary = [apply(wave) for _ in range(6)]
    laid_off = [apply(wave) for _ in range(2)]
    put_on_list("phk", *laid_off)
    run_selection(wave=wave, seed="satu", now=NOW)
    assert selected_ids(wave) == {p.pk for p in laid_off}
    assert all(outcome(p)[1] == R.QUOTA_FULL for p in ordinary)
    tiers = dict(
        Application.objects.filter(wave=wave).values_list("participant_id", "priority_tier")
    )
    assert {tiers[p.pk] for p in laid_off} == {sources.PRIORITY_TIER}
    assert {tiers[p.pk] for p in ordinary} == {sources.DEFAULT_TIER}


def test_no_officer_can_type_a_priority_tier():
    assert not hasattr(Participant, "priority_tier")
    assert "priority_tier" not in services.CORRECTABLE_FIELDS
    person = ParticipantFactory()
    officer = UserFactory(is_staff=True)
    with pytest.raises(services.profile.FieldNotCorrectable):
        services.correct_profile(
            participant=person, changes={"priority_tier": 0}, reason="PHK", actor=officer
        )


def test_an_exception_lets_the_person_through_for_that_source_only():
    wave = closed_wave()
    contested, also_asn = apply(wave), apply(wave)
    put_on_list("bsu", contested, also_asn)
    put_on_list("asn", also_asn)
    officer = UserFactory(is_staff=True)
    for person in (contested, also_asn):
        exceptions.record_exception(
            nik_value=person._nik,
            source="bsu",
            reason="BPJS: salah input",
            valid_until=TODAY + dt.timedelta(days=30),
            actor=officer,
            now=NOW,
        )
    run_selection(wave=wave, now=NOW)
    assert outcome(contested) == (Application.Status.SELECTED, "")
    assert outcome(also_asn)[1] == R.EXCLUDED_ASN


def test_an_exception_past_its_date_or_ended_is_not_respected():
    wave = closed_wave()
    expired, ended = apply(wave), apply(wave)
    put_on_list("kemensos", expired, ended)
    officer = UserFactory(is_staff=True)
    earlier = NOW - dt.timedelta(days=40)
    exceptions.record_exception(
        nik_value=expired._nik,
        source="kemensos",
        reason="x",
        valid_until=timezone.localdate(earlier) + dt.timedelta(days=5),
        actor=officer,
        now=earlier,
    )
    gone = exceptions.record_exception(
        nik_value=ended._nik,
        source="kemensos",
        reason="x",
        valid_until=TODAY + dt.timedelta(days=5),
        actor=officer,
        now=NOW,
    )
    exceptions.end_exception(exception=gone, reason="Kemensos mengonfirmasi", actor=officer)
    run_selection(wave=wave, now=NOW)
    assert outcome(expired)[1] == outcome(ended)[1] == R.OTHER_AID_KEMENSOS


def test_a_list_past_its_validity_is_not_applied():
    wave = closed_wave()
    person = apply(wave)
    put_on_list(
        "bpum",
        person,
        list_date=TODAY - dt.timedelta(days=200),
        valid_until=TODAY - dt.timedelta(days=1),
    )
    run_selection(wave=wave, now=NOW)
    assert outcome(person) == (Application.Status.SELECTED, "")


def test_only_the_version_in_force_is_applied():
    wave = closed_wave()
    dropped, kept = apply(wave), apply(wave)
    put_on_list("tni", dropped)
    put_on_list("tni", kept)  # the new version no longer names ``dropped``
    run_selection(wave=wave, now=NOW)
    assert outcome(dropped) == (Application.Status.SELECTED, "")
    assert outcome(kept)[1] == R.EXCLUDED_TNI


def test_a_nik_listed_twice_is_decided_once():
    wave = closed_wave()
    person = apply(wave)
    lists.import_list(
        source="polri",
        stream=io.BytesIO(f"{person._nik}\n{person._nik}\n".encode()),
        list_date=TODAY,
        valid_until=TODAY + dt.timedelta(days=30),
        now=NOW,
    )
    run = run_selection(wave=wave, now=NOW)
    assert Application.objects.filter(wave=wave).count() == 1
    assert run.applicants == 1 and run.counts_by_reason == {R.EXCLUDED_POLRI: 1}


@pytest.mark.parametrize("status", ["", "pending", "mismatch"])
def test_an_identity_the_registry_has_not_matched_is_not_selected(status):
    wave = closed_wave()
    person = apply(wave, registry_status=status)
    run_selection(wave=wave, now=NOW)
    assert outcome(person) == (Application.Status.NOT_SELECTED, R.IDENTITY_NOT_VERIFIED)


def test_the_preview_counts_the_list_reasons():
    wave = closed_wave()
    person, _other = apply(wave), apply(wave)
    put_on_list("dpr_dprd", person)
    preview = preview_selection(wave=wave, now=NOW)
    assert preview.counts_by_reason == {R.EXCLUDED_LEGISLATOR: 1}
    assert preview.selected == 1


def test_the_belum_berhasil_page_names_the_source_and_opens_the_right_complaint(client):
    wave = closed_wave()
    person = apply(wave)
    put_on_list("bsu", person)
    run_selection(wave=wave, now=NOW)
    client.force_login(person.user)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Belum berhasil" in page
    assert "Terdaftar sebagai penerima BSU (Bantuan Subsidi Upah)" in page
    assert "BPJS Ketenagakerjaan" in page
    assert "/pengaduan/baru/?kategori=kelayakan%3Absu" in page or "kategori=kelayakan%3Absu" in page
    complaint = client.get(reverse("complaints:file") + "?kategori=kelayakan:bsu").content.decode()
    assert 'value="kelayakan:bsu" selected' in complaint
