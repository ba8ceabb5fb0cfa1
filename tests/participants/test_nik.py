"""NIK validation: every failure has its own code and Indonesian message."""

import datetime as dt

import pytest

from participants.registration.nik import InvalidNik, decode_birth, validate_nik
from tests.factories import make_nik

TODAY = dt.date(2026, 11, 21)
BIRTH = dt.date(1995, 6, 15)


def check(nik, *, birth=BIRTH, gender="M", district="320101"):
    validate_nik(nik=nik, birth_date=birth, gender=gender, district_code=district, today=TODAY)


def code_of(**kwargs) -> str:
    with pytest.raises(InvalidNik) as exc:
        check(**kwargs)
    assert exc.value.message
    return exc.value.code


def test_valid_nik_of_a_man_passes(areas):
    check(make_nik(birth_date=BIRTH, gender="M", serial=1))


def test_valid_nik_of_a_woman_has_day_plus_40(areas):
    nik = make_nik(birth_date=BIRTH, gender="F", serial=1)
    assert nik[6:8] == "55"
    assert decode_birth(nik) == (15, 6, 95, "F")
    check(nik, gender="F")


@pytest.mark.parametrize("nik", ["320101150695001", "32010115069500012", "3201011506950a01", ""])
def test_nik_must_be_16_digits(areas, nik):
    assert code_of(nik=nik) == "nik_format"


def test_unknown_province_code_is_refused(areas):
    assert code_of(nik="9901011506950001", district="990101") == "nik_province"


def test_unknown_regency_code_is_refused(areas):
    assert code_of(nik="3299011506950001", district="329901") == "nik_regency"


def test_district_code_must_match_the_chosen_district(areas):
    nik = make_nik(district_code="320102", birth_date=BIRTH, serial=1)
    assert code_of(nik=nik, district="320101") == "nik_district_mismatch"


def test_impossible_birth_date_in_nik_is_refused(areas):
    assert code_of(nik="3201013206950001") == "nik_birth_date_invalid"  # day 32
    assert code_of(nik="3201011513950001") == "nik_birth_date_invalid"  # month 13


def test_gender_must_agree_with_the_day_encoding(areas):
    woman = make_nik(birth_date=BIRTH, gender="F", serial=1)
    assert code_of(nik=woman, gender="M") == "nik_gender_mismatch"
    man = make_nik(birth_date=BIRTH, gender="M", serial=1)
    assert code_of(nik=man, gender="F") == "nik_gender_mismatch"


def test_birth_date_must_agree_with_the_form(areas):
    nik = make_nik(birth_date=BIRTH, serial=1)
    assert code_of(nik=nik, birth=dt.date(1995, 6, 16)) == "nik_birth_date_mismatch"
    assert code_of(nik=nik, birth=dt.date(1985, 6, 15)) == "nik_birth_date_mismatch"


def test_serial_0000_is_refused(areas):
    assert code_of(nik="3201011506950000") == "nik_serial"


def test_age_must_be_at_least_18(areas):
    birth = dt.date(2008, 11, 22)  # 18 tomorrow
    assert code_of(nik=make_nik(birth_date=birth, serial=1), birth=birth) == "too_young"
    birth = dt.date(2008, 11, 21)  # 18 today
    check(make_nik(birth_date=birth, serial=1), birth=birth)


def test_age_must_be_at_most_64(areas):
    birth = dt.date(1961, 11, 21)  # 65 today
    assert code_of(nik=make_nik(birth_date=birth, serial=1), birth=birth) == "too_old"
    birth = dt.date(1961, 11, 22)  # 64 until tomorrow
    check(make_nik(birth_date=birth, serial=1), birth=birth)
