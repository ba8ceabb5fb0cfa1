"""NIK (Nomor Induk Kependudukan) validation, in one place.

A NIK is 16 digits: ``PPKKCC`` the Kemendagri district code where it was issued (province,
regency/city, district), ``DDMMYY`` the birth date with 40 added to the day for women, and a
4-digit serial that is never ``0000``. Each failure raises :class:`InvalidNik` with a stable
``code`` and an Indonesian message.
"""

import datetime as dt
import re

from django.utils.translation import gettext as _

from participants.models import District, DomainError, Province, Regency

MIN_AGE = 18
MAX_AGE = 64
_DIGITS_16 = re.compile(r"^[0-9]{16}$")


class InvalidNik(DomainError):
    code = "nik_invalid"


def is_16_digits(value: str) -> bool:
    return bool(_DIGITS_16.match(value or ""))


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years on ``day`` (a 29 February birthday counts on 1 March in common years)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def decode_birth(nik: str) -> tuple[int, int, int, str]:
    """``(day, month, two-digit year, gender)`` encoded in digits 7-12."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    gender = "F" if day > 40 else "M"
    return (day - 40 if day > 40 else day), month, year, gender


def validate_nik(
    *, nik: str, birth_date: dt.date, gender: str, district_code: str, today: dt.date
) -> None:
    """Check a NIK against the form's birth date, gender and chosen district.

    Raises :class:`InvalidNik` (codes ``nik_format``, ``nik_province``, ``nik_regency``,
    ``nik_district_mismatch``, ``nik_birth_date_invalid``, ``nik_gender_mismatch``,
    ``nik_birth_date_mismatch``, ``nik_serial``, ``too_young``, ``too_old``).
    """
    if not is_16_digits(nik):
        raise InvalidNik(_("NIK harus terdiri dari 16 digit angka."), code="nik_format")
    if not Province.objects.filter(code=nik[:2]).exists():
        raise InvalidNik(
            _("Kode provinsi pada NIK (%(code)s) tidak dikenal.") % {"code": nik[:2]},
            code="nik_province",
        )
    if not Regency.objects.filter(code=nik[:4]).exists():
        raise InvalidNik(
            _("Kode kabupaten/kota pada NIK (%(code)s) tidak dikenal.") % {"code": nik[:4]},
            code="nik_regency",
        )
    check_encoded_fields(nik=nik, birth_date=birth_date, gender=gender, district_code=district_code)
    if nik[12:] == "0000":
        raise InvalidNik(
            _("Nomor urut pada NIK (4 digit terakhir) tidak valid."), code="nik_serial"
        )
    age = age_on(birth_date, today)
    if age < MIN_AGE:
        raise InvalidNik(
            _("Usia pendaftar minimal %(age)d tahun.") % {"age": MIN_AGE}, code="too_young"
        )
    if age > MAX_AGE:
        raise InvalidNik(
            _("Usia pendaftar maksimal %(age)d tahun.") % {"age": MAX_AGE}, code="too_old"
        )


def check_encoded_fields(
    *,
    nik: str,
    birth_date: dt.date | None = None,
    gender: str | None = None,
    district_code: str | None = None,
) -> None:
    """Check that the district, birth date and gender given agree with what the NIK encodes
    (a value left out is not checked).

    Used at registration (through :func:`validate_nik`, with all three) and when staff correct
    one profile field. Raises :class:`InvalidNik` (codes ``nik_district_mismatch``,
    ``nik_birth_date_invalid``, ``nik_gender_mismatch``, ``nik_birth_date_mismatch``).
    """
    if district_code is not None and (
        nik[:6] != district_code or not District.objects.filter(code=nik[:6]).exists()
    ):
        # The message names no digit of the NIK: staff correcting a profile see it too.
        raise InvalidNik(
            _(
                "Kode wilayah pada NIK (6 digit pertama) tidak sesuai dengan kecamatan yang Anda "
                "pilih. Pilih alamat sesuai KTP."
            ),
            code="nik_district_mismatch",
        )
    day, month, year, nik_gender = decode_birth(nik)
    try:
        dt.date(2000 + year, month, day)  # 2000 is a leap year: 29 February is accepted here
    except ValueError:
        raise InvalidNik(
            _("Tanggal lahir pada NIK (digit 7-12) tidak valid."), code="nik_birth_date_invalid"
        ) from None
    if gender is not None and nik_gender != gender:
        raise InvalidNik(
            _(
                "Jenis kelamin tidak sesuai dengan NIK (untuk perempuan, tanggal lahir pada NIK "
                "ditambah 40)."
            ),
            code="nik_gender_mismatch",
        )
    if birth_date is not None and (day, month, year) != (
        birth_date.day,
        birth_date.month,
        birth_date.year % 100,
    ):
        raise InvalidNik(
            _("Tanggal lahir tidak sesuai dengan tanggal lahir pada NIK (digit 7-12)."),
            code="nik_birth_date_mismatch",
        )
