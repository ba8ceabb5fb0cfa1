""" "Pelatihan Saya": the participant's own purchases, and the review form once completed."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import OfferingFactory, PlatformFactory, make_active_participant
from trainings import selectors
from trainings.models import Payment, Voucher

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=WIB)
MY_TRAININGS = reverse("trainings:my_trainings")
_codes = itertools.count(1)


def make_voucher(*, participant, offering=None, status=Voucher.Status.ISSUED, **fields) -> Voucher:
    """A paid purchase and its voucher, as the partner API leaves them (read-side fixture)."""
    offering = offering or OfferingFactory()
    n = next(_codes)
    payment = Payment.objects.create(
        platform=offering.platform,
        participant=participant,
        offering=offering,
        partner_order_id=f"ORDER-{n}",
        amount_idr=offering.price_idr,
        status=Payment.Status.PAID,
        otp_hash="x" * 64,
        otp_expires_at=NOW,
        created_at=NOW,
        paid_at=NOW,
    )
    if status == Voucher.Status.COMPLETED:
        fields = {
            "redeemed_at": NOW,
            "pretest_score": 55,
            "pretest_at": NOW,
            "completed_at": NOW,
            "certificate_number": f"CERT-{n}",
            "certificate_url": f"https://sertifikat.example/{n}",
            "score": 90,
            **fields,
        }
    return Voucher.objects.create(
        code=f"ABCDEFGH{n:04d}",
        payment=payment,
        participant=participant,
        training=offering.training,
        provider=offering.training.provider,
        status=status,
        sequence=participant.vouchers.count() + 1,
        issued_at=NOW,
        **fields,
    )


@pytest.fixture
def participant():
    return make_active_participant(now=NOW)


def test_my_trainings_needs_login(client):
    response = client.get(MY_TRAININGS)

    assert response.status_code == 302


def test_lists_voucher_code_training_provider_platform_and_status(client, participant):
    offering = OfferingFactory(platform=PlatformFactory(code="pijarmahir", name="Pijar Mahir"))
    voucher = make_voucher(participant=participant, offering=offering)
    client.force_login(participant.user)

    page = client.get(MY_TRAININGS).content.decode()

    assert voucher.code in page
    assert offering.training.title in page
    assert offering.training.provider.name in page
    assert "Pijar Mahir" in page
    assert "Belum digunakan" in page
    assert "Belum terbit" in page
    assert "Kirim ulasan" not in page


def test_completed_training_shows_pretest_certificate_and_the_review_form(client, participant):
    voucher = make_voucher(participant=participant, status=Voucher.Status.COMPLETED)
    client.force_login(participant.user)

    page = client.get(MY_TRAININGS).content.decode()

    assert "Pelatihan selesai" in page
    assert f'href="{voucher.certificate_url}"' in page
    assert voucher.certificate_number in page
    assert "<dd>55</dd>" in page
    assert f'action="{reverse("trainings:review", args=[voucher.pk])}"' in page
    assert 'name="rating"' in page and 'name="review"' in page


def test_reviewed_training_shows_the_review_not_the_form(client, participant):
    make_voucher(
        participant=participant,
        status=Voucher.Status.COMPLETED,
        rating=4,
        review="Materinya jelas dan praktis.",
        reviewed_at=NOW,
    )
    client.force_login(participant.user)

    page = client.get(MY_TRAININGS).content.decode()

    assert "4/5" in page
    assert "Materinya jelas dan praktis." in page
    assert "Kirim ulasan" not in page


def test_a_participant_sees_only_their_own_vouchers(client, participant):
    other = make_active_participant(now=NOW)
    theirs = make_voucher(participant=other)
    mine = make_voucher(participant=participant)
    client.force_login(participant.user)

    page = client.get(MY_TRAININGS).content.decode()

    assert mine.code in page
    assert theirs.code not in page


def test_selector_404s_on_someone_elses_voucher(participant):
    from django.http import Http404

    other = make_active_participant(now=NOW)
    theirs = make_voucher(participant=other)

    with pytest.raises(Http404):
        selectors.voucher_for_participant(participant=participant, voucher_id=theirs.pk)


def test_my_trainings_query_count_does_not_grow_with_purchases(
    client, participant, django_assert_max_num_queries
):
    for _ in range(3):
        make_voucher(participant=participant, status=Voucher.Status.COMPLETED)
    make_voucher(participant=participant)
    client.force_login(participant.user)

    # session, user, participant, vouchers with training/provider/platform
    with django_assert_max_num_queries(4):
        response = client.get(MY_TRAININGS)

    assert response.content.decode().count("Kirim ulasan") == 3


@time_machine.travel(NOW, tick=False)
def test_balance_page_names_the_training_of_each_purchase(client, participant):
    from participants import services as participant_services

    voucher = make_voucher(participant=participant)
    participant_services.debit_for_purchase(
        participant_id=participant.pk,
        amount_idr=voucher.payment.amount_idr,
        reference=str(voucher.payment_id),
    )
    client.force_login(participant.user)

    page = client.get(reverse("trainings:balance")).content.decode()

    assert "Pembelian pelatihan" in page
    assert voucher.training.title in page
    assert "−Rp250.000" in page
    assert "Rp750.000" in page


# --- the review form -----------------------------------------------------------------------------


def review_url(voucher) -> str:
    return reverse("trainings:review", args=[voucher.pk])


def test_review_of_a_completed_training_is_saved(client, participant):
    voucher = make_voucher(participant=participant, status=Voucher.Status.COMPLETED)
    client.force_login(participant.user)

    response = client.post(
        review_url(voucher), {"rating": "5", "review": "Sangat bermanfaat untuk usaha saya."}
    )

    assert response.status_code == 302
    assert response["Location"] == MY_TRAININGS
    voucher.refresh_from_db()
    assert voucher.rating == 5
    assert voucher.review == "Sangat bermanfaat untuk usaha saya."
    assert voucher.reviewed_at is not None
    page = client.get(MY_TRAININGS).content.decode()
    assert "Terima kasih, ulasan Anda sudah tersimpan." in page
    assert "5/5" in page


@pytest.mark.parametrize("rating", ["0", "6", "-1", "abc", ""])
def test_rating_outside_1_to_5_is_refused_with_a_message(client, participant, rating):
    voucher = make_voucher(participant=participant, status=Voucher.Status.COMPLETED)
    client.force_login(participant.user)

    response = client.post(
        review_url(voucher), {"rating": rating, "review": "Materinya cukup bagus."}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Penilaian harus antara 1 dan 5." in page or "Pilih penilaian dari 1 sampai 5." in page
    voucher.refresh_from_db()
    assert voucher.rating is None


def test_empty_or_too_short_review_is_refused(client, participant):
    voucher = make_voucher(participant=participant, status=Voucher.Status.COMPLETED)
    client.force_login(participant.user)

    empty = client.post(review_url(voucher), {"rating": "4", "review": "   "})
    short = client.post(review_url(voucher), {"rating": "4", "review": "Bagus"})

    assert "Ulasan wajib diisi." in empty.content.decode()
    assert "Ulasan minimal 10 karakter." in short.content.decode()
    voucher.refresh_from_db()
    assert voucher.reviewed_at is None


def test_a_second_review_is_refused_and_the_first_kept(client, participant):
    voucher = make_voucher(participant=participant, status=Voucher.Status.COMPLETED)
    client.force_login(participant.user)
    client.post(review_url(voucher), {"rating": "4", "review": "Ulasan pertama saya."})

    response = client.post(
        review_url(voucher), {"rating": "1", "review": "Ulasan kedua yang lain."}, follow=True
    )

    voucher.refresh_from_db()
    assert (voucher.rating, voucher.review) == (4, "Ulasan pertama saya.")
    assert "Ulasan untuk pelatihan ini sudah diberikan." in response.content.decode()


def test_review_before_completion_is_refused(client, participant):
    voucher = make_voucher(participant=participant, status=Voucher.Status.REDEEMED)
    client.force_login(participant.user)

    response = client.post(
        review_url(voucher), {"rating": "5", "review": "Belum selesai tapi bagus."}, follow=True
    )

    voucher.refresh_from_db()
    assert voucher.rating is None
    assert "Ulasan hanya dapat diberikan setelah pelatihan selesai." in response.content.decode()


def test_reviewing_someone_elses_voucher_is_404(client, participant):
    other = make_active_participant(now=NOW)
    theirs = make_voucher(participant=other, status=Voucher.Status.COMPLETED)
    client.force_login(participant.user)

    response = client.post(review_url(theirs), {"rating": "1", "review": "Bukan milik saya."})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.rating is None


def test_review_needs_post(client, participant):
    voucher = make_voucher(participant=participant, status=Voucher.Status.COMPLETED)
    client.force_login(participant.user)

    assert client.get(review_url(voucher)).status_code == 405
