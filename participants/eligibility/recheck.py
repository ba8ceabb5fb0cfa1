"""The lists applied after selection (``recheck_eligibility``, the beat task, and after every
import): participants who hold or held a card and are now on an exclusion list in force go into
the staff review queue. Nobody is revoked, frozen or paid less by this job: it only flags.

Set-based: one ``INSERT ... SELECT`` joins the lists' entries with the participants by keyed NIK
hash (a hash join; no per-person query), leaves out NIKs an exception lifts, and lets the review
table's unique constraints decide the rest (``ON CONFLICT DO NOTHING``): one review per person and
list version (a cleared review keeps that version from flagging them again), one open review per
person and source. A rerun flags nobody new.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from participants.eligibility import lists, sources
from participants.models import AgencyList, EligibilityReview, ListException, Participant
from participants.waves import selection

S = Participant.Status
# Who is re-checked: everyone who holds or held a card and is not revoked (revoked people are
# blacklisted already). Applicants are judged by the next selection.
RECHECKED = (S.SELECTED, S.ACTIVE, S.FROZEN, S.EXPIRED, S.FINISHED)
# pg_try_advisory_xact_lock(class, key): one re-check at a time.
_LOCK = (0x52454348, 1)  # "RECH"

# Each entry's list through the arrays of the lists in force (no join with the list table, so no
# nested loop of scans), each matching participant by a hash join on the keyed NIK hash.
FLAG_SQL = """
    INSERT INTO {review} (participant_id, source, agency_list_id, wave_id, status, flagged_at,
                          proposed_decision, proposed_reason, decision, decision_reason)
    SELECT p.id, s.source, e.list_id, p.wave_id, %(open)s, %(now)s, '', '', '', ''
    FROM {entries} e
    CROSS JOIN LATERAL (
        SELECT (%(list_sources)s::text[])[array_position(%(list_ids)s::integer[], e.list_id)]
            AS source
    ) s
    JOIN {participant} p ON p.nik_hash = e.nik_hash
    WHERE e.list_id = ANY(%(list_ids)s::integer[])
        AND p.status = ANY(%(statuses)s)
        AND NOT EXISTS (
            SELECT 1 FROM {exception} x
            WHERE x.nik_hash = e.nik_hash AND x.source = s.source
                AND x.ended_at IS NULL AND x.valid_until >= %(today)s
        )
    ON CONFLICT DO NOTHING
    RETURNING source
"""


@dataclass
class RecheckSummary:
    flagged: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    lists: int = 0
    skipped: bool = False  # another re-check held the lock
    already_ran: dt.datetime | None = None

    def line(self) -> str:
        parts = [f"recheck_eligibility: flagged={self.flagged}", f"lists={self.lists}"]
        parts += [f"{source}={n}" for source, n in sorted(self.by_source.items())]
        if self.skipped:
            parts.append("skipped=another_run")
        elif not self.flagged and self.already_ran is not None:
            parts.append(f"already_ran={timezone.localtime(self.already_ran).isoformat()}")
        return " ".join(parts)


EXCLUSIONS = [code for code in sources.RULES if sources.rule(code).kind == sources.EXCLUSION]


def exclusion_lists_in_force(*, today: dt.date) -> list[AgencyList]:
    return list(
        AgencyList.objects.filter(
            status=AgencyList.Status.ACTIVE, valid_until__gte=today, source__in=EXCLUSIONS
        )
    )


def recheck(*, now: dt.datetime | None = None) -> RecheckSummary:
    """Flag every selected, active, frozen, expired or finished participant whose NIK is on an
    exclusion list in force on ``now``'s WIB day and not lifted by an exception, in one
    transaction. Returns how many reviews were opened, per source."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    in_force = exclusion_lists_in_force(today=today)
    summary = RecheckSummary(lists=len(in_force))
    if not in_force:
        return summary
    sql = FLAG_SQL.format(
        review=EligibilityReview._meta.db_table,
        entries=lists.ENTRIES,
        participant=Participant._meta.db_table,
        exception=ListException._meta.db_table,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _LOCK)
        if not cursor.fetchone()[0]:
            summary.skipped = True
            return summary
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")
        # Hash joins only: the entries' statistics can lag an import (the serving role cannot
        # ANALYZE), and a nested loop of index probes per entry costs ten times the hash join.
        cursor.execute("SET LOCAL enable_nestloop = off")
        locked = [
            (pk, source)
            for pk, source in selection.lists_in_force(cursor, today=today)
            if source in EXCLUSIONS
        ]
        cursor.execute(
            sql,
            {
                "open": EligibilityReview.Status.OPEN,
                "now": now,
                "today": today,
                "list_ids": [pk for pk, _source in locked],
                "list_sources": [source for _pk, source in locked],
                "statuses": list(RECHECKED),
            },
        )
        for (source,) in cursor.fetchall():
            summary.by_source[source] = summary.by_source.get(source, 0) + 1
    summary.flagged = sum(summary.by_source.values())
    if not summary.flagged:
        summary.already_ran = EligibilityReview.objects.filter(agency_list__in=in_force).aggregate(
            at=Max("flagged_at")
        )["at"]
    return summary
