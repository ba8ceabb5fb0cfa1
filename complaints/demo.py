"""Demo complaints: one answered complaint from the active demo participant, one from a guest.
Idempotent: nothing is added when the demo complaints exist."""

import datetime as dt

from complaints import services
from complaints.models import Complaint
from participants.models import User

DEMO_PARTICIPANT_EMAIL = "aktif@prakerja.local"
DEMO_STAFF_EMAIL = "staf@prakerja.local"


def seed(*, now: dt.datetime) -> list[str]:
    participant = User.objects.filter(email=DEMO_PARTICIPANT_EMAIL).first()
    staff = User.objects.filter(email=DEMO_STAFF_EMAIL).first()
    if participant is None or staff is None or Complaint.objects.filter(user=participant).exists():
        return []
    answered = services.submit_complaint(
        name=participant.full_name,
        phone="+6281200000001",
        email=participant.email,
        category=Complaint.Category.PURCHASE,
        description="Voucher dari platform belum muncul setelah pembayaran berhasil.",
        user=participant,
        now=now - dt.timedelta(days=2),
    )
    services.reply_to_complaint(
        complaint=answered,
        body="Voucher Anda sudah terbit. Silakan cek kembali di halaman platform.",
        actor=staff,
        now=now - dt.timedelta(days=1),
    )
    services.submit_complaint(
        name="Tamu Demo",
        phone="+6281299990000",
        email="tamu@prakerja.local",
        category=Complaint.Category.REGISTRATION,
        subcategory=Complaint.Subcategory.NIK_REGISTERED,
        description="Saat mendaftar muncul pesan NIK sudah terdaftar, padahal belum pernah daftar.",
        now=now - dt.timedelta(hours=3),
    )
    return []
