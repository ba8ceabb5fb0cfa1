"""Selection of a closed wave: eligibility with reason codes, priority tier, a seeded draw per
quota, and the grant of card, balance and deadline to those selected (docs/program.md section 2).

The work is set-based: a fixed handful of SQL statements whatever the number of applicants
(about 20; see ``run_selection``). One decision table is computed with CTEs and window functions,
and every write (applications, participants, ledger, audit events) is an ``UPDATE ... FROM`` or
``INSERT ... SELECT`` from it.

The draw is replayable by anyone: within each quota, eligible applicants are ordered by priority
tier, then by ``md5(seed || ':' || participant_id)`` (lowercase hex, compared byte-wise), then by
participant id. :func:`draw_key` is the same function in Python.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from participants import services
from participants.cards import deadlines
from participants.cards.numbers import new_card_number
from participants.eligibility import lists, sources
from participants.models import (
    AgencyList,
    Application,
    BlacklistEntry,
    DomainError,
    LedgerEntry,
    ListException,
    Participant,
    ParticipantEvent,
    Province,
    SelectionRun,
    Wave,
    WaveProvinceQuota,
)
from participants.registration import nik
from prakerja import jobs

# The family card rule (docs/program.md section 2): at most this many participants per KK, ever.
MAX_PARTICIPANTS_PER_KK = 2
SELECTED_REASON = "selected"
DECISIONS = "selection_decision"
CARD_POOL = "selection_card_pool"


class WaveNotClosed(DomainError):
    code = "wave_not_closed"
    message = _("Seleksi hanya dapat dijalankan setelah gelombang ditutup.")


class SelectionAlreadyRun(DomainError):
    code = "selection_already_run"
    message = _("Seleksi untuk gelombang ini sudah pernah dijalankan.")


def draw_key(*, seed: str, participant_id: int) -> str:
    """The participant's position key in the seeded draw (the SQL computes the same value)."""
    return hashlib.md5(f"{seed}:{participant_id}".encode()).hexdigest()  # noqa: S324 (not security)


def new_seed() -> str:
    return secrets.token_hex(16)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def age_cutoffs(wave: Wave) -> tuple[dt.date, dt.date]:
    """``(youngest, oldest)`` birth dates for the ages ``nik.MIN_AGE``-``nik.MAX_AGE`` (18-64)
    on the wave's close date (WIB).

    Born after ``youngest``: under 18 on the close date. Born on or before ``oldest``: 65 or more.
    """
    close_day = deadlines.wib_date(wave.closes_at)
    return _years_before(close_day, nik.MIN_AGE), _years_before(close_day, nik.MAX_AGE + 1)


def _tables() -> dict[str, str]:
    return {
        "app": Application._meta.db_table,
        "part": Participant._meta.db_table,
        "quota": WaveProvinceQuota._meta.db_table,
        "entries": lists.ENTRIES,
        "exception": ListException._meta.db_table,
        "blacklist": BlacklistEntry._meta.db_table,
        "ledger": LedgerEntry._meta.db_table,
        "event": ParticipantEvent._meta.db_table,
        "decisions": DECISIONS,
        "cards": CARD_POOL,
    }


def _decision_sql(*, has_quotas: bool) -> str:
    """One row per application: its reason ('' when selected), tier, draw rank and selected flag.

    Reasons are checked in a fixed order, so each applicant gets the first that applies: the
    person's own state and declarations, then the state's lists in force (the order of
    ``eligibility.sources.RULES``, an exception lifting a list for its NIK), then the quota
    region. The tier is the laid-off workers' list (first) or everyone else; nobody types it. The
    KK rule counts the family's earlier participants (anyone ever selected) plus the family
    members ranked before this applicant in this draw (same order as the draw): it holds within
    one draw without knowing the quota outcome first, at the price of sometimes refusing a third
    family member whose ranked-before relatives then miss the quota.
    """
    # Byte-wise comparison: the draw key's order is defined on bytes, and the partitions (family
    # card, province) only need equal values together, which "C" sorts far faster than a
    # linguistic collation.
    collate = ' COLLATE "C"'
    quota = "q.quota" if has_quotas else "%(quota_total)s"
    outside = "q.quota IS NULL" if has_quotas else "false"
    quota_key = f"province_id{collate}" if has_quotas else "0"
    draw_prefix = "('x' || left(draw_key, 16))::bit(64)::bigint # '-9223372036854775808'::bigint, "
    # The lists in force (their ids and, by position in the same arrays, each one's source, its
    # place in the fixed order and whether it is the priority list; read under FOR SHARE by
    # ``_decide``, so no import replaces them before this transaction ends): only the entries
    # of the wave's applicants (a hash semi-join against the applicants already read), less
    # those an exception lifts. The entries are filtered by list id in their scan and mapped to
    # their list through the arrays, so no join with the list table can turn into a nested loop
    # of scans.
    listed = """
        listed AS (
            SELECT e.nik_hash,
                min((%(list_positions)s::integer[])[array_position(%(list_ids)s::integer[],
                                                                   e.list_id)])
                    FILTER (WHERE NOT (%(list_priority)s::boolean[])[
                        array_position(%(list_ids)s::integer[], e.list_id)]) AS exclusion,
                bool_or((%(list_priority)s::boolean[])[
                    array_position(%(list_ids)s::integer[], e.list_id)]) AS priority
            FROM {entries} e
            WHERE e.list_id = ANY(%(list_ids)s::integer[])
                AND e.nik_hash IN (SELECT nik_hash FROM applicants)
                AND NOT EXISTS (
                    SELECT 1 FROM {exception} x
                    WHERE x.nik_hash = e.nik_hash
                        AND x.source = (%(list_sources)s::text[])[
                            array_position(%(list_ids)s::integer[], e.list_id)]
                        AND x.ended_at IS NULL AND x.valid_until >= %(today)s
                )
            GROUP BY e.nik_hash
        ),"""
    # Only constants and table names are interpolated; values travel as parameters.
    return f"""
        CREATE TEMP TABLE {{decisions}} AS
        WITH applicants AS MATERIALIZED (
            SELECT a.id AS application_id, p.id AS participant_id, p.province_id, p.kk_hash,
                p.nik_hash,
                {quota} AS quota,
                {outside} AS outside,
                CASE
                    WHEN p.status <> %(applicant)s OR p.wave_id IS NOT NULL
                        THEN 'already_participant'
                    WHEN b.id IS NOT NULL THEN 'blacklisted'
                    WHEN p.registry_status <> %(registry_match)s THEN 'identity_not_verified'
                    WHEN p.birth_date > %(youngest)s THEN 'too_young'
                    WHEN p.birth_date <= %(oldest)s THEN 'too_old'
                    WHEN p.is_student THEN 'student'
                    WHEN p.is_civil_servant THEN 'civil_servant'
                    WHEN p.receives_social_aid THEN 'other_social_aid'
                END AS reason
            FROM {{app}} a
            JOIN {{part}} p ON p.id = a.participant_id
            -- At most one active entry per NIK (a partial unique constraint): a join, not a
            -- per-row subquery, so the planner can hash it.
            LEFT JOIN {{blacklist}} b ON b.nik_hash = p.nik_hash AND b.removed_at IS NULL
            LEFT JOIN {{quota}} q ON q.wave_id = a.wave_id AND q.province_id = p.province_id
            WHERE a.wave_id = %(wave_id)s AND a.status IN (%(joined)s, %(processing)s)
        ),{listed}
        base AS (
            SELECT ap.application_id, ap.participant_id, ap.province_id, ap.kk_hash, ap.quota,
                CASE WHEN l.priority THEN %(priority_tier)s ELSE %(default_tier)s END AS tier,
                md5(%(seed)s || ':' || ap.participant_id) AS draw_key,
                COALESCE(
                    ap.reason,
                    (%(reasons)s::text[])[l.exclusion],
                    CASE WHEN ap.outside THEN 'outside_quota_region' END
                ) AS reason
            FROM applicants ap
            LEFT JOIN listed l ON l.nik_hash = ap.nik_hash
        ),
        -- The family card rule needs a ranking only inside families that could exceed the
        -- limit (eligible members in this draw plus earlier participants above it): a hash
        -- count over all applicants, and a window over those few families, not a sort of all.
        family AS (
            SELECT kk_hash, count(*) AS size FROM base
            WHERE reason IS NULL AND kk_hash <> ''
            GROUP BY kk_hash
        ),
        earlier AS (
            SELECT kk_hash, count(*) AS n FROM {{part}}
            WHERE wave_id IS NOT NULL AND kk_hash <> ''
                AND kk_hash IN (SELECT kk_hash FROM family)
            GROUP BY kk_hash
        ),
        crowded AS (
            SELECT f.kk_hash, COALESCE(e.n, 0) AS n
            FROM family f LEFT JOIN earlier e ON e.kk_hash = f.kk_hash
            WHERE f.size + COALESCE(e.n, 0) > {MAX_PARTICIPANTS_PER_KK}
        ),
        over_limit AS (
            SELECT participant_id FROM (
                SELECT b.participant_id,
                    c.n + row_number() OVER (
                        PARTITION BY b.kk_hash
                        ORDER BY b.tier, b.draw_key{collate}, b.participant_id
                    ) AS kk_rank
                FROM base b JOIN crowded c ON c.kk_hash = b.kk_hash
                WHERE b.reason IS NULL
            ) ranked_in_family
            WHERE kk_rank > {MAX_PARTICIPANTS_PER_KK}
        ),
        checked AS (
            SELECT b.application_id, b.participant_id, b.province_id, b.tier, b.draw_key,
                b.quota,
                CASE
                    WHEN b.reason IS NULL AND o.participant_id IS NOT NULL
                        THEN 'family_card_limit'
                    ELSE b.reason
                END AS reason
            FROM base b LEFT JOIN over_limit o ON o.participant_id = b.participant_id
        ),
        -- The draw over the eligible only, per quota. The sort's keys are compared by value:
        -- the first 16 hex digits of the draw key as a bigint (sign bit flipped, so that signed
        -- order is the unsigned, byte-wise order), then the whole key, which only a tie of
        -- 64 bits would reach: the same order as the draw key itself.
        ranked AS (
            SELECT checked.*,
                row_number() OVER (
                    PARTITION BY {quota_key}
                    ORDER BY tier, {draw_prefix}draw_key{collate}, participant_id
                ) AS position
            FROM checked
            WHERE reason IS NULL
        )
        SELECT application_id, participant_id, province_id, tier, position AS draw_rank,
            CASE WHEN position > quota THEN 'quota_full' ELSE '{SELECTED_REASON}' END AS reason,
            CASE WHEN position <= quota THEN 1 ELSE 0 END AS selected
        FROM ranked
        UNION ALL
        SELECT application_id, participant_id, province_id, tier, NULL, reason, 0
        FROM checked
        WHERE reason IS NOT NULL
    """  # noqa: S608


def _new_card_numbers(count: int) -> list[str]:
    """``count`` distinct unguessable card numbers (``secrets``, Luhn check digit)."""
    numbers: set[str] = set()
    while len(numbers) < count:
        numbers.add(new_card_number())
    return list(numbers)


def _execute(cursor, sql: str, params=None) -> int:
    cursor.execute(sql.format(**_tables()), params)
    return cursor.rowcount


def mark_processing(*, wave: Wave) -> int:
    """Move the wave's ``joined`` applications to ``processing`` ("Sedang diproses") in one
    UPDATE; returns how many moved. Idempotent."""
    return Application.objects.filter(wave=wave, status=Application.Status.JOINED).update(
        status=Application.Status.PROCESSING
    )


def _decide(cursor, *, wave: Wave, seed: str, now: dt.datetime) -> None:
    """Create the temporary decision table for ``wave`` and ``seed`` (inside a transaction: the
    SET LOCALs and, on rollback, the table go with it). Used by the run and the preview. The
    lists and exceptions in force on ``now``'s WIB day apply."""
    # The two window sorts over all applicants fit in memory instead of spilling; JIT
    # compilation costs more (about 0.7 s) than it saves in these statements.
    cursor.execute("SET LOCAL work_mem = '256MB'")
    cursor.execute("SET LOCAL jit = off")
    ops = connection.ops
    youngest, oldest = age_cutoffs(wave)
    has_quotas = WaveProvinceQuota.objects.filter(wave=wave).exists()
    order = list(sources.RULES)
    today = timezone.localdate(now)
    in_force = lists_in_force(cursor, today=today)
    _execute(
        cursor,
        _decision_sql(has_quotas=has_quotas),
        {
            "seed": seed,
            "wave_id": wave.pk,
            "youngest": ops.adapt_datefield_value(youngest),
            "oldest": ops.adapt_datefield_value(oldest),
            "quota_total": wave.quota_total,
            "applicant": Participant.Status.APPLICANT,
            "registry_match": Participant.RegistryStatus.MATCH,
            "joined": Application.Status.JOINED,
            "processing": Application.Status.PROCESSING,
            "today": ops.adapt_datefield_value(today),
            "list_ids": [pk for pk, _source in in_force],
            "list_sources": [source for _pk, source in in_force],
            # 1-based positions into ``reasons``: the fixed order of the sources.
            "list_positions": [order.index(source) + 1 for _pk, source in in_force],
            "list_priority": [
                sources.rule(source).kind == sources.PRIORITY for _pk, source in in_force
            ],
            "reasons": [sources.rule(code).reason_code for code in order],
            "priority_tier": sources.PRIORITY_TIER,
            "default_tier": sources.DEFAULT_TIER,
        },
    )


def lists_in_force(cursor, *, today: dt.date) -> list[tuple[int, str]]:
    """``(id, source)`` of the active list versions valid on ``today``, locked FOR SHARE until
    the transaction ends: an import cannot mark them replaced (nor the purge delete their rows)
    while the caller reads their entries."""
    cursor.execute(
        f"SELECT id, source FROM {AgencyList._meta.db_table}"  # noqa: S608 (table name)
        " WHERE status = %s AND valid_until >= %s ORDER BY id FOR SHARE",
        [AgencyList.Status.ACTIVE, today],
    )
    return list(cursor.fetchall())


def run_selection(
    *, wave: Wave, seed: str | None = None, actor=None, now: dt.datetime | None = None
) -> SelectionRun:
    """Run the selection of a closed wave, once, in one transaction.

    Guarantees: every ``joined``/``processing`` application of the wave ends ``selected`` or
    ``not_selected`` with a reason code; exactly ``min(quota, eligible)`` are selected per province
    quota (or nationally on ``quota_total`` when the wave has no province quotas); the same seed
    gives the same result; each selected participant gets status ``selected``, the wave, a card
    number, a GRANT ledger entry of ``TRAINING_BALANCE_IDR`` with the matching balance and its
    expiry, and the first-purchase deadline, and a ``ParticipantEvent`` of its status change;
    every application gets its outcome, reason code, tier, draw rank and decision time. The
    announcement (SMS and email) is enqueued after commit.

    Raises :class:`WaveNotClosed` before the close time and :class:`SelectionAlreadyRun` when the
    wave already has a run (the one-to-one ``SelectionRun.wave`` is the database guarantee).
    """
    clock_start = timezone.now()
    now = now or clock_start
    if now < wave.closes_at:
        raise WaveNotClosed(wave=wave.number)
    if SelectionRun.objects.filter(wave=wave).exists():
        raise SelectionAlreadyRun(wave=wave.number)
    seed = seed or new_seed()
    ops = connection.ops

    with transaction.atomic():
        try:
            with transaction.atomic():
                run = SelectionRun.objects.create(wave=wave, seed=seed, started_at=now, actor=actor)
        except IntegrityError as exc:
            raise SelectionAlreadyRun(wave=wave.number) from exc
        with connection.cursor() as cursor:
            _decide(cursor, wave=wave, seed=seed, now=now)
            _execute(cursor, "ANALYZE {decisions}")
            _execute(cursor, "SELECT reason, count(*) FROM {decisions} GROUP BY reason")
            counts = dict(cursor.fetchall())
            selected = counts.pop(SELECTED_REASON, 0)
            # The others keep their status; their decision (reason, time) is on their
            # application and the run (actor, seed, counts) on the SelectionRun.
            _grant(
                cursor,
                wave=wave,
                selected=selected,
                actor=actor,
                now=now,
            )
            _execute(
                cursor,
                """
                UPDATE {app} AS a SET
                    status = CASE WHEN d.selected = 1 THEN %(selected)s ELSE %(not_selected)s END,
                    reason_code = CASE WHEN d.selected = 1 THEN '' ELSE d.reason END,
                    province_id = d.province_id,
                    priority_tier = d.tier,
                    draw_rank = d.draw_rank,
                    decided_at = %(now)s
                FROM {decisions} d
                WHERE a.id = d.application_id
                """,
                {
                    "selected": Application.Status.SELECTED,
                    "not_selected": Application.Status.NOT_SELECTED,
                    "now": ops.adapt_datetimefield_value(now),
                },
            )
            cursor.execute(f"DROP TABLE {DECISIONS}")
        not_selected = sum(counts.values())
        applicants = selected + not_selected
        SelectionRun.objects.filter(pk=run.pk).update(
            finished_at=now + (timezone.now() - clock_start),
            applicants=applicants,
            eligible=selected + counts.get(Application.Reason.QUOTA_FULL, 0),
            selected=selected,
            not_selected=not_selected,
            counts_by_reason=dict(sorted(counts.items())),
        )
        # robust: the selection stands even if the broker is down; the failure is logged and
        # the announcement can be re-sent with the announce_selection task.
        transaction.on_commit(lambda: _enqueue_announcement(run.pk), robust=True)
    run.refresh_from_db()
    return run


def _grant(cursor, *, wave, selected, actor, now) -> None:
    """Card numbers for the selected, then ``bulk_select``: status ``selected`` with the wave,
    selection time and deadline, the card, the balance with its GRANT ledger entry and the audit
    row. Card numbers come from ``secrets`` in Python, sent as one parameter; the few that collide
    with existing cards are dropped in SQL and a 1% margin covers them."""
    if selected == 0:
        return
    numbers = _new_card_numbers(selected + selected // 100 + 16)
    _execute(
        cursor,
        """
        CREATE TEMP TABLE {cards} AS
        SELECT t.ord AS ord, t.number AS number
        FROM unnest(string_to_array(%s, ',')) WITH ORDINALITY AS t(number, ord)
        """,
        [",".join(numbers)],
    )
    _execute(
        cursor,
        """
        DELETE FROM {cards}
        WHERE EXISTS (SELECT 1 FROM {part} p WHERE p.card_number = {cards}.number)
        """,
    )
    # The i-th selected (by id) gets the i-th card of the pool.
    choices = f"""
        SELECT s.participant_id, c.number AS card_number
        FROM (
            SELECT participant_id, row_number() OVER (ORDER BY participant_id) AS n
            FROM {DECISIONS} WHERE selected = 1
        ) s
        JOIN (SELECT number, row_number() OVER (ORDER BY ord) AS n FROM {CARD_POOL}) c
            ON c.n = s.n
    """  # noqa: S608 (constant table names)
    moved = services.bulk_select(
        choices_sql=choices,
        wave_id=wave.pk,
        granted_at=wave.announces_at,
        reason_code=SELECTED_REASON,
        note=f"Seleksi gelombang {wave.number}",
        reference=f"wave:{wave.number}",
        actor=actor,
        now=now,
    )
    if moved != selected:
        # A participant changed under us, or the card pool ran short: nothing is written.
        raise RuntimeError(f"selection granted {moved} of {selected}; rolled back")
    cursor.execute(f"DROP TABLE {CARD_POOL}")


@dataclass(frozen=True)
class PreviewRow:
    province_code: str
    province_name: str
    reason: str  # SELECTED_REASON or an Application.Reason value
    count: int


@dataclass(frozen=True)
class SelectionPreview:
    wave: Wave
    seed: str
    applicants: int
    selected: int
    counts_by_reason: dict[str, int]
    rows: list[PreviewRow] = field(default_factory=list)


def preview_selection(
    *, wave: Wave, seed: str | None = None, now: dt.datetime | None = None
) -> SelectionPreview:
    """What :func:`run_selection` would decide for ``wave`` now, without writing anything.

    The same decision SQL runs inside a savepoint that is rolled back (its temporary table goes
    with it). Counts per reason and per province do not depend on the seed (quotas are exact and
    the family card limit refuses the same number per family); which applicants are selected
    does. ``seed`` defaults to a fresh one, as the run draws its own. Raises
    :class:`WaveNotClosed` and :class:`SelectionAlreadyRun` like the run does.
    """
    now = now or timezone.now()
    if now < wave.closes_at:
        raise WaveNotClosed(wave=wave.number)
    if SelectionRun.objects.filter(wave=wave).exists():
        raise SelectionAlreadyRun(wave=wave.number)
    seed = seed or new_seed()
    with transaction.atomic():
        with connection.cursor() as cursor:
            _decide(cursor, wave=wave, seed=seed, now=now)
            _execute(
                cursor,
                "SELECT province_id, reason, count(*) FROM {decisions}"
                " GROUP BY province_id, reason",
            )
            counted = cursor.fetchall()
        # Read-only: the temporary table and the SET LOCALs are undone with the savepoint.
        transaction.set_rollback(True)
    names = Province.objects.in_bulk([code for code, _reason, _n in counted if code])
    rows = sorted(
        (
            PreviewRow(
                province_code=code or "",
                province_name=names[code].name if code in names else "-",
                reason=reason,
                count=count,
            )
            for code, reason, count in counted
        ),
        key=lambda row: (row.province_code, row.reason != SELECTED_REASON, row.reason),
    )
    by_reason: dict[str, int] = {}
    for row in rows:
        by_reason[row.reason] = by_reason.get(row.reason, 0) + row.count
    selected = by_reason.pop(SELECTED_REASON, 0)
    return SelectionPreview(
        wave=wave,
        seed=seed,
        applicants=selected + sum(by_reason.values()),
        selected=selected,
        counts_by_reason=dict(sorted(by_reason.items())),
        rows=rows,
    )


def _enqueue_announcement(run_id: int) -> None:
    jobs.enqueue_on_commit("participants.tasks.announce_selection", run_id)


def run_due_selections(*, now: dt.datetime | None = None) -> list[SelectionRun]:
    """For the beat task: mark closed waves' applications ``processing``, and run selection
    (with a fresh seed) for every wave whose announcement time has passed and has no run yet.
    Idempotent: a second call finds nothing to do."""
    now = now or timezone.now()
    for wave in Wave.objects.filter(closes_at__lte=now, selection_run__isnull=True):
        mark_processing(wave=wave)
    runs = []
    for wave in Wave.objects.filter(announces_at__lte=now, selection_run__isnull=True):
        try:
            runs.append(run_selection(wave=wave, now=now))
        except SelectionAlreadyRun:
            continue  # another worker ran it in the meantime
    return runs
