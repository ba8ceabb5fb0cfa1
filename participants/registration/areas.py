"""Kemendagri reference areas (province, regency/city, district) loaded as data.

The CSV files in ``participants/data/`` come unmodified from the npm package ``idn-area-data``
(v3.1.2, ODbL, see ``LICENSE-ODbL.md``); codes there are dotted (``32.01.01``) and are stored
here without dots (``320101``), the form used inside a NIK.
"""

import csv
from pathlib import Path

from django.db import transaction

from participants.models import District, Province, Regency

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _code(value: str) -> str:
    return value.replace(".", "")


def load_areas(*, provinces: list[str] | None = None) -> dict[str, int]:
    """Insert the reference areas that are missing; existing rows are left as they are.

    Idempotent and set-based (one bulk insert per table). ``provinces`` limits the load to some
    province codes (tests). Returns how many rows each table holds afterwards.
    """
    wanted = set(provinces) if provinces else None
    province_rows = [
        Province(code=row["code"], name=row["name"])
        for row in _rows("provinces.csv")
        if wanted is None or row["code"] in wanted
    ]
    regency_rows = [
        Regency(code=_code(row["code"]), province_id=row["province_code"], name=row["name"])
        for row in _rows("regencies.csv")
        if wanted is None or row["province_code"] in wanted
    ]
    district_rows = [
        District(code=_code(row["code"]), regency_id=_code(row["regency_code"]), name=row["name"])
        for row in _rows("districts.csv")
        if wanted is None or row["code"][:2] in wanted
    ]
    with transaction.atomic():
        for model, objs in (
            (Province, province_rows),
            (Regency, regency_rows),
            (District, district_rows),
        ):
            if model.objects.count() < len(objs) or wanted is not None:
                model.objects.bulk_create(objs, batch_size=2000, ignore_conflicts=True)
    return {
        "provinces": Province.objects.count(),
        "regencies": Regency.objects.count(),
        "districts": District.objects.count(),
    }
