"""What the program tells a person by SMS and email: the selection announcement (a batch at a
time) and the staff decisions on their card (freeze, lift, revocation for fraud).

Celery tasks (``participants.tasks``) call these after the change has committed: the
announcement with up to ``ANNOUNCEMENT_BATCH`` ids each, a card decision with its audit row's id.
SMS go through ``prakerja.sms``, email through Django's mail backend (``EMAIL_URL``).
"""

import logging
from collections.abc import Iterator

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from participants import notices, refusals, selectors
from participants.cards import deadlines
from participants.models import (
    Application,
    Participant,
    ParticipantEvent,
    SelectionRun,
)
from participants.services.fraud import TOLD_DECISIONS
from prakerja import links, sms
from prakerja.money import rupiah

logger = logging.getLogger(__name__)

ANNOUNCEMENT_BATCH = 1000


def selected_sms_text(*, participant: Participant) -> str:
    return _(
        "Selamat! Anda LOLOS seleksi Kartu Prakerja Gelombang %(wave)s. Saldo pelatihan "
        "%(balance)s berlaku sampai %(expires)s. Tonton 3 video pengenalan, lalu beli pelatihan "
        "pertama paling lambat %(deadline)s: %(url)s"
    ) % {
        "wave": participant.wave.number,
        "balance": rupiah(settings.TRAINING_BALANCE_IDR),
        "expires": deadlines.wib_text(participant.balance_expires_at),
        "deadline": deadlines.wib_text(selectors.last_day_to_buy(participant)),
        "url": links.portal_url_for("dashboard"),
    }


def selected_email(*, participant: Participant) -> EmailMessage:
    subject = _("Selamat, Anda lolos Kartu Prakerja Gelombang %(wave)s") % {
        "wave": participant.wave.number
    }
    body = _(
        "Halo %(name)s,\n\n"
        "Anda LOLOS seleksi Kartu Prakerja Gelombang %(wave)s.\n\n"
        "Saldo pelatihan: %(balance)s, berlaku sampai %(expires)s.\n"
        "Batas pembelian pelatihan pertama: %(deadline)s.\n\n"
        "Langkah berikutnya: masuk ke akun Anda di %(url)s dan tonton ketiga video "
        "pengenalan sampai selesai; setelah itu nomor Kartu Prakerja Anda ditampilkan.\n\n"
        "PENTING: beli pelatihan pertama paling lambat %(deadline)s. Jika tidak, kepesertaan "
        "Anda dicabut dan tidak dapat mendaftar lagi.\n\n"
        "Salam,\nManajemen Pelaksana Program Kartu Prakerja"
    ) % {
        "name": participant.user.full_name,
        "wave": participant.wave.number,
        "balance": rupiah(participant.balance_idr),
        "expires": deadlines.wib_text(participant.balance_expires_at),
        "deadline": deadlines.wib_text(selectors.last_day_to_buy(participant)),
        "url": links.portal_url_for("dashboard"),
    }
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [participant.user.email])


def not_selected_email(*, application: Application) -> EmailMessage:
    subject = _("Hasil seleksi Kartu Prakerja Gelombang %(wave)s") % {
        "wave": application.wave.number
    }
    body = _(
        "Halo %(name)s,\n\n"
        "Mohon maaf, Anda belum berhasil pada seleksi Kartu Prakerja Gelombang %(wave)s.\n"
        "Alasan: %(reason)s\n\n"
        "Data Anda tetap tersimpan. Anda dapat bergabung kembali pada gelombang berikutnya "
        "tanpa mengisi ulang data, selama masih memenuhi syarat.\n\n"
        "Salam,\nManajemen Pelaksana Program Kartu Prakerja"
    ) % {
        "name": application.participant.user.full_name,
        "wave": application.wave.number,
        "reason": application.get_reason_code_display(),
    }
    return EmailMessage(
        subject, body, settings.DEFAULT_FROM_EMAIL, [application.participant.user.email]
    )


def send_selected_sms(*, participant_ids: list[int]) -> dict[str, int]:
    """One SMS per selected participant in ``participant_ids``; a failed SMS is logged and
    counted, not retried (the email and the dashboard carry the same news)."""
    sent = failed = 0
    with translation.override(settings.LANGUAGE_CODE):
        participants = Participant.objects.filter(
            pk__in=participant_ids, status=Participant.Status.SELECTED
        ).select_related("wave")
        for participant in participants:
            if not participant.phone:
                continue
            try:
                sms.send_sms(to=participant.phone, text=selected_sms_text(participant=participant))
                sent += 1
            except sms.SmsError:
                failed += 1
                logger.warning("announcement sms failed", extra={"participant": participant.pk})
    return {"sent": sent, "failed": failed}


def send_selected_emails(*, participant_ids: list[int]) -> int:
    """One email per selected participant, over one mail connection; returns how many."""
    with translation.override(settings.LANGUAGE_CODE):
        participants = Participant.objects.filter(
            pk__in=participant_ids, status=Participant.Status.SELECTED
        ).select_related("wave", "user")
        messages = [selected_email(participant=p) for p in participants if p.user.email]
    return get_connection().send_messages(messages) or 0


def send_not_selected_emails(*, application_ids: list[int]) -> int:
    """One email per not-selected application with its reason; returns how many."""
    with translation.override(settings.LANGUAGE_CODE):
        applications = Application.objects.filter(
            pk__in=application_ids, status=Application.Status.NOT_SELECTED
        ).select_related("wave", "participant__user")
        messages = [
            not_selected_email(application=a) for a in applications if a.participant.user.email
        ]
    return get_connection().send_messages(messages) or 0


def _id_batches(queryset, size: int | None) -> Iterator[list[int]]:
    """Keyset pagination over primary keys: one query per batch, no OFFSET."""
    size = size or ANNOUNCEMENT_BATCH
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def selected_batches(*, run: SelectionRun, size: int | None = None) -> Iterator[list[int]]:
    return _id_batches(
        Participant.objects.filter(wave_id=run.wave_id, status=Participant.Status.SELECTED), size
    )


def not_selected_batches(*, run: SelectionRun, size: int | None = None) -> Iterator[list[int]]:
    return _id_batches(
        Application.objects.filter(wave_id=run.wave_id, status=Application.Status.NOT_SELECTED),
        size,
    )


# --- staff decisions on a card ----------------------------------------------------------------


def card_decision_text(event: ParticipantEvent) -> str:
    """The SMS (and the email's body) about a freeze, a lift or a revocation for fraud: what
    happened, in the staff's words for the person (never their internal note), and what the
    person can do."""
    participant = event.participant
    values = {
        "when": deadlines.wib_text(event.created_at),
        "reason": event.participant_reason,
        "complaint": links.portal_url(refusals.complaint_url("lainnya:")),
        "dashboard": links.portal_url_for("dashboard"),
    }
    if event.to_status == Participant.Status.FROZEN:
        text = _(
            "Prakerja: Kartu Prakerja Anda DIBEKUKAN sementara sejak %(when)s. Alasan: "
            "%(reason)s Selama dibekukan Anda belum dapat membeli pelatihan; saldo Anda tidak "
            "hilang dan hari-hari pembekuan ditambahkan ke batas pembelian pertama. Untuk "
            "menjelaskan atau keberatan, ajukan pengaduan: %(complaint)s"
        )
    elif event.to_status == Participant.Status.REVOKED and event.reason_code == "fraud":
        text = _(
            "Prakerja: kepesertaan Kartu Prakerja Anda DICABUT pada %(when)s karena "
            "kecurangan. Alasan: %(reason)s Sisa saldo pelatihan hangus dan NIK Anda masuk "
            "daftar hitam program. Jika menurut Anda keputusan ini keliru, ajukan pengaduan: "
            "%(complaint)s"
        )
    elif event.to_status == Participant.Status.REVOKED:
        text = _(
            "Prakerja: kepesertaan Kartu Prakerja Anda DICABUT pada %(when)s. Alasan: "
            "%(reason)s Sisa saldo pelatihan hangus dan NIK Anda masuk daftar hitam program. "
            "Jika menurut Anda keputusan ini keliru, ajukan pengaduan: %(complaint)s"
        )
    elif (
        participant.first_purchase_deadline
        and participant.first_purchase_at is None
        and participant.status
        in (
            Participant.Status.SELECTED,
            Participant.Status.ACTIVE,
        )
    ):
        values["last"] = deadlines.wib_text(selectors.last_day_to_buy(participant))
        text = _(
            "Prakerja: pembekuan Kartu Prakerja Anda sudah dibuka, kartu DIPULIHKAN. "
            "%(reason)s Beli pelatihan pertama paling lambat %(last)s. Dasbor: %(dashboard)s"
        )
    else:
        text = _(
            "Prakerja: pembekuan Kartu Prakerja Anda sudah dibuka, kartu DIPULIHKAN. "
            "%(reason)s Kartu dapat dipakai lagi. Dasbor: %(dashboard)s"
        )
    return text % values


def card_decision_subject(event: ParticipantEvent) -> str:
    if event.to_status == Participant.Status.FROZEN:
        return _("Kartu Prakerja Anda dibekukan sementara")
    if event.to_status == Participant.Status.REVOKED:
        return _("Kepesertaan Kartu Prakerja Anda dicabut")
    return _("Kartu Prakerja Anda dipulihkan")


def send_card_decision_notice(*, event_id: int, now=None) -> dict[str, int]:
    """Tell the person about one staff decision on their card (its audit row ``event_id``) by
    SMS and email, once: the row is claimed by a conditional UPDATE of ``notified_at`` first, so
    a repeated task sends nothing. Returns the counts of ``notices.send_notices``."""
    counts = {"sms": 0, "email": 0, "failed": 0}
    claimed = ParticipantEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(
        notified_at=now or timezone.now()
    )
    if not claimed:
        return counts
    event = ParticipantEvent.objects.select_related("participant__user").get(pk=event_id)
    if event.kind != ParticipantEvent.Kind.STATUS or event.reason_code not in TOLD_DECISIONS:
        return counts
    participant = event.participant
    with translation.override(settings.LANGUAGE_CODE):
        text = card_decision_text(event)
        notice = notices.Notice(
            phone=participant.phone,
            email=participant.user.email,
            sms_text=text,
            subject=card_decision_subject(event),
            body=notices.letter(name=participant.user.full_name, text=text),
            log={"participant": participant.pk, "event": event.pk},
        )
        return notices.send_notices([notice], label="card decision")
