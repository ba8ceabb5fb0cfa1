"""Synthetic versions of the state's lists for the benchmarks: a share of the portal's people
named on them, filled up to the wanted size with NIKs nobody has (province code 99 does not
exist), imported through the portal's own import (``participants.eligibility.lists``)."""

import datetime as dt
import io
import random

EXCLUSION_FILL_PREFIX = "99"


def listed_niks(queryset, *, share: float, seed: int = 2026) -> list[str]:
    """The clear NIKs of about ``share`` of ``queryset``'s participants (decrypted: the portal
    keeps only ciphertexts and keyed hashes)."""
    from prakerja import crypto

    rng = random.Random(seed)
    tokens = queryset.exclude(nik_encrypted="").values_list("nik_encrypted", flat=True)
    return [crypto.decrypt(token) for token in tokens.iterator() if rng.random() < share]


def csv_bytes(niks: list[str], *, rows: int, start: int = 0) -> bytes:
    """A list file: ``niks``, then unknown NIKs up to ``rows`` lines, with a header."""
    fill = max(rows - len(niks), 0)
    lines = ["nik", *niks]
    lines.extend(f"{EXCLUSION_FILL_PREFIX}{start + i:014d}" for i in range(fill))
    return ("\n".join(lines) + "\n").encode()


def import_exclusion_lists(niks: list[str], *, rows: int, sources: list[str] | None = None):
    """Spread ``niks`` and ``rows`` lines in all over the exclusion sources (one version each);
    returns the number of rows imported."""
    from django.utils import timezone

    from participants.eligibility import lists
    from participants.eligibility.sources import EXCLUSION_SOURCES

    sources = sources or EXCLUSION_SOURCES
    today = timezone.localdate()
    total = 0
    for index, source in enumerate(sources):
        share = niks[index :: len(sources)]
        size = rows // len(sources) + (1 if index < rows % len(sources) else 0)
        data = csv_bytes(share, rows=size, start=index * (rows + 1))
        result = lists.import_list(
            source=source,
            stream=io.BytesIO(data),
            list_date=today,
            valid_until=today + dt.timedelta(days=180),
            file_name=f"bench-{source}.csv",
            follow_up=False,
        )
        total += result.agency_list.rows
    return total
