"""The named sources of the state's lists, and what each one means for selection: one table.

Each exclusion source refuses an applicant with its own reason code (``Application.Reason``),
named in plain Indonesian on the participant's "Belum berhasil" page; the priority source puts
its people first in the draw. The order of :data:`RULES` is the order in which selection checks
the exclusion sources (the first that applies is the reason given).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

EXCLUSION = "exclusion"
PRIORITY = "priority"

# The draw's tiers: the priority list's people first, everyone else after them.
PRIORITY_TIER = 0
DEFAULT_TIER = 1


class Source(models.TextChoices):
    ASN = "asn", _("ASN (Aparatur Sipil Negara)")
    TNI = "tni", _("TNI")
    POLRI = "polri", _("Polri")
    VILLAGE = "perangkat_desa", _("Kepala desa dan perangkat desa")
    LEGISLATOR = "dpr_dprd", _("Anggota DPR/DPRD")
    STATE_ENTERPRISE = "bumn_bumd", _("Direksi/komisaris BUMN/BUMD")
    BSU = "bsu", _("Penerima BSU (Bantuan Subsidi Upah)")
    BPUM = "bpum", _("Penerima BPUM (Banpres Produktif Usaha Mikro)")
    KEMENSOS = "kemensos", _("Penerima bantuan sosial Kemensos")
    LAID_OFF = "phk", _("Pekerja korban PHK (prioritas)")


@dataclass(frozen=True)
class Rule:
    source: str
    kind: str
    agency: str
    # Exclusions: the selection reason code. Priority: "".
    reason_code: str = ""
    # A few words for narrow places (the complaint form's category on a phone).
    short: str = ""


RULES: dict[str, Rule] = {
    rule.source: rule
    for rule in (
        Rule(Source.ASN, EXCLUSION, "BKN", "excluded_asn", _("daftar ASN")),
        Rule(Source.TNI, EXCLUSION, "TNI", "excluded_tni", _("daftar TNI")),
        Rule(Source.POLRI, EXCLUSION, "Polri", "excluded_polri", _("daftar Polri")),
        Rule(
            Source.VILLAGE,
            EXCLUSION,
            "Kemendagri",
            "excluded_village_official",
            _("daftar perangkat desa"),
        ),
        Rule(
            Source.LEGISLATOR,
            EXCLUSION,
            "Sekretariat DPR/DPRD",
            "excluded_legislator",
            _("daftar DPR/DPRD"),
        ),
        Rule(
            Source.STATE_ENTERPRISE,
            EXCLUSION,
            "Kementerian BUMN",
            "excluded_state_enterprise",
            _("daftar BUMN/BUMD"),
        ),
        Rule(Source.BSU, EXCLUSION, "BPJS Ketenagakerjaan", "other_aid_bsu", _("penerima BSU")),
        Rule(Source.BPUM, EXCLUSION, "KemenkopUKM", "other_aid_bpum", _("penerima BPUM")),
        Rule(Source.KEMENSOS, EXCLUSION, "Kemensos", "other_aid_kemensos", _("penerima Kemensos")),
        Rule(Source.LAID_OFF, PRIORITY, "Kemnaker", "", _("daftar PHK")),
    )
}

EXCLUSION_SOURCES = [code for code, rule in RULES.items() if rule.kind == EXCLUSION]
REASON_SOURCES = {rule.reason_code: code for code, rule in RULES.items() if rule.reason_code}


def rule(source: str) -> Rule:
    return RULES[source]


def rank(source: str) -> int:
    """The position of ``source`` in the order selection checks the lists."""
    return list(RULES).index(source)
