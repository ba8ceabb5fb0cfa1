"""Money is written the Indonesian way everywhere ("Rp600.000", never "Rp600,000"), by one
formatter: ``prakerja.money.rupiah`` in Python and the ``rupiah`` filter in templates."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from incentives.models import DisbursementBatch
from prakerja.money import rupiah

ROOT = Path(__file__).resolve().parents[1]
APPS = ["participants", "trainings", "incentives", "reports", "complaints", "sandbox", "prakerja"]
# A thousands separator written by hand (an f-string or format spec with ",", or the comma
# swapped for a dot afterwards) on a line about money.
HAND_MADE = re.compile(r"""\{[^{}]*:,\}|:,\}|format\([^)]*,\s*","\s*\)|\.replace\(",",\s*"\."\)""")
MONEY = re.compile(r"Rp|_idr\b|amount|balance|rupiah", re.IGNORECASE)
# "Rp" written next to a number in a template instead of the filter.
TEMPLATE_RP = re.compile(r"Rp\s*\{\{")


def test_rupiah_writes_dots_between_thousands():
    assert rupiah(600_000) == "Rp600.000"
    assert rupiah(1_000_000) == "Rp1.000.000"
    assert rupiah(0) == "Rp0"
    assert rupiah(-250_000) == "-Rp250.000"


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_template_filter_does_not_depend_on_the_language(language):
    with translation.override(language):
        html = Template("{% load portal %}{{ amount|rupiah }}").render(Context({"amount": 600000}))
    assert html == "Rp600.000"


def test_a_batch_title_writes_rupiah_the_indonesian_way():
    batch = DisbursementBatch(pk=7, installment_count=1, total_idr=600_000)
    assert "Rp600.000" in str(batch)
    assert "600,000" not in str(batch)


def test_no_code_formats_money_by_hand():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative == "prakerja/money.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if HAND_MADE.search(line) and MONEY.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
        for path in list((ROOT / app).rglob("*.html")) + list((ROOT / "templates").rglob("*.html")):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if TEMPLATE_RP.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert sorted(set(offenders)) == []
