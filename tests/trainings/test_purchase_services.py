"""The purchase services: card rules, OTP, exactly-once debit, vouchers and their life."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from participants import services as participant_services
from participants.models import LedgerEntry, Participant
from tests.factories import PlatformFactory, ProviderFactory, make_active_participant
from tests.trainings.partner import complete_voucher, last_otp, make_offering
from trainings import services
from trainings.models import Payment, Voucher
from trainings.services import errors
from trainings.services.purchases import VOUCHER_ALPHABET

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def card():
    return make_active_participant(now=NOW)


@pytest.fixture
def offering():
    return make_offering(price_idr=250_000)


def start(card, offering, *, order="ORD-1", capture=None):
    if capture is None:
        return services.start_payment(
            platform=offering.platform,
            card_number=card.card_number,
            offering_code=offering.code,
            partner_order_id=order,
        )
    with capture(execute=True):
        return services.start_payment(
            platform=offering.platform,
            card_number=card.card_number,
            offering_code=offering.code,
            partner_order_id=order,
        )


def buy(card, offering, capture, *, order="ORD-1"):
    payment = start(card, offering, order=order, capture=capture)
    return services.confirm_payment(
        platform=offering.platform, payment_id=payment.pk, otp=last_otp(card.phone)
    )


def test_start_payment_sends_a_six_digit_otp_to_the_registered_phone_and_stores_only_a_hash(
    card, offering, sms_outbox, django_capture_on_commit_callbacks
):
    payment = start(card, offering, capture=django_capture_on_commit_callbacks)
    assert payment.status == Payment.Status.OTP_SENT
    assert payment.amount_idr == 250_000
    assert payment.otp_expires_at == NOW + dt.timedelta(minutes=5)
    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == card.phone
    code = last_otp(card.phone)
    assert code not in payment.otp_hash
    assert "Rp250.000" in sms_outbox[0].text


def test_payment_starts_per_card_are_limited_within_the_window(card, offering, settings):
    settings.OTP_MAX_PER_WINDOW = 2
    settings.OTP_WINDOW_SECONDS = 900
    start(card, offering, order="A")
    start(card, offering, order="B")
    with pytest.raises(errors.OtpRateLimited):
        start(card, offering, order="C")
    with time_machine.travel(NOW + dt.timedelta(seconds=901), tick=False):
        assert start(card, offering, order="D").status == Payment.Status.OTP_SENT


@pytest.mark.parametrize("number", ["", "123", "5890000000000000", "abcdabcdabcdabcd"])
def test_malformed_or_unknown_card_number_is_card_not_found(offering, number):
    with pytest.raises(errors.CardNotFound):
        services.start_payment(
            platform=offering.platform,
            card_number=number,
            offering_code=offering.code,
            partner_order_id="x",
        )


def test_valid_luhn_number_that_no_one_holds_is_card_not_found(offering):
    from participants.cards import numbers as card_numbers

    with pytest.raises(errors.CardNotFound):
        services.start_payment(
            platform=offering.platform,
            card_number=card_numbers.new_card_number(),
            offering_code=offering.code,
            partner_order_id="x",
        )


def test_offering_of_another_platform_is_not_found(card, offering):
    with pytest.raises(errors.OfferingNotFound):
        services.start_payment(
            platform=PlatformFactory(),
            card_number=card.card_number,
            offering_code=offering.code,
            partner_order_id="x",
        )


def test_selected_but_not_oriented_card_is_not_active(offering):
    card = make_active_participant(status=Participant.Status.SELECTED, oriented_at=None)
    with pytest.raises(errors.CardNotActive) as exc:
        start(card, offering)
    assert exc.value.code == "card_not_active"


def test_revoked_card_is_refused(card, offering):
    participant_services.revoke_participation(participant=card, reason_code="fraud")
    with pytest.raises(errors.CardRevoked):
        start(card, offering)


def test_card_past_its_first_purchase_deadline_is_refused_as_revoked(card, offering):
    Participant.objects.filter(pk=card.pk).update(first_purchase_deadline=NOW - dt.timedelta(1))
    with pytest.raises(errors.DomainError) as exc:
        start(card, offering)
    assert exc.value.code == "card_revoked"


def test_expired_balance_is_refused(card, offering):
    Participant.objects.filter(pk=card.pk).update(balance_expires_at=NOW - dt.timedelta(1))
    with pytest.raises(errors.BalanceExpired):
        start(card, offering)


def test_training_priced_above_the_balance_is_refused(card):
    expensive = make_offering(price_idr=1_000_001)
    with pytest.raises(errors.InsufficientBalance):
        start(card, expensive)


def test_partner_order_id_is_unique_per_platform(card, offering):
    start(card, offering, order="A")
    with pytest.raises(errors.DuplicatePartnerOrder):
        start(card, offering, order="A")


def test_confirm_debits_once_and_issues_a_voucher(
    card, offering, django_capture_on_commit_callbacks
):
    voucher = buy(card, offering, django_capture_on_commit_callbacks)
    card.refresh_from_db()
    assert card.balance_idr == 750_000
    assert card.first_purchase_at == NOW
    assert voucher.participant.balance_idr == 750_000
    assert voucher.sequence == 1
    assert voucher.status == Voucher.Status.ISSUED
    assert voucher.provider_id == offering.training.provider_id
    assert len(voucher.code) >= 10 and set(voucher.code) <= set(VOUCHER_ALPHABET)
    assert not set("0O1IL") & set(voucher.code)
    entries = LedgerEntry.objects.filter(participant=card, kind="purchase")
    assert [(e.amount_idr, e.reference) for e in entries] == [(-250_000, str(voucher.payment.pk))]
    with pytest.raises(errors.PaymentNotPending):
        services.confirm_payment(
            platform=offering.platform, payment_id=voucher.payment.pk, otp=last_otp()
        )
    assert LedgerEntry.objects.filter(participant=card, kind="purchase").count() == 1


def test_wrong_otp_counts_attempts_and_the_fifth_locks_even_the_right_code(
    card, offering, django_capture_on_commit_callbacks
):
    payment = start(card, offering, capture=django_capture_on_commit_callbacks)
    right = last_otp()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    lefts = []
    for _ in range(5):
        with pytest.raises(errors.OtpInvalid) as exc:
            services.confirm_payment(platform=offering.platform, payment_id=payment.pk, otp=wrong)
        lefts.append(exc.value.context["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    with pytest.raises(errors.OtpLocked):
        services.confirm_payment(platform=offering.platform, payment_id=payment.pk, otp=right)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.LOCKED
    card.refresh_from_db()
    assert card.balance_idr == 1_000_000


def test_otp_expires_after_five_minutes(card, offering, django_capture_on_commit_callbacks):
    payment = start(card, offering, capture=django_capture_on_commit_callbacks)
    code = last_otp()
    later = NOW + dt.timedelta(minutes=5, seconds=1)
    with time_machine.travel(later, tick=False), pytest.raises(errors.OtpExpired):
        services.confirm_payment(platform=offering.platform, payment_id=payment.pk, otp=code)


def test_otp_of_one_payment_does_not_confirm_another(
    card, offering, django_capture_on_commit_callbacks
):
    first = start(card, offering, order="A", capture=django_capture_on_commit_callbacks)
    first_code = last_otp()
    second = start(card, offering, order="B", capture=django_capture_on_commit_callbacks)
    if last_otp() == first_code:
        pytest.skip("the two random codes happen to be equal")
    with pytest.raises(errors.OtpInvalid):
        services.confirm_payment(platform=offering.platform, payment_id=second.pk, otp=first_code)
    assert first.pk != second.pk


def test_payment_of_another_platform_is_not_found(
    card, offering, django_capture_on_commit_callbacks
):
    payment = start(card, offering, capture=django_capture_on_commit_callbacks)
    with pytest.raises(errors.PaymentNotFound):
        services.confirm_payment(platform=PlatformFactory(), payment_id=payment.pk, otp=last_otp())


def test_second_purchase_is_refused_until_first_training_is_completed(
    card, offering, django_capture_on_commit_callbacks
):
    first = buy(card, offering, django_capture_on_commit_callbacks, order="A")
    second_offering = make_offering(platform=offering.platform, price_idr=300_000)
    with pytest.raises(errors.FirstTrainingNotCompleted):
        start(card, second_offering, order="B")
    complete_voucher(first)
    second = buy(card, second_offering, django_capture_on_commit_callbacks, order="B")
    assert second.sequence == 2
    card.refresh_from_db()
    assert card.balance_idr == 450_000


def test_rules_are_rechecked_at_confirmation(card, offering, django_capture_on_commit_callbacks):
    a = start(card, offering, order="A", capture=django_capture_on_commit_callbacks)
    code_a = last_otp()
    b = start(card, offering, order="B", capture=django_capture_on_commit_callbacks)
    code_b = last_otp()
    services.confirm_payment(platform=offering.platform, payment_id=a.pk, otp=code_a)
    with pytest.raises(errors.FirstTrainingNotCompleted):
        services.confirm_payment(platform=offering.platform, payment_id=b.pk, otp=code_b)
    b.refresh_from_db()
    assert b.status == Payment.Status.OTP_SENT
    card.refresh_from_db()
    assert card.balance_idr == 750_000


def test_revocation_between_start_and_confirm_is_refused_without_debit(
    card, offering, django_capture_on_commit_callbacks
):
    payment = start(card, offering, capture=django_capture_on_commit_callbacks)
    participant_services.revoke_participation(participant=card, reason_code="fraud")
    with pytest.raises(errors.CardRevoked):
        services.confirm_payment(platform=offering.platform, payment_id=payment.pk, otp=last_otp())
    assert not LedgerEntry.objects.filter(kind="purchase").exists()


@pytest.mark.parametrize("refusal", ["frozen", "open_voucher"])
def test_a_refusal_at_confirmation_leaves_the_callers_transaction_usable(
    card, offering, django_capture_on_commit_callbacks, refusal
):
    """The partner API confirms inside the transaction that stores its answer: a refusal decided
    after the OTP (a card rule at the debit, the open-voucher rule) writes nothing and must not
    break that transaction."""
    if refusal == "open_voucher":
        first = start(card, offering, order="A", capture=django_capture_on_commit_callbacks)
        first_code = last_otp()
    payment = start(card, offering, order="B", capture=django_capture_on_commit_callbacks)
    code = last_otp()
    if refusal == "open_voucher":
        services.confirm_payment(platform=offering.platform, payment_id=first.pk, otp=first_code)
        expected = errors.FirstTrainingNotCompleted
    else:
        Participant.objects.filter(pk=card.pk).update(status=Participant.Status.FROZEN)
        expected = errors.CardFrozen
    balance = Participant.objects.get(pk=card.pk).balance_idr
    with transaction.atomic():
        with pytest.raises(expected):
            services.confirm_payment(platform=offering.platform, payment_id=payment.pk, otp=code)
        assert Payment.objects.get(pk=payment.pk).status == Payment.Status.OTP_SENT
    assert Participant.objects.get(pk=card.pk).balance_idr == balance
    assert not LedgerEntry.objects.filter(reference=str(payment.pk)).exists()
    assert not Voucher.objects.filter(payment=payment).exists()


def test_a_voucher_code_already_taken_is_drawn_again(
    card, offering, django_capture_on_commit_callbacks, monkeypatch
):
    from trainings.services import purchases

    other = make_active_participant(now=NOW)
    taken = buy(other, offering, django_capture_on_commit_callbacks, order="OTHER").code
    draws = iter([taken, "ABCDEFGHJKMN"])
    monkeypatch.setattr(purchases, "new_voucher_code", lambda: next(draws))
    payment = start(card, offering, capture=django_capture_on_commit_callbacks)
    with transaction.atomic():  # as the partner API calls it
        voucher = services.confirm_payment(
            platform=offering.platform, payment_id=payment.pk, otp=last_otp(card.phone)
        )
        assert Voucher.objects.get(pk=voucher.pk).code == "ABCDEFGHJKMN"
    assert voucher.code == "ABCDEFGHJKMN"
    assert voucher.payment.status == Payment.Status.PAID
    assert Voucher.objects.filter(code=taken).count() == 1


def test_voucher_is_redeemable_once_and_only_at_its_provider(
    card, offering, django_capture_on_commit_callbacks
):
    voucher = buy(card, offering, django_capture_on_commit_callbacks)
    platform = offering.platform
    other = ProviderFactory()
    with pytest.raises(errors.VoucherWrongProvider):
        services.redeem_voucher(platform=platform, code=voucher.code, provider_code=other.code)
    redeemed = services.redeem_voucher(
        platform=platform, code=voucher.code.lower(), provider_code=voucher.provider.code
    )
    assert redeemed.status == Voucher.Status.REDEEMED
    with pytest.raises(errors.VoucherAlreadyRedeemed):
        services.redeem_voucher(
            platform=platform, code=voucher.code, provider_code=voucher.provider.code
        )
    with pytest.raises(errors.VoucherNotFound):
        services.redeem_voucher(
            platform=PlatformFactory(), code=voucher.code, provider_code=voucher.provider.code
        )


def test_completion_needs_redemption_and_pretest_then_review_once(
    card, offering, django_capture_on_commit_callbacks
):
    voucher = buy(card, offering, django_capture_on_commit_callbacks)
    with pytest.raises(errors.VoucherNotRedeemed):
        services.record_pretest(voucher=voucher, score=50)
    with pytest.raises(errors.TrainingNotCompleted):
        services.submit_review(voucher=voucher, rating=5, review="Bagus")
    services.redeem_voucher(
        platform=offering.platform, code=voucher.code, provider_code=voucher.provider.code
    )
    kwargs = {
        "certificate_number": "C-1",
        "certificate_url": "https://sertifikat.example/C-1",
        "completed_at": NOW,
        "score": 90,
    }
    with pytest.raises(errors.PretestMissing):
        services.record_completion(voucher=voucher, **kwargs)
    services.record_pretest(voucher=voucher, score=50)
    done = services.record_completion(voucher=voucher, **kwargs)
    assert done.status == Voucher.Status.COMPLETED
    assert done.certificate_url == "https://sertifikat.example/C-1"
    with pytest.raises(errors.VoucherAlreadyCompleted):
        services.record_completion(voucher=voucher, **kwargs)
    with pytest.raises(errors.InvalidRequest):
        services.submit_review(voucher=voucher, rating=6, review="Bagus")
    reviewed = services.submit_review(voucher=voucher, rating=5, review="  Sangat bermanfaat ")
    assert (reviewed.rating, reviewed.review, reviewed.reviewed_at) == (
        5,
        "Sangat bermanfaat",
        NOW,
    )
    with pytest.raises(errors.ReviewAlreadySubmitted):
        services.submit_review(voucher=voucher, rating=4, review="Lagi")


def test_completion_in_the_future_is_refused(card, offering, django_capture_on_commit_callbacks):
    voucher = complete_voucher(buy(card, offering, django_capture_on_commit_callbacks))
    assert voucher.status == Voucher.Status.COMPLETED
    other = make_offering(platform=offering.platform, price_idr=100_000)
    second = buy(card, other, django_capture_on_commit_callbacks, order="B")
    services.redeem_voucher(
        platform=other.platform, code=second.code, provider_code=second.provider.code
    )
    services.record_pretest(voucher=second, score=10)
    with pytest.raises(errors.InvalidRequest):
        services.record_completion(
            voucher=second,
            certificate_number="C",
            certificate_url="https://c.example/",
            completed_at=timezone.now() + dt.timedelta(hours=1),
            score=80,
        )


def test_cancelling_an_unredeemed_purchase_returns_its_amount(
    card, offering, django_capture_on_commit_callbacks
):
    voucher = buy(card, offering, django_capture_on_commit_callbacks)
    services.cancel_payment(platform=offering.platform, payment_id=voucher.payment.pk)
    card.refresh_from_db()
    assert card.balance_idr == 1_000_000
    assert card.first_purchase_at is None
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.CANCELLED
    kinds = list(LedgerEntry.objects.filter(participant=card).values_list("kind", "amount_idr"))
    assert kinds == [("grant", 1_000_000), ("purchase", -250_000), ("reversal", 250_000)]
    with pytest.raises(errors.PaymentNotPending):
        services.cancel_payment(platform=offering.platform, payment_id=voucher.payment.pk)


def test_a_redeemed_purchase_cannot_be_cancelled(
    card, offering, django_capture_on_commit_callbacks
):
    voucher = buy(card, offering, django_capture_on_commit_callbacks)
    services.redeem_voucher(
        platform=offering.platform, code=voucher.code, provider_code=voucher.provider.code
    )
    with pytest.raises(errors.VoucherAlreadyRedeemed):
        services.cancel_payment(platform=offering.platform, payment_id=voucher.payment.pk)
    card.refresh_from_db()
    assert card.balance_idr == 750_000


def test_issue_partner_key_stores_only_the_encrypted_secret(offering):
    from prakerja import crypto
    from trainings.models import PartnerCredential

    key, secret = services.issue_partner_key(platform=offering.platform)
    stored = PartnerCredential.objects.get(key=key)
    assert secret not in stored.secret_encrypted
    assert crypto.decrypt(stored.secret_encrypted) == secret
