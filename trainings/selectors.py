"""Reads for the catalog, payments, vouchers and the participant training pages.

Each selector owns its ``select_related``/``prefetch_related`` and scopes to what the caller may
see: a platform sees only its own payments and vouchers, a participant only their own vouchers
(a view that fetches through these answers 404 for anyone else's).
"""

import functools
import uuid
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from participants.models import LedgerEntry, Participant
from prakerja import db
from trainings.models import Offering, Payment, Platform, Training, Voucher


def normalize_voucher_code(code: str) -> str:
    """Voucher codes are upper case without separators; accept what people type."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def platform_offerings(*, platform: Platform) -> QuerySet[Offering]:
    """The active offerings a platform sells, with training and provider, in a stable order."""
    return (
        Offering.objects.filter(platform=platform, is_active=True, training__is_active=True)
        .select_related("training__provider")
        .order_by("code")
    )


def payment_pk(payment_id: str | uuid.UUID) -> uuid.UUID | None:
    """A payment id as given by a platform, or ``None`` when it is not a UUID at all."""
    if isinstance(payment_id, uuid.UUID):
        return payment_id
    try:
        return uuid.UUID(str(payment_id))
    except ValueError:
        return None


def platform_payment(*, platform: Platform, payment_id: str | uuid.UUID) -> Payment | None:
    """The platform's own payment, or ``None`` (unknown id, malformed id, another platform's)."""
    pk = payment_pk(payment_id)
    if pk is None:
        return None
    return (
        Payment.objects.select_related("participant", "offering__training__provider", "platform")
        .filter(pk=pk, platform=platform)
        .first()
    )


_PAYMENT_FIELDS = tuple(field.attname for field in Payment._meta.concrete_fields)
_TRAINING_FIELDS = ("id", "title", "provider_id")


@functools.cache
def _lock_pending_payment_sql() -> str:
    payment = ", ".join(f"pay.{Payment._meta.get_field(name).column}" for name in _PAYMENT_FIELDS)
    sql = f"""
        SELECT {payment}, t.id, t.title, t.provider_id
        FROM {Payment._meta.db_table} pay
        JOIN {Offering._meta.db_table} o ON o.id = pay.offering_id
        JOIN {Training._meta.db_table} t ON t.id = o.training_id
        JOIN {Participant._meta.db_table} p ON p.id = pay.participant_id
        WHERE pay.id = %s AND pay.platform_id = %s AND pay.status = %s
        FOR UPDATE OF pay, p
    """  # noqa: S608 (names from the models)
    # The payment's row and its participant's stay locked until the transaction ends.
    return sql


def lock_pending_payment(*, platform: Platform, pk: uuid.UUID) -> Payment | None:
    """The platform's payment ``pk`` if it still waits for its OTP, else ``None``; read in one
    statement that row-locks it and its participant until the caller's transaction ends, with
    its offering's training (id, title, provider) for the voucher.

    Raw SQL: the same query through the ORM (four tables, the lock of two) costs about 1 ms of
    CPU to build, a fifth of a whole confirmation (``scripts/profile_api.py``). The caller must
    be in a transaction and must check the OTP with ``participants.otp.verify_locked``.
    """
    using = router.db_for_write(Payment)
    connection = connections[using]
    sql = _lock_pending_payment_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                Payment._meta.pk.get_db_prep_value(pk, connection),
                platform.pk,
                Payment.Status.OTP_SENT,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_PAYMENT_FIELDS)
    payment = db.from_row(Payment, _PAYMENT_FIELDS, row[:split], using=using)
    training = db.from_row(Training, _TRAINING_FIELDS, row[split:], using=using)
    offering = Offering.from_db(using, ("id", "training_id"), (payment.offering_id, training.pk))
    offering.training = training
    payment.offering = offering
    payment.platform = platform
    # Only the id was read (the row is locked, not selected): other fields load if read.
    payment.participant = Participant.from_db(using, ("id",), (payment.participant_id,))
    return payment


def platform_voucher(*, platform: Platform, code: str) -> Voucher | None:
    """The voucher with ``code`` sold through ``platform``, or ``None``."""
    return (
        Voucher.objects.select_related("training", "provider", "payment")
        .filter(code=normalize_voucher_code(code), payment__platform=platform)
        .first()
    )


# --- participant pages ---------------------------------------------------------------------------


def _active_offerings() -> QuerySet[Offering]:
    return Offering.objects.filter(is_active=True, platform__is_active=True)


def search_trainings(*, query: str = "", category: str = "") -> QuerySet[Training]:
    """Active trainings that at least one active platform sells, matching ``query`` (in the
    title or the provider's name, case-insensitive) and ``category`` (exact).

    Each training carries ``sold_on``: its active offerings with their platform, cheapest first
    (one extra query for the whole page, however many trainings it shows).
    """
    sold = _active_offerings().filter(training=OuterRef("pk"))
    trainings = Training.objects.filter(Exists(sold), is_active=True)
    query = query.strip()
    if query:
        trainings = trainings.filter(Q(title__icontains=query) | Q(provider__name__icontains=query))
    if category:
        trainings = trainings.filter(category=category)
    return (
        trainings.select_related("provider")
        .prefetch_related(
            Prefetch(
                "offerings",
                queryset=_active_offerings()
                .select_related("platform")
                .order_by("price_idr", "platform__name"),
                to_attr="sold_on",
            )
        )
        .order_by("title", "pk")
    )


def training_categories() -> list[str]:
    """The categories of active trainings, alphabetically, for the search form."""
    return list(
        Training.objects.filter(is_active=True)
        .order_by("category")
        .values_list("category", flat=True)
        .distinct()
    )


def vouchers_for_participant(*, participant: Participant) -> QuerySet[Voucher]:
    """The participant's purchases, newest first, with training, provider and platform."""
    return (
        Voucher.objects.filter(participant=participant)
        .select_related("training", "provider", "payment__platform")
        .order_by("-issued_at", "-pk")
    )


def voucher_for_participant(*, participant: Participant, voucher_id: int) -> Voucher:
    """One of the participant's vouchers; raises ``Http404`` for anyone else's."""
    return get_object_or_404(vouchers_for_participant(participant=participant), pk=voucher_id)


@dataclass(frozen=True)
class LedgerRow:
    entry: LedgerEntry
    # The training a purchase or reversal was for ("" for grant, forfeit and expiry).
    training_title: str

    @property
    def magnitude_idr(self) -> int:
        return abs(self.entry.amount_idr)


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def balance_history(*, participant: Participant) -> list[LedgerRow]:
    """The participant's balance movements, newest first, each purchase or reversal with the
    title of the training it paid for (two queries in all)."""
    entries = list(
        LedgerEntry.objects.filter(participant=participant).order_by("-created_at", "-pk")
    )
    payment_ids = {
        payment_id
        for entry in entries
        if entry.kind in (LedgerEntry.Kind.PURCHASE, LedgerEntry.Kind.REVERSAL)
        and (payment_id := _as_uuid(entry.reference))
    }
    titles: dict[str, str] = {}
    if payment_ids:
        titles = {
            str(payment_id): title
            for payment_id, title in Payment.objects.filter(
                pk__in=payment_ids, participant=participant
            ).values_list("pk", "offering__training__title")
        }
    return [
        LedgerRow(entry=entry, training_title=titles.get(str(_as_uuid(entry.reference) or ""), ""))
        for entry in entries
    ]
