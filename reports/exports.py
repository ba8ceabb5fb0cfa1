"""CSV exports for staff, streamed row by row.

Each export is a generator over ``values_list(...).iterator(chunk_size=...)``: on PostgreSQL that
is a server-side cursor, so memory stays flat however many rows there are. Nothing is built up
in a list. NIKs are masked unless the caller says the reader may see them in full.
"""

import csv
from collections.abc import Iterable, Iterator

from complaints.models import Complaint
from participants import crypto
from participants.models import Application

CHUNK_SIZE = 5000
# Cells starting with these are formulas to spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` returns the line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def _safe(value) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Yield the CSV text: a UTF-8 BOM (spreadsheets read the encoding), the header, the rows."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([_safe(value) for value in row])


def _iso(value) -> str:
    return value.isoformat() if value else ""


PARTICIPANT_HEADER = [
    "id_pendaftaran",
    "id_peserta",
    "nama",
    "email",
    "nik",
    "provinsi",
    "status_pendaftaran",
    "alasan",
    "status_peserta",
    "alasan_pencabutan",
    "gabung",
    "diputuskan",
]


def wave_participant_rows(*, wave_id: int, full_nik: bool) -> Iterator[tuple]:
    """Every application in the wave with its outcome and the person's program status."""
    nik_field = "participant__nik_encrypted" if full_nik else "participant__nik_masked"
    rows = (
        Application.objects.filter(wave_id=wave_id)
        .order_by("id")
        .values_list(
            "id",
            "participant_id",
            "participant__user__full_name",
            "participant__user__email",
            nik_field,
            "participant__province_id",
            "status",
            "reason_code",
            "participant__status",
            "participant__revoke_reason",
            "joined_at",
            "decided_at",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for row in rows:
        nik = row[4]
        if full_nik and nik:
            nik = crypto.decrypt(nik)
        yield (*row[:4], nik, *row[5:10], _iso(row[10]), _iso(row[11]))


COMPLAINT_HEADER = [
    "tiket",
    "dibuat",
    "kategori",
    "sub_kategori",
    "status",
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
    for row in rows:
        yield (row[0], _iso(row[1]), *row[2:5], row[5] or "", *row[6:9], _iso(row[9]), row[10])
