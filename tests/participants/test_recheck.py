"""The lists applied after selection: the re-check flags, never decides; staff decide with four
eyes (freeze, revoke for ineligibility, clear), through the admin as superusers and as officers
with exactly the documented permissions; payouts to someone under review wait
(docs/eligibility.md, "After selection")."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incentives import services as incentive_services
from participants.eligibility import exceptions, lists, recheck, reviews
from participants.models import (
    AgencyList,
    BlacklistEntry,
    EligibilityReview,
    EligibilityReviewEvent,
    LedgerEntry,
    Participant,
    ParticipantEvent,
)
from tests.factories import ParticipantFactory, UserFactory, make_active_participant
from tests.incentives.helpers import eligible_participant, fake_paid, first_installment
from tests.staff import staff_with

pytestmark = pytest.mark.django_db

S = Participant.Status
RS = EligibilityReview.Status


def put_on_list(source: str, *people: Participant, now=None, **kwargs) -> AgencyList:
    now = now or timezone.now()
    today = timezone.localdate(now)
    niks = [person._nik for person in people] + ["3201010101700999"]
    kwargs.setdefault("list_date", today - dt.timedelta(days=1))
    kwargs.setdefault("valid_until", today + dt.timedelta(days=90))
    result = lists.import_list(
        source=source, stream=io.BytesIO("\n".join(niks).encode()), now=now, **kwargs
    )
    return result.agency_list


def card_holder(status: str) -> Participant:
    extra = {"frozen_from_status": S.ACTIVE} if status == S.FROZEN else {}
    return make_active_participant(status=status, **extra)


@pytest.fixture
def maker():
    return UserFactory(is_staff=True, is_superuser=True, email="pengusul@prakerja.local")


@pytest.fixture
def checker():
    return UserFactory(is_staff=True, is_superuser=True, email="penyetuju@prakerja.local")


# --- the re-check ---------------------------------------------------------------------------------


def test_card_holders_on_an_exclusion_list_are_flagged_and_nothing_else_changes():
    holders = {status: card_holder(status) for status in recheck.RECHECKED}
    applicant = ParticipantFactory()
    revoked = card_holder(S.REVOKED)
    not_listed = card_holder(S.ACTIVE)
    version = put_on_list("bsu", *holders.values(), applicant, revoked)
    before = dict(Participant.objects.values_list("pk", "status"))

    summary = recheck.recheck()

    assert summary.flagged == len(holders) and summary.by_source == {"bsu": len(holders)}
    flagged = EligibilityReview.objects.all()
    assert {r.participant_id for r in flagged} == {p.pk for p in holders.values()}
    assert all(
        (r.source, r.agency_list_id, r.status) == ("bsu", version.pk, RS.OPEN) for r in flagged
    )
    assert {r.wave_id for r in flagged} == {p.wave_id for p in holders.values()}
    assert dict(Participant.objects.values_list("pk", "status")) == before
    assert not BlacklistEntry.objects.exists()
    assert not EligibilityReview.objects.filter(participant__in=[applicant, revoked, not_listed])


def test_a_rerun_flags_nobody_new_and_says_so(capsys):
    person = card_holder(S.ACTIVE)
    put_on_list("asn", person)
    first = recheck.recheck()
    second = recheck.recheck()
    assert (first.flagged, second.flagged) == (1, 0)
    assert "already_ran=" in second.line()
    assert EligibilityReview.objects.count() == 1


def test_the_priority_list_flags_nobody():
    person = card_holder(S.ACTIVE)
    put_on_list("phk", person)
    assert recheck.recheck().flagged == 0


def test_an_exception_keeps_the_person_out_of_the_queue(maker):
    person = card_holder(S.ACTIVE)
    put_on_list("bpum", person)
    exceptions.record_exception(
        nik_value=person._nik,
        source="bpum",
        reason="KemenkopUKM: bukan penerima",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
        actor=maker,
    )
    assert recheck.recheck().flagged == 0


def test_a_list_past_its_validity_flags_nobody():
    person = card_holder(S.ACTIVE)
    today = timezone.localdate()
    put_on_list(
        "tni", person, list_date=today - dt.timedelta(days=100), valid_until=today - dt.timedelta(1)
    )
    assert recheck.recheck().flagged == 0


def test_a_cleared_review_keeps_this_version_from_flagging_again_but_not_a_new_one(maker, checker):
    person = card_holder(S.ACTIVE)
    put_on_list("kemensos", person)
    recheck.recheck()
    review = EligibilityReview.objects.get()
    reviews.propose(review=review, decision="clear", reason="Data lama Kemensos", actor=maker)
    reviews.approve(review=review, actor=checker)
    assert recheck.recheck().flagged == 0
    newer = put_on_list("kemensos", person)
    assert recheck.recheck().flagged == 1
    assert EligibilityReview.objects.get(status=RS.OPEN).agency_list == newer


def test_one_open_review_per_person_and_source_across_versions():
    person = card_holder(S.ACTIVE)
    put_on_list("polri", person)
    recheck.recheck()
    put_on_list("polri", person)
    assert recheck.recheck().flagged == 0
    assert EligibilityReview.objects.filter(status=RS.OPEN).count() == 1


def test_the_command_prints_one_line_and_its_dry_run_flags_nobody():
    person = card_holder(S.ACTIVE)
    put_on_list("dpr_dprd", person)
    out = io.StringIO()
    call_command("recheck_eligibility", "--dry-run", stdout=out)
    assert out.getvalue().strip().startswith("recheck_eligibility: flagged=1 ")
    assert not EligibilityReview.objects.exists()
    out = io.StringIO()
    call_command("recheck_eligibility", stdout=out)
    line = out.getvalue().strip()
    assert "\n" not in line and "flagged=1" in line and "dpr_dprd=1" in line


def test_an_import_queues_the_recheck_after_its_commit(django_capture_on_commit_callbacks):
    person = card_holder(S.ACTIVE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        put_on_list("bumn_bumd", person)
    assert len(callbacks) == 1
    assert EligibilityReview.objects.get().participant == person


# --- four eyes ---------------------------------------------------------------------------------


def flagged(person: Participant, source: str = "bsu") -> EligibilityReview:
    put_on_list(source, person)
    recheck.recheck()
    return EligibilityReview.objects.get(participant=person, source=source)


def test_the_proposer_can_never_approve_and_the_database_agrees(maker):
    review = flagged(card_holder(S.ACTIVE))
    reviews.propose(review=review, decision="revoke", reason="Tercantum BSU 2026", actor=maker)
    with pytest.raises(reviews.CheckerIsMaker):
        reviews.approve(review=review, actor=maker)
    with pytest.raises(reviews.CheckerIsMaker):
        reviews.reject(review=review, reason="x", actor=maker)
    review.refresh_from_db()
    assert review.status == RS.OPEN and review.proposed_decision == "revoke"
    with pytest.raises(IntegrityError), transaction.atomic():
        EligibilityReview.objects.filter(pk=review.pk).update(decided_by=maker, approved_by=maker)


def test_freeze_then_revoke_for_ineligibility(maker, checker):
    person = card_holder(S.ACTIVE)
    review = flagged(person)
    reviews.propose(review=review, decision="freeze", reason="Cek ke BPJS", actor=maker)
    person.refresh_from_db()
    assert person.status == S.ACTIVE  # a proposal alone changes nothing
    reviews.approve(review=review, actor=checker)
    person.refresh_from_db()
    review.refresh_from_db()
    assert (person.status, review.status, review.decided_at) == (S.FROZEN, RS.FROZEN, None)

    reviews.propose(review=review, decision="revoke", reason="BPJS: penerima BSU", actor=checker)
    reviews.approve(review=review, actor=maker)
    person.refresh_from_db()
    review.refresh_from_db()
    assert (person.status, person.revoke_reason, person.balance_idr) == (
        S.REVOKED,
        BlacklistEntry.Reason.INELIGIBLE,
        0,
    )
    assert BlacklistEntry.objects.get(nik_hash=person.nik_hash).reason_code == "ineligible"
    assert LedgerEntry.objects.filter(participant=person, kind="forfeit").exists()
    assert (review.status, review.decision, review.decided_by, review.approved_by) == (
        RS.REVOKED,
        "revoke",
        checker,
        maker,
    )
    assert review.decided_at is not None
    assert list(review.events.values_list("action", "decision", "actor_id")) == [
        ("proposed", "freeze", maker.pk),
        ("approved", "freeze", checker.pk),
        ("proposed", "revoke", checker.pk),
        ("approved", "revoke", maker.pk),
    ]


def test_clearing_a_frozen_review_gives_the_card_back_and_records_why(maker, checker):
    person = card_holder(S.ACTIVE)
    review = flagged(person)
    reviews.propose(review=review, decision="freeze", reason="Cek", actor=maker)
    reviews.approve(review=review, actor=checker)
    reviews.propose(review=review, decision="clear", reason="BPJS: NIK keliru", actor=maker)
    reviews.approve(review=review, actor=checker)
    person.refresh_from_db()
    review.refresh_from_db()
    assert (person.status, review.status) == (S.ACTIVE, RS.CLEARED)
    event = ParticipantEvent.objects.get(participant=person, reason_code="list_flag_cleared")
    assert event.actor == checker and "BPJS: NIK keliru" in event.note


def test_revoking_someone_who_finished_blacklists_them(maker, checker):
    person = card_holder(S.FINISHED)
    review = flagged(person, "asn")
    assert reviews.allowed_decisions(review) == ["revoke", "clear"]  # nothing to freeze
    reviews.propose(review=review, decision="revoke", reason="BKN: ASN aktif", actor=maker)
    reviews.approve(review=review, actor=checker)
    person.refresh_from_db()
    assert person.status == S.FINISHED
    assert BlacklistEntry.objects.get(nik_hash=person.nik_hash).reason_code == "ineligible"


def test_a_rejected_proposal_leaves_the_review_open(maker, checker):
    review = flagged(card_holder(S.ACTIVE))
    reviews.propose(review=review, decision="revoke", reason="x", actor=maker)
    with pytest.raises(reviews.ReviewRefused) as exc:
        reviews.propose(review=review, decision="clear", reason="y", actor=checker)
    assert exc.value.code == "proposal_pending"
    reviews.reject(review=review, reason="Belum dicek ke instansi", actor=checker)
    review.refresh_from_db()
    assert (review.status, review.proposed_decision) == (RS.OPEN, "")
    assert review.events.last().action == EligibilityReviewEvent.Action.REJECTED


def test_a_decided_review_takes_no_more_proposals(maker, checker):
    review = flagged(card_holder(S.ACTIVE))
    reviews.propose(review=review, decision="clear", reason="ok", actor=maker)
    reviews.approve(review=review, actor=checker)
    with pytest.raises(reviews.ReviewRefused) as exc:
        reviews.propose(review=review, decision="revoke", reason="z", actor=maker)
    assert exc.value.code == "review_closed"


# --- payouts wait -------------------------------------------------------------------------------


def test_payouts_to_someone_under_review_wait_until_the_review_ends(maker, checker):
    now = timezone.now()
    person = eligible_participant(now=now)
    review = flagged(person)
    incentive_services.run_disbursement(now=now)
    first = first_installment(person)
    assert first.status == "scheduled" and fake_paid(first) == 0
    reviews.propose(review=review, decision="clear", reason="Bukan penerima BSU", actor=maker)
    reviews.approve(review=review, actor=checker)
    incentive_services.run_disbursement(now=now)
    first.refresh_from_db()
    assert first.status == "paid" and fake_paid(first) == 1


def test_someone_flagged_after_their_installment_was_batched_leaves_the_batch_unpaid():
    now = timezone.now()
    person = eligible_participant(now=now)
    incentive_services.plan_installments(now=now)
    batch = incentive_services.create_batch(now=now)
    assert batch is not None
    flagged(person)
    incentive_services.send_batch(batch=batch, now=now)
    first = first_installment(person)
    assert first.status == "scheduled" and first.batch_id is None and fake_paid(first) == 0


# --- the admin, as superusers and as officers with exactly the documented permissions -----------


@pytest.fixture(params=["superusers", "officers"])
def maker_and_checker(request, maker, checker):
    if request.param == "superusers":
        return maker, checker
    return (
        staff_with(reviews.REVIEW_PROPOSER_PERMISSIONS, "usul@prakerja.local"),
        staff_with(reviews.REVIEW_APPROVER_PERMISSIONS, "setuju@prakerja.local"),
    )


def test_staff_propose_and_approve_through_the_admin(client, maker_and_checker):
    proposer, approver = maker_and_checker
    person = card_holder(S.ACTIVE)
    review = flagged(person)
    url = reverse("admin:participants_eligibilityreview_change", args=[review.pk])
    step = "admin:participants_eligibilityreview_step"

    client.force_login(proposer)
    queue = client.get(reverse("admin:participants_eligibilityreview_changelist"))
    assert queue.status_code == 200 and person.nik_masked in queue.content.decode()
    page = client.get(url).content.decode()
    assert 'id="review-propose"' in page and 'value="freeze"' in page
    response = client.post(
        reverse(step, args=[review.pk, "usulkan"]),
        {"decision": "freeze", "reason": "Cek ke BPJS Ketenagakerjaan"},
        follow=True,
    )
    assert "menunggu persetujuan petugas lain" in response.content.decode()
    page = client.get(url).content.decode()
    assert 'id="review-approve"' not in page  # not for the proposer
    assert "harus diputuskan petugas lain" in page
    client.post(reverse(step, args=[review.pk, "setujui"]))
    person.refresh_from_db()
    assert person.status == S.ACTIVE  # the proposer's own approval was refused

    client.force_login(approver)
    page = client.get(url).content.decode()
    assert 'id="review-approve"' in page and 'id="review-propose"' not in page
    response = client.post(reverse(step, args=[review.pk, "setujui"]), follow=True)
    assert "disetujui dan dijalankan" in response.content.decode()
    person.refresh_from_db()
    review.refresh_from_db()
    assert (person.status, review.status, review.approved_by) == (S.FROZEN, RS.FROZEN, approver)


def test_an_officer_without_the_approve_permission_is_told_why(client, maker):
    review = flagged(card_holder(S.ACTIVE))
    reviews.propose(review=review, decision="revoke", reason="x", actor=maker)
    other = staff_with(reviews.REVIEW_PROPOSER_PERMISSIONS, "usul2@prakerja.local")
    client.force_login(other)
    url = reverse("admin:participants_eligibilityreview_change", args=[review.pk])
    page = client.get(url).content.decode()
    assert "tidak berwenang menyetujui" in page
    client.post(reverse("admin:participants_eligibilityreview_step", args=[review.pk, "setujui"]))
    review.refresh_from_db()
    assert review.status == RS.OPEN


def test_staff_without_the_review_permission_cannot_see_the_queue(client):
    nobody = UserFactory(is_staff=True, email="lain@prakerja.local")
    client.force_login(nobody)
    response = client.get(reverse("admin:participants_eligibilityreview_changelist"))
    assert response.status_code == 403


def test_the_review_queue_stays_within_its_query_budget(
    client, maker, django_assert_max_num_queries
):
    people = [card_holder(S.ACTIVE) for _ in range(5)]
    put_on_list("asn", *people)
    recheck.recheck()
    client.force_login(maker)
    queue = reverse("admin:participants_eligibilityreview_changelist")
    with django_assert_max_num_queries(15):
        assert client.get(queue).status_code == 200
    review = EligibilityReview.objects.first()
    with django_assert_max_num_queries(20):
        page = reverse("admin:participants_eligibilityreview_change", args=[review.pk])
        assert client.get(page).status_code == 200
