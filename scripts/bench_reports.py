"""Staff reports benchmark: the program dashboard and the CSV exports over N generated
participants, beside their floors.

Generates N synthetic participants with set-based SQL (``generate_series``: users,
participants, applications, purchases, vouchers, installments, recovered quota, complaints over
ten waves; ``--keep`` reuses what an earlier run generated), then measures:

- the trends rollup (``reports.rollup``): a first run over every day, then an hourly run.
  Floor: the eight daily counts as one plain ``INSERT ... SELECT`` on bare tables;
- the dashboard (``GET /admin/laporan/`` as a superuser past the second factor, with this
  year's trends): the median of ``--runs`` renders, its queries and size. Floor: the same
  aggregates (funnel per wave, recovered pool, purchases per platform, complaints per category
  and age, installments per status and failure reason, this year's daily counts) as plain SQL
  on bare tables holding the same rows, the median of as many runs;
- the CSV export of the largest wave, masked and with full NIKs (decrypted), and of every
  installment: time, rows, bytes, and the process's memory (tracemalloc and RSS). Floor: a
  ``COPY ... TO STDOUT`` of the same rows and columns from bare tables, read to the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_reports.py --size 1000000 [--runs 5] [--keep]
"""

import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchutil


def arguments(parser) -> None:
    parser.add_argument("--runs", type=int, default=5, help="dashboard renders")
    parser.add_argument("--keep", action="store_true", help="reuse the generated participants")
    parser.add_argument("--skip-full-nik", action="store_true")
    parser.add_argument("--dashboard-only", action="store_true")


# DEBUG off (no query log growing in memory). TESTING only relaxes what a script cannot do here
# (hashed static manifest, HTTPS redirect, production keys); the code paths are production's.
args = benchutil.start(
    __doc__,
    size=1_000_000,
    unit="participants",
    aliases=("--participants",),
    arguments=arguments,
    env={
        "DEBUG": "0",
        "TESTING": "1",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": os.environ.get("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost"),
    },
)

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from complaints.selectors import AGE_BUCKETS  # noqa: E402
from participants.models import User  # noqa: E402
from prakerja import crypto  # noqa: E402

WAVES = list(range(901, 911))  # 901 holds half the participants; 910 is still open
LOAD_EMAIL = "load%@load.local"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def existing_load() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM participants_user WHERE email LIKE %s", [LOAD_EMAIL])
        return cursor.fetchone()[0]


def generate(n: int, *, start: int = 0) -> None:
    """Set-based synthetic data: users, participants, applications, purchases, vouchers,
    recovered quota and complaints. Distribution per closed wave: 30% selected (of whom 70%
    oriented, half bought a first training, 10% revoked), 40% quota_full, 30% other reasons."""
    token = crypto.encrypt("3201011506950001")
    sql = [
        (
            "INSERT INTO participants_province (code, name) VALUES ('32', 'JAWA BARAT') "
            "ON CONFLICT DO NOTHING",
            [],
        ),
        (
            "INSERT INTO participants_wave (number, opens_at, closes_at, announces_at, "
            "quota_total, is_additional, created_at) "
            "SELECT w, now() - interval '60 days', "
            "  CASE WHEN w = 910 THEN now() + interval '3 days'"
            "   ELSE now() - interval '50 days' END,"
            "  CASE WHEN w = 910 THEN now() + interval '4 days'"
            "   ELSE now() - interval '49 days' END,"
            "  100000, false, now() FROM unnest(%s::int[]) w ON CONFLICT (number) DO NOTHING",
            [WAVES],
        ),
        (
            "INSERT INTO trainings_platform (code, name, website, is_active) "
            "SELECT 'load-' || p, initcap(p), '', true FROM unnest(ARRAY['tokopedia','bukalapak',"
            "'pijarmahir','sekolahmu','pintaria','maubelajarapa','sisnaker','kariermu']) p "
            "ON CONFLICT (code) DO NOTHING",
            [],
        ),
        (
            "INSERT INTO trainings_provider (code, name) VALUES ('load-lp', 'Lembaga Beban') "
            "ON CONFLICT (code) DO NOTHING",
            [],
        ),
        (
            "INSERT INTO trainings_training (title, category, description, price_idr, "
            "duration_hours, mode, is_active, provider_id) "
            "SELECT 'Pelatihan Beban', 'Umum', '', 250000, 8, 'self_paced', true, id "
            "FROM trainings_provider WHERE code = 'load-lp' "
            "AND NOT EXISTS (SELECT 1 FROM trainings_training WHERE title = 'Pelatihan Beban')",
            [],
        ),
        (
            "INSERT INTO trainings_offering (code, price_idr, url, is_active, platform_id, "
            "training_id) SELECT p.code, 250000, 'https://example.invalid/' || p.code, true, "
            "p.id, t.id FROM trainings_platform p, trainings_training t "
            "WHERE p.code LIKE 'load-%%' AND t.title = 'Pelatihan Beban' "
            "ON CONFLICT (code) DO NOTHING",
            [],
        ),
        # Users and participants in one statement; r (0-99) and wi (wave index) derive from id.
        (
            "WITH u AS ("
            " INSERT INTO participants_user (password, is_superuser, is_staff, is_active,"
            "  date_joined, email, full_name, email_verified_at)"
            " SELECT '!', false, false, true, now(), 'load' || g || '@load.local',"
            "  'Peserta Beban ' || g, now() FROM generate_series(%s, %s) g RETURNING id),"
            " x AS (SELECT id, (id * 7919) %% 100 AS r,"
            "  CASE WHEN id %% 2 = 0 THEN 1 ELSE 2 + (id / 2) %% 9 END AS wi FROM u),"
            " y AS (SELECT x.*, (wi < 10 AND r < 30) AS sel,"
            "  (SELECT id FROM participants_wave WHERE number = 900 + wi) AS wave_id FROM x)"
            " INSERT INTO participants_participant (user_id, nik_encrypted, nik_masked, kk_hash,"
            "  kk_encrypted, birth_date, gender, address, education, employment_status,"
            "  identity_verified_at, phone, phone_verified_at, is_student, is_civil_servant,"
            "  receives_social_aid, is_unemployed, declared_at, test_passed_at,"
            "  status, wave_id, selected_at, card_number, oriented_at, first_purchase_deadline,"
            "  first_purchase_at, revoked_at, revoke_reason, balance_idr, province_id,"
            "  created_at, updated_at)"
            " SELECT id, %s, '3201********' || lpad((id %% 10000)::text, 4, '0'), '', '',"
            "  date '1995-06-15', 'M', '', 'sma', 'unemployed', now(),"
            "  '+62812' || lpad(id::text, 8, '0'), now(), false, false, false, true, now(), now(),"
            "  CASE WHEN NOT sel THEN 'applicant' WHEN r < 3 THEN 'revoked'"
            "   WHEN r < 24 THEN 'active' ELSE 'selected' END,"
            "  CASE WHEN sel THEN wave_id END,"
            "  CASE WHEN sel THEN now() - interval '49 days' END,"
            "  CASE WHEN sel THEN '9' || lpad(id::text, 15, '0') END,"
            "  CASE WHEN sel AND r < 24 THEN now() - interval '45 days' END,"
            "  CASE WHEN sel THEN now() - interval '20 days' END,"
            "  CASE WHEN sel AND r >= 3 AND r < 18 THEN now() - interval '40 days' END,"
            "  CASE WHEN sel AND r < 3 THEN now() - interval '19 days' END,"
            "  CASE WHEN sel AND r < 3 THEN 'no_first_purchase' ELSE '' END,"
            "  CASE WHEN sel AND r >= 3 THEN 750000 ELSE 0 END, '32', now(), now()"
            " FROM y",
            None,  # filled below
        ),
        (
            "INSERT INTO participants_application (status, reason_code, joined_at, decided_at,"
            " participant_id, province_id, wave_id)"
            " SELECT CASE WHEN wi = 10 THEN 'joined' WHEN r < 30 THEN 'selected'"
            "  ELSE 'not_selected' END,"
            "  CASE WHEN wi = 10 OR r < 30 THEN '' WHEN r < 70 THEN 'quota_full'"
            "   ELSE (ARRAY['too_young','student','civil_servant','other_social_aid',"
            "   'family_card_limit','blacklisted'])[1 + r %% 6] END,"
            "  now() - interval '55 days', CASE WHEN wi < 10 THEN now() - interval '49 days' END,"
            "  pid, '32', (SELECT id FROM participants_wave WHERE number = 900 + wi)"
            " FROM (SELECT p.id AS pid, (p.user_id * 7919) %% 100 AS r,"
            "  CASE WHEN p.user_id %% 2 = 0 THEN 1 ELSE 2 + (p.user_id / 2) %% 9 END AS wi"
            "  FROM participants_participant p JOIN participants_user u ON u.id = p.user_id"
            "  WHERE u.email LIKE %s AND NOT EXISTS (SELECT 1 FROM participants_application a"
            "  WHERE a.participant_id = p.id)) z",
            [LOAD_EMAIL],
        ),
        (
            "WITH o AS (SELECT id, platform_id, training_id, row_number() OVER (ORDER BY id) - 1"
            "  AS k FROM trainings_offering WHERE code LIKE 'load-%%')"
            " INSERT INTO trainings_payment (id, partner_order_id, amount_idr, status, otp_hash,"
            "  otp_expires_at, otp_attempts, created_at, paid_at, offering_id, participant_id,"
            "  platform_id)"
            " SELECT gen_random_uuid(), 'load-' || p.id, 250000, 'paid', '', now(), 0, now(),"
            "  now(), o.id, p.id, o.platform_id FROM participants_participant p"
            " JOIN o ON o.k = p.id %% 8"
            " WHERE p.first_purchase_at IS NOT NULL AND p.card_number LIKE '9%%'"
            " ON CONFLICT DO NOTHING",
            [],
        ),
        (
            "INSERT INTO trainings_voucher (code, status, sequence, issued_at, completed_at,"
            "  certificate_number, certificate_url, rating, review, reviewed_at, participant_id,"
            "  payment_id, provider_id, training_id)"
            " SELECT 'LD' || lpad(pay.participant_id::text, 12, '0'),"
            "  CASE WHEN r < 13 THEN 'completed' ELSE 'redeemed' END, 1, now(),"
            "  CASE WHEN r < 13 THEN now() END, '', '', CASE WHEN r < 9 THEN 5 END, '',"
            "  CASE WHEN r < 9 THEN now() END, pay.participant_id, pay.id, t.provider_id, t.id"
            " FROM (SELECT pay.*, (p.user_id * 7919) %% 100 AS r FROM trainings_payment pay"
            "  JOIN participants_participant p ON p.id = pay.participant_id"
            "  WHERE pay.partner_order_id LIKE 'load-%%') pay"
            " JOIN trainings_offering o ON o.id = pay.offering_id"
            " JOIN trainings_training t ON t.id = o.training_id ON CONFLICT DO NOTHING",
            [],
        ),
        (
            "INSERT INTO trainings_recoveredquota (recovered, allocated, province_id,"
            " source_wave_id)"
            " SELECT count(*), count(*) / 3, '32', p.wave_id FROM participants_participant p"
            " WHERE p.status = 'revoked' AND p.card_number LIKE '9%%' GROUP BY p.wave_id"
            " ON CONFLICT (source_wave_id, province_id) DO UPDATE"
            " SET recovered = EXCLUDED.recovered, allocated = EXCLUDED.allocated",
            [],
        ),
        (
            "INSERT INTO complaints_complaint (ticket_number, name, phone, email, category,"
            " subcategory, description, attachment, attachment_type, consent_at, status,"
            " created_at, updated_at, resolved_at)"
            " SELECT 'LD-' || lpad(g::text, 8, '0'), 'Pelapor ' || g, '+6281200000000',"
            "  'pelapor' || g || '@load.local',"
            "  (ARRAY['registrasi','pembelian','insentif','lainnya'])[1 + g %% 4],"
            "  CASE WHEN g %% 4 = 0 THEN 'gagal_unggah_ktp' ELSE '' END,"
            "  'Uraian pengaduan beban nomor ' || g, '', '', now(),"
            "  (ARRAY['baru','diproses','selesai'])[1 + g %% 3],"
            "  now() - (g %% 20) * interval '1 day', now(),"
            "  CASE WHEN g %% 3 = 2 THEN now() END"
            " FROM generate_series(1, %s) g ON CONFLICT (ticket_number) DO NOTHING",
            [max((start + n) // 20, 1)],
        ),
    ]
    sql[6] = (sql[6][0], [start + 1, start + n, token])
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement, params in sql:
            step = time.perf_counter()
            cursor.execute(statement, params)
            print(
                f"  {cursor.rowcount:>9} rows  {time.perf_counter() - step:6.1f} s  "
                f"{statement.split('(')[0].strip()[:60]}"
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - started:.1f} s")


def ensure_installments() -> None:
    """Four monthly installments for every generated participant who reviewed a first training:
    the first paid, the second paid or failed (with a reason), the rest scheduled. Idempotent."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO incentives_installment (participant_id, kind, number, amount_idr, due_at,"
            " status, reason_code, attempts, temporary_failures, next_attempt_at, paid_at,"
            " failed_at, notified_status, created_at)"
            " SELECT v.participant_id, 'monthly', n, 600000, now() + (n - 2) * interval '30 days',"
            "  CASE WHEN n = 1 OR (n = 2 AND v.participant_id %% 5 > 1) THEN 'paid'"
            "   WHEN n = 2 THEN 'failed' ELSE 'scheduled' END,"
            "  CASE WHEN n = 2 AND v.participant_id %% 5 <= 1 THEN (ARRAY['account_closed',"
            "   'name_mismatch','ewallet_not_premium','account_not_found'])"
            "   [1 + v.participant_id %% 4] ELSE '' END,"
            "  CASE WHEN n <= 2 THEN 1 ELSE 0 END, 0, now(),"
            "  CASE WHEN n = 1 OR (n = 2 AND v.participant_id %% 5 > 1) THEN now() END,"
            "  CASE WHEN n = 2 AND v.participant_id %% 5 <= 1 THEN now() END, '', now()"
            " FROM trainings_voucher v CROSS JOIN generate_series(1, 4) n"
            " WHERE v.code LIKE 'LD%%' AND v.reviewed_at IS NOT NULL"
            " ON CONFLICT DO NOTHING",
            [],
        )
        added = cursor.rowcount
        if added:
            # Each paid or failed installment's audit row, as the payout outcomes write it (the
            # trends count failed payouts from these).
            cursor.execute(
                "INSERT INTO participants_participantevent (participant_id, kind, from_status,"
                " to_status, reason_code, note, created_at)"
                " SELECT i.participant_id, 'payout', '', i.status,"
                "  CASE WHEN i.status = 'failed' THEN i.reason_code ELSE 'paid' END,"
                "  'monthly ' || i.number, coalesce(i.paid_at, i.failed_at)"
                " FROM incentives_installment i JOIN participants_participant p"
                "  ON p.id = i.participant_id JOIN participants_user u ON u.id = p.user_id"
                " WHERE i.status IN ('paid', 'failed') AND u.email LIKE %s"
                " AND NOT EXISTS (SELECT 1 FROM participants_participantevent e"
                "  WHERE e.participant_id = i.participant_id AND e.kind = 'payout'"
                "  AND e.note = 'monthly ' || i.number)",
                [LOAD_EMAIL],
            )
    if added:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE incentives_installment")
            cursor.execute("ANALYZE participants_participantevent")
        print(f"  {added:>9} installments generated in {time.perf_counter() - started:.1f} s")


def ensure_nik_token() -> None:
    """Generated rows share one encrypted NIK; re-encrypt it if the key has changed since."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nik_encrypted FROM participants_participant WHERE card_number LIKE '9%%' "
            "OR nik_masked LIKE '3201********%%' AND nik_encrypted <> '' LIMIT 1"
        )
        row = cursor.fetchone()
        if row is None:
            return
        try:
            crypto.decrypt(row[0])
        except ValueError:
            cursor.execute(
                "UPDATE participants_participant p SET nik_encrypted = %s FROM participants_user"
                " u WHERE u.id = p.user_id AND u.email LIKE %s",
                [crypto.encrypt("3201011506950001"), LOAD_EMAIL],
            )
            print(f"re-encrypted {cursor.rowcount} generated NIKs under the current key")


def staff_client(*, superuser: bool, permissions: tuple[str, ...] = ()) -> Client:
    """A client logged in as the bench's staff member, past the admin's second factor (a TOTP
    device, as after typing its token): a superuser, or staff with exactly ``permissions``."""
    from django.contrib.auth.models import Permission
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from participants.staff_otp import ensure_totp_device

    user, _ = User.objects.update_or_create(
        email="bench-staff@load.local",
        defaults={"full_name": "Bench Staff", "is_staff": True, "is_superuser": superuser},
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    ensure_totp_device(user=user)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


# --- the dashboard --------------------------------------------------------------------------------

DASHBOARD_TABLES = {
    "application": "SELECT id, wave_id, status, reason_code FROM participants_application",
    "participant": "SELECT id, wave_id, status, oriented_at, first_purchase_at "
    "FROM participants_participant",
    "voucher": "SELECT id, participant_id, sequence, completed_at, reviewed_at "
    "FROM trainings_voucher",
    "wave": "SELECT id, number, quota_total, is_additional, opens_at, closes_at "
    "FROM participants_wave",
    "selectionrun": "SELECT id, wave_id FROM participants_selectionrun",
    "recovered": "SELECT id, source_wave_id, recovered, allocated FROM trainings_recoveredquota",
    "payment": "SELECT id, platform_id, status, amount_idr FROM trainings_payment",
    "platform": "SELECT id, name FROM trainings_platform",
    "complaint": "SELECT id, category, status, created_at FROM complaints_complaint",
    "installment": "SELECT id, status, reason_code, amount_idr FROM incentives_installment",
    "dailycount": "SELECT id, day, series, wave_id, value FROM reports_dailycount",
}


def dashboard_floor_sql() -> list[tuple[str, dict]]:
    now = timezone.now()
    buckets = []
    params: dict = {"now": now}
    for key, _label, lower, upper in AGE_BUCKETS:
        condition = "status <> 'selesai'"
        if lower is not None:
            params[f"{key}_lower"] = now - lower
            condition += f" AND created_at <= %({key}_lower)s"
        if upper is not None:
            params[f"{key}_upper"] = now - upper
            condition += f" AND created_at > %({key}_upper)s"
        buckets.append(f"count(*) FILTER (WHERE {condition})")
    return [
        (
            "SELECT wave_id, count(*), count(*) FILTER (WHERE status = 'selected' OR "
            "(status = 'not_selected' AND reason_code = 'quota_full')), "
            "count(*) FILTER (WHERE status = 'selected') FROM bare_application GROUP BY wave_id",
            {},
        ),
        (
            "SELECT p.wave_id, count(*) FILTER (WHERE p.oriented_at IS NOT NULL), "
            "count(*) FILTER (WHERE p.first_purchase_at IS NOT NULL), "
            "count(*) FILTER (WHERE p.status = 'revoked'), "
            "count(*) FILTER (WHERE v.completed_at IS NOT NULL), "
            "count(*) FILTER (WHERE v.reviewed_at IS NOT NULL) "
            "FROM bare_participant p "
            "LEFT JOIN bare_voucher v ON v.participant_id = p.id AND v.sequence = 1 "
            "WHERE p.wave_id IS NOT NULL GROUP BY p.wave_id",
            {},
        ),
        (
            "SELECT w.id, w.number, w.quota_total, w.is_additional, w.opens_at, w.closes_at, "
            "EXISTS (SELECT 1 FROM bare_selectionrun r WHERE r.wave_id = w.id) "
            "FROM bare_wave w ORDER BY w.number DESC",
            {},
        ),
        (
            "SELECT w.number, sum(r.recovered), sum(r.allocated) FROM bare_recovered r "
            "JOIN bare_wave w ON w.id = r.source_wave_id GROUP BY w.number ORDER BY 1 DESC",
            {},
        ),
        (
            "SELECT pl.name, count(*), sum(p.amount_idr) FROM bare_payment p "
            "JOIN bare_platform pl ON pl.id = p.platform_id WHERE p.status = 'paid' "
            "GROUP BY pl.name ORDER BY 2 DESC, 1",
            {},
        ),
        (
            "SELECT category, count(*), count(*) FILTER (WHERE status <> 'selesai'), "
            f"{', '.join(buckets)} FROM bare_complaint GROUP BY category",
            params,
        ),
        ("SELECT status, count(*), sum(amount_idr) FROM bare_installment GROUP BY status", {}),
        (
            "SELECT reason_code, count(*), sum(amount_idr) FROM bare_installment "
            "WHERE status = 'failed' GROUP BY reason_code ORDER BY 2 DESC, 1",
            {},
        ),
        # The trends: this year's daily counts, every wave together.
        (
            "SELECT day, series, sum(value) FROM bare_dailycount "
            "WHERE day >= %(jan1)s AND day <= %(today)s GROUP BY day, series",
            {"jan1": timezone.localdate().replace(month=1, day=1), "today": timezone.localdate()},
        ),
    ]


def dashboard_floor(cursor) -> None:
    for sql, params in dashboard_floor_sql():
        cursor.execute(sql, params)
        cursor.fetchall()


def funnel_outcome() -> tuple[dict, dict]:
    """The funnel per wave as the dashboard counts it, and as the floor's queries do."""
    from reports import selectors

    portal = {
        funnel["id"]: [stage["value"] for stage in funnel["stages"]]
        for funnel in selectors.wave_funnels()
        if any(stage["value"] for stage in funnel["stages"])
    }
    applications, participants = dashboard_floor_sql()[:2]
    with connection.cursor() as cursor:
        cursor.execute(*applications)
        counted = {wave: list(row) for wave, *row in cursor.fetchall()}
        cursor.execute(*participants)
        for wave, oriented, bought, revoked, completed, reviewed in cursor.fetchall():
            counted.setdefault(wave, [0, 0, 0])
            counted[wave] += [oriented, bought, completed, reviewed, revoked]
    floor = {wave: row + [0] * (8 - len(row)) for wave, row in counted.items()}
    return portal, floor


def bench_dashboard(client: Client, runs: int) -> None:
    bare = benchutil.Floor(DASHBOARD_TABLES)
    bare.snapshot()
    bare.build()
    benchutil.settle(args.size)
    bare.repeat(dashboard_floor, runs=1)  # warm up, as the dashboard is
    floors = [statistics.median(bare.repeat(dashboard_floor, runs=runs))]
    client.get("/admin/laporan/")  # warm-up: connection, templates, caches
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries, benchutil.stopwatch() as watch:
            response = client.get("/admin/laporan/")
        times.append(watch.seconds)
        if response.status_code != 200:
            raise SystemExit(f"bench_reports: the dashboard answered {response.status_code}")
    floors.append(statistics.median(bare.repeat(dashboard_floor, runs=runs)))
    benchutil.same_outcome(*funnel_outcome())
    bare.drop()
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]
    benchutil.report(
        f"staff dashboard, {args.size:,} participants",
        statistics.median(times),
        floors,
        detail=f"median of {runs} renders (min {min(times):.2f} s, max {max(times):.2f} s); "
        f"{len(queries)} queries, {len(response.content) // 1024} KB; the floor's "
        f"{len(dashboard_floor_sql())} queries, median of {runs} runs",
    )
    for query in slowest:
        print(f"    {float(query['time']):.3f} s  {query['sql'][:110]}")


# --- the trends rollup ----------------------------------------------------------------------------

ROLLUP_TABLES = {
    "participant": "SELECT id, wave_id, user_id, created_at, first_purchase_at, revoked_at "
    "FROM participants_participant",
    "application": "SELECT id, wave_id, status, joined_at, decided_at "
    "FROM participants_application",
    "installment": "SELECT i.id, p.wave_id, i.paid_at FROM incentives_installment i "
    "JOIN participants_participant p ON p.id = i.participant_id",
    "event": "SELECT id, participant_id, kind, to_status, created_at "
    "FROM participants_participantevent",
    "complaint": "SELECT id, user_id, created_at FROM complaints_complaint",
    # What the rollup writes: empty before the work, no id (an identity column is added).
    "daily": "SELECT day, series, wave_id, value FROM reports_dailycount WHERE false",
}


def rollup_floor_sql(since=None) -> tuple[str, dict]:
    """The rollup as one plain INSERT ... SELECT: each series grouped per WIB day (and wave)."""

    def day(column: str) -> str:
        return f"({column} AT TIME ZONE 'Asia/Jakarta')::date"

    def since_of(column: str) -> str:
        return f" AND {column} >= %(start)s" if since else ""

    parts = [
        f"SELECT {day('created_at')}, 'registrations', NULL::bigint, count(*) FROM bare_participant"
        f" WHERE created_at <= %(now)s{since_of('created_at')} GROUP BY 1",
        f"SELECT {day('joined_at')}, 'joins', wave_id, count(*) FROM bare_application"
        f" WHERE joined_at <= %(now)s{since_of('joined_at')} GROUP BY 1, 3",
        f"SELECT {day('decided_at')}, 'selections', wave_id, count(*) FROM bare_application"
        f" WHERE status = 'selected' AND decided_at <= %(now)s{since_of('decided_at')}"
        " GROUP BY 1, 3",
        f"SELECT {day('first_purchase_at')}, 'first_purchases', wave_id, count(*)"
        f" FROM bare_participant WHERE first_purchase_at <= %(now)s"
        f"{since_of('first_purchase_at')} GROUP BY 1, 3",
        f"SELECT {day('revoked_at')}, 'revocations', wave_id, count(*) FROM bare_participant"
        f" WHERE revoked_at <= %(now)s{since_of('revoked_at')} GROUP BY 1, 3",
        f"SELECT {day('paid_at')}, 'payouts_paid', wave_id, count(*) FROM bare_installment"
        f" WHERE paid_at <= %(now)s{since_of('paid_at')} GROUP BY 1, 3",
        f"SELECT {day('e.created_at')}, 'payouts_failed', p.wave_id, count(*) FROM bare_event e"
        " LEFT JOIN bare_participant p ON p.id = e.participant_id"
        f" WHERE e.kind = 'payout' AND e.to_status = 'failed' AND e.created_at <= %(now)s"
        f"{since_of('e.created_at')} GROUP BY 1, 3",
        f"SELECT {day('c.created_at')}, 'complaints', p.wave_id, count(*) FROM bare_complaint c"
        " LEFT JOIN bare_participant p ON p.user_id = c.user_id"
        f" WHERE c.created_at <= %(now)s{since_of('c.created_at')} GROUP BY 1, 3",
    ]
    params = {"now": timezone.now()}
    if since:
        from participants.cards import deadlines

        params["start"] = deadlines.start_of_wib_day(since)
    sql = "INSERT INTO bare_daily (day, series, wave_id, value) " + " UNION ALL ".join(parts)
    return sql, params


def bench_rollup() -> None:
    """The trends rollup from nothing (a first run: every day), then an hourly run (the last
    days), each beside its floor."""
    from reports import rollup
    from reports.models import DailyCount

    DailyCount.objects.all().delete()
    bare = benchutil.Floor(ROLLUP_TABLES)
    bare.snapshot()
    outcome_sql = {
        "rows": "SELECT count(*) FROM bare_daily",
        "events": "SELECT coalesce(sum(value), 0) FROM bare_daily",
    }

    def run_floor(since=None) -> float:
        sql, params = rollup_floor_sql(since)
        return bare.run(
            lambda cursor: cursor.execute(sql, params),
            outcome=lambda cursor: benchutil.counts(cursor, outcome_sql),
        )

    for since, name in ((None, "first run, every day"), ("hourly", "an hourly run")):
        start = rollup.default_since() if since else None
        floors = [run_floor(start)]
        with benchutil.stopwatch() as watch:
            result = rollup.rollup_daily_counts()
        floors.append(run_floor(start))
        wrote = DailyCount.objects.filter(day__gte=start) if start else DailyCount.objects
        benchutil.same_outcome(
            {"rows": wrote.count(), "events": sum(wrote.values_list("value", flat=True))},
            bare.outcome,
        )
        benchutil.report(
            f"trends rollup, {name}, {args.size:,} participants",
            watch.seconds,
            floors,
            detail=f"{result.rows} rows for {result.days} days, {result.events:,} events; the "
            "floor: the eight counts as one INSERT ... SELECT on bare tables",
        )
    bare.drop()


# --- the exports ----------------------------------------------------------------------------------

EXPORT_TABLES = {
    "application": "SELECT id, participant_id, wave_id, status, reason_code, joined_at, "
    "decided_at FROM participants_application",
    "participant": "SELECT id, user_id, status, nik_masked, nik_encrypted, province_id, "
    "revoke_reason FROM participants_participant",
    "user": "SELECT id, full_name, email FROM participants_user",
    "province": "SELECT code AS id, name FROM participants_province",
    "installment": "SELECT id, participant_id, kind, number, amount_idr, due_at, status, "
    "reason_code, attempts, paid_at, failed_at FROM incentives_installment",
}

EXPORT_WAVE_COPY = """
    COPY (
        SELECT a.id, a.participant_id, u.full_name, u.email, p.nik_masked, p.province_id,
            pr.name, a.status, a.reason_code, p.status, p.revoke_reason, a.joined_at,
            a.decided_at
        FROM bare_application a
        JOIN bare_participant p ON p.id = a.participant_id
        JOIN bare_user u ON u.id = p.user_id
        LEFT JOIN bare_province pr ON pr.id = p.province_id
        WHERE a.wave_id = {wave} ORDER BY a.id
    ) TO STDOUT WITH (FORMAT csv, HEADER)
"""
EXPORT_INSTALLMENTS_COPY = """
    COPY (
        SELECT i.id, i.participant_id, u.full_name, p.nik_masked, i.kind, i.number,
            i.amount_idr, i.due_at, i.status, i.reason_code, i.attempts, i.paid_at, i.failed_at
        FROM bare_installment i
        JOIN bare_participant p ON p.id = i.participant_id
        JOIN bare_user u ON u.id = p.user_id
        ORDER BY i.id
    ) TO STDOUT WITH (FORMAT csv, HEADER)
"""


class Sink:
    """A file that counts what is written to it (COPY's output, read to the end)."""

    def __init__(self):
        self.bytes = 0
        self.rows = 0

    def write(self, data) -> int:
        self.bytes += len(data)
        self.rows += data.count(b"\n" if isinstance(data, bytes) else "\n")
        return len(data)


def copy_floor(bare: benchutil.Floor, sql: str) -> tuple[float, int]:
    """Seconds for the COPY, and the data rows it wrote (the header left out)."""
    sink = Sink()

    def work(cursor) -> None:
        cursor.cursor.copy_expert(sql, sink)

    return bare.run(work, build=False, drop=False), sink.rows - 1


def download(client: Client, url: str, *, trace: bool = False) -> dict:
    if trace:
        tracemalloc.start()
    rss_before = rss_mb()
    with benchutil.stopwatch() as watch:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"bench_reports: {url} answered {response.status_code}")
        rows, size, rss_max = -1, 0, rss_before
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
            if rows % 50_000 == 0:
                rss_max = max(rss_max, rss_mb())
        response.close()
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    return {
        "seconds": watch.seconds,
        "rows": rows,
        "mb": size / 1024 / 1024,
        "rss": f"RSS {rss_before:.0f} -> max {max(rss_max, rss_mb()):.0f} MB",
        "peak": peak,
    }


def bench_exports(biggest: int, smallest: int) -> None:
    from participants.models import Wave

    wave_id = Wave.objects.get(number=biggest).pk
    bare = benchutil.Floor(EXPORT_TABLES)
    bare.snapshot()
    bare.build()
    benchutil.settle(args.size)
    wave_copy = EXPORT_WAVE_COPY.format(wave=int(wave_id))
    wave_floors, installment_floors = [], []
    wave_rows = installment_rows = 0

    def floors() -> None:
        nonlocal wave_rows, installment_rows
        seconds, wave_rows = copy_floor(bare, wave_copy)
        wave_floors.append(seconds)
        seconds, installment_rows = copy_floor(bare, EXPORT_INSTALLMENTS_COPY)
        installment_floors.append(seconds)

    floors()

    masked = staff_client(
        superuser=False, permissions=("view_program_dashboard", "export_program_data")
    )
    export = download(masked, f"/admin/laporan/ekspor/peserta/{biggest}/")
    small = download(masked, f"/admin/laporan/ekspor/peserta/{smallest}/", trace=True)
    traced = download(masked, f"/admin/laporan/ekspor/peserta/{biggest}/", trace=True)
    installments = download(masked, "/admin/laporan/ekspor/cicilan/")
    full = None
    if not args.skip_full_nik:
        full = download(staff_client(superuser=True), f"/admin/laporan/ekspor/peserta/{biggest}/")
    floors()
    bare.drop()
    benchutil.same_outcome(
        {"wave rows": export["rows"], "installment rows": installments["rows"]},
        {"wave rows": wave_rows, "installment rows": installment_rows},
    )

    benchutil.report(
        f"CSV export of wave {biggest}, masked NIK, {export['rows']:,} rows",
        export["seconds"],
        wave_floors,
        detail=f"{export['mb']:.1f} MB; {export['rss']}; Python peak memory (tracemalloc) "
        f"{small['peak']:.1f} MB for {small['rows']:,} rows, {traced['peak']:.1f} MB for "
        f"{traced['rows']:,}",
    )
    if full:
        benchutil.report(
            f"CSV export of wave {biggest}, full NIK, {full['rows']:,} rows",
            full["seconds"],
            wave_floors,
            detail=f"{full['mb']:.1f} MB, every NIK decrypted; the floor copies the masked NIK",
        )
    benchutil.report(
        f"CSV export of every installment, {installments['rows']:,} rows",
        installments["seconds"],
        installment_floors,
        detail=f"{installments['mb']:.1f} MB",
    )


def main() -> None:
    have = existing_load()
    if have < args.size:
        print(f"  generating {args.size - have:,} participants (have {have:,}) ...")
        generate(args.size - have, start=have)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.number, count(*) FROM participants_application a JOIN participants_wave w"
            " ON w.id = a.wave_id GROUP BY w.number ORDER BY count(*) DESC, w.number"
        )
        sizes = cursor.fetchall()
    print(f"  applications per wave: {dict(sizes)}")
    ensure_installments()
    ensure_nik_token()
    bench_rollup()
    bench_dashboard(staff_client(superuser=True), args.runs)
    if not args.dashboard_only:
        bench_exports(sizes[0][0], sizes[-1][0])
    print(f"  process peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
