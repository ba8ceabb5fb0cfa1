"""The selection announcement: SMS and email texts and their sending, a batch at a time.

Celery tasks (``participants.tasks``) call these with up to ``ANNOUNCEMENT_BATCH`` ids each, after
the selection has committed. SMS go through ``participants.sms``, email through Django's mail
backend (``EMAIL_URL``).
"""

import logging
from collections.abc import Iterator

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import translation
from django.utils.translation import gettext as _

from participants import deadlines, links, sms
from participants.models import Application, Participant, SelectionRun

logger = logging.getLogger(__name__)

ANNOUNCEMENT_BATCH = 1000


def selected_sms_text(*, participant: Participant) -> str:
    return _(
        "Selamat! Anda LOLOS seleksi Kartu Prakerja Gelombang %(wave)s. Saldo pelatihan Rp "
        "%(balance)s berlaku sampai %(expires)s. Tonton 3 video pengenalan, lalu beli pelatihan "
        "pertama paling lambat %(deadline)s: %(url)s"
    ) % {
        "wave": participant.wave.number,
        "balance": f"{settings.TRAINING_BALANCE_IDR:,}".replace(",", "."),
        "expires": deadlines.wib_text(participant.balance_expires_at),
        "deadline": deadlines.wib_text(participant.first_purchase_deadline),
        "url": links.portal_url_for("dashboard"),
    }


def selected_email(*, participant: Participant) -> EmailMessage:
    subject = _("Selamat, Anda lolos Kartu Prakerja Gelombang %(wave)s") % {
        "wave": participant.wave.number
    }
    body = _(
        "Halo %(name)s,\n\n"
        "Anda LOLOS seleksi Kartu Prakerja Gelombang %(wave)s.\n\n"
        "Saldo pelatihan: Rp %(balance)s, berlaku sampai %(expires)s.\n"
        "Batas pembelian pelatihan pertama: %(deadline)s.\n\n"
        "Langkah berikutnya: masuk ke akun Anda di %(url)s dan tonton ketiga video "
        "pengenalan sampai selesai; setelah itu nomor Kartu Prakerja Anda ditampilkan.\n\n"
        "PENTING: beli pelatihan pertama paling lambat %(deadline)s. Jika tidak, kepesertaan "
        "Anda dicabut dan tidak dapat mendaftar lagi.\n\n"
        "Salam,\nManajemen Pelaksana Program Kartu Prakerja"
    ) % {
        "name": participant.user.full_name,
        "wave": participant.wave.number,
        "balance": f"{participant.balance_idr:,}".replace(",", "."),
        "expires": deadlines.wib_text(participant.balance_expires_at),
        "deadline": deadlines.wib_text(participant.first_purchase_deadline),
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
