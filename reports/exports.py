"""CSV exports for staff, streamed row by row.

Each export is a generator over ``values_list(...).iterator(chunk_size=...)``: on PostgreSQL that
is a server-side cursor, so memory stays flat however many rows there are. Nothing is built up
in a list. NIKs are masked unless the caller says the reader may see them in full.

Times are written in WIB (ISO 8601 with ``+07:00``), the time staff read everywhere else. Each
stable code column (kept as it was, for scripts) has an Indonesian ``keterangan_...`` column
beside it, for people.
"""

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from complaints.models import Complaint
from incentives.models import Installment
from participants.models import Application, BlacklistEntry, Participant
from prakerja import crypto

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5000
# Cells starting with these are formulas to spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# Lines are sent in blocks of about this many characters: one write per block, not per row.
BLOCK_CHARS = 64 * 1024


def _safe(value) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield the CSV text in blocks: a UTF-8 BOM (spreadsheets read the encoding), the header,
    then the rows. Only one block is held at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(value) for value in row])
        if buffer.tell() >= BLOCK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


WIB = ZoneInfo("Asia/Jakarta")


def _iso(value) -> str:
    return value.astimezone(WIB).isoformat() if value else ""


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _coded(labels: dict[str, str], code: str) -> tuple[str, str]:
    """The stable code and, beside it, its Indonesian label."""
    return code, (labels.get(code, code) if code else "")


PARTICIPANT_HEADER = [
    "id_pendaftaran",
    "id_peserta",
    "nama",
    "email",
    "nik",
    "provinsi",
    "nama_provinsi",
    "status_pendaftaran",
    "keterangan_status_pendaftaran",
    "alasan",
    "keterangan_alasan",
    "status_peserta",
    "keterangan_status_peserta",
    "alasan_pencabutan",
    "keterangan_alasan_pencabutan",
    "gabung",
    "diputuskan",
]


def wave_participant_rows(*, wave_id: int, full_nik: bool) -> Iterator[tuple]:
    """Every application in the wave with its outcome and the person's program status.

    With ``full_nik`` each NIK is decrypted; a value that cannot be decrypted (a rotated key)
    is written masked and logged, rather than breaking the export halfway through.
    """
    rows = (
        Application.objects.filter(wave_id=wave_id)
        .order_by("id")
        .values_list(
            "id",
            "participant_id",
            "participant__user__full_name",
            "participant__user__email",
            "participant__nik_masked",
            "participant__province_id",
            "status",
            "reason_code",
            "participant__status",
            "participant__revoke_reason",
            "joined_at",
            "decided_at",
            "participant__nik_encrypted" if full_nik else "participant__nik_masked",
            "participant__province__name",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    application_status = _labels(Application.Status.choices)
    reasons = _labels(Application.Reason.choices)
    participant_status = _labels(Participant.Status.choices)
    revoke_reasons = _labels(BlacklistEntry.Reason.choices)
    for row in rows:
        nik = row[4]
        if full_nik and row[12]:
            try:
                nik = crypto.decrypt(row[12])
            except ValueError:
                logger.error("export: cannot decrypt NIK", extra={"participant": row[1]})
        yield (
            *row[:4],
            nik,
            row[5],
            row[13] or "",
            *_coded(application_status, row[6]),
            *_coded(reasons, row[7]),
            *_coded(participant_status, row[8]),
            *_coded(revoke_reasons, row[9]),
            _iso(row[10]),
            _iso(row[11]),
        )


COMPLAINT_HEADER = [
    "tiket",
    "dibuat",
    "kategori",
    "keterangan_kategori",
    "sub_kategori",
    "keterangan_sub_kategori",
    "status",
    "keterangan_status",
    "petugas",
    "nama",
    "email",
    "nomor_hp",
    "selesai",
    "uraian",
]


def complaint_rows() -> Iterator[tuple]:
    rows = (
        Complaint.objects.order_by("id")
        .values_list(
            "ticket_number",
            "created_at",
            "category",
            "subcategory",
            "status",
            "assigned_to__email",
            "name",
            "email",
            "phone",
            "resolved_at",
            "description",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    categories = _labels(Complaint.Category.choices)
    subcategories = _labels(Complaint.Subcategory.choices)
    statuses = _labels(Complaint.Status.choices)
    for row in rows:
        yield (
            row[0],
            _iso(row[1]),
            *_coded(categories, row[2]),
            *_coded(subcategories, row[3]),
            *_coded(statuses, row[4]),
            row[5] or "",
            *row[6:9],
            _iso(row[9]),
            row[10],
        )


INSTALLMENT_HEADER = [
    "id_cicilan",
    "id_peserta",
    "nama",
    "nik",
    "jenis",
    "keterangan_jenis",
    "ke",
    "jumlah_idr",
    "jatuh_tempo",
    "status",
    "keterangan_status",
    "alasan",
    "keterangan_alasan",
    "percobaan",
    "dibayar",
    "gagal",
]


def installment_rows(*, status: str = "", full_nik: bool) -> Iterator[tuple]:
    """Every installment (optionally of one status) with who it is owed to."""
    queryset = Installment.objects.order_by("id")
    if status:
        queryset = queryset.filter(status=status)
    rows = queryset.values_list(
        "id",
        "participant_id",
        "participant__user__full_name",
        "participant__nik_masked",
        "kind",
        "number",
        "amount_idr",
        "due_at",
        "status",
        "reason_code",
        "attempts",
        "paid_at",
        "failed_at",
        "participant__nik_encrypted" if full_nik else "participant__nik_masked",
    ).iterator(chunk_size=CHUNK_SIZE)
    kinds = _labels(Installment.Kind.choices)
    statuses = _labels(Installment.Status.choices)
    reasons = _labels(Installment._meta.get_field("reason_code").choices)
    for row in rows:
        nik = row[3]
        if full_nik and row[13]:
            try:
                nik = crypto.decrypt(row[13])
            except ValueError:
                logger.error("export: cannot decrypt NIK", extra={"participant": row[1]})
        yield (
            *row[:3],
            nik,
            *_coded(kinds, row[4]),
            row[5],
            row[6],
            _iso(row[7]),
            *_coded(statuses, row[8]),
            *_coded(reasons, row[9]),
            row[10],
            _iso(row[11]),
            _iso(row[12]),
        )
