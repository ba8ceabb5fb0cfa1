"""Benchmark the staff program dashboard and the CSV exports at scale (issue 7).

Run against your own PostgreSQL database (never production):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_complaints \\
        .venv/bin/python scripts/bench_reports.py --participants 1000000

It generates synthetic participants with set-based SQL (``generate_series``; once, reused on
later runs), then measures:

- the dashboard (``GET /admin/laporan/``): wall time of several renders and the query count;
- the CSV export of the largest wave, masked and with full NIKs: time, rows, bytes, peak Python
  memory (tracemalloc) and the process's resident set size before and after.

It prints the figures; nothing here is a test.
"""

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prakerja.settings")
# DEBUG off (no query log growing in memory). TESTING only relaxes what a script cannot do here
# (hashed static manifest, HTTPS redirect, production keys); the code paths are production's.
os.environ["DEBUG"] = "0"
os.environ["TESTING"] = "1"
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from participants import crypto  # noqa: E402
from participants.models import User  # noqa: E402

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
            " failed_at, created_at)"
            " SELECT v.participant_id, 'monthly', n, 600000, now() + (n - 2) * interval '30 days',"
            "  CASE WHEN n = 1 OR (n = 2 AND v.participant_id %% 5 > 1) THEN 'paid'"
            "   WHEN n = 2 THEN 'failed' ELSE 'scheduled' END,"
            "  CASE WHEN n = 2 AND v.participant_id %% 5 <= 1 THEN (ARRAY['account_closed',"
            "   'name_mismatch','ewallet_not_premium','account_not_found'])"
            "   [1 + v.participant_id %% 4] ELSE '' END,"
            "  CASE WHEN n <= 2 THEN 1 ELSE 0 END, 0, now(),"
            "  CASE WHEN n = 1 OR (n = 2 AND v.participant_id %% 5 > 1) THEN now() END,"
            "  CASE WHEN n = 2 AND v.participant_id %% 5 <= 1 THEN now() END, now()"
            " FROM trainings_voucher v CROSS JOIN generate_series(1, 4) n"
            " WHERE v.code LIKE 'LD%%' AND v.reviewed_at IS NOT NULL"
            " ON CONFLICT DO NOTHING",
            [],
        )
        added = cursor.rowcount
    if added:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE incentives_installment")
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


def staff_client() -> Client:
    user, _ = User.objects.get_or_create(
        email="bench-staff@load.local",
        defaults={"full_name": "Bench Staff", "is_staff": True, "is_superuser": True},
    )
    client = Client()
    client.force_login(user)
    return client


def bench_dashboard(client: Client, runs: int) -> None:
    client.get("/admin/laporan/")  # warm-up: connection, templates, caches
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get("/admin/laporan/")
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    print(
        f"dashboard: {runs} renders, min {min(times):.2f} s, median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s; {len(queries)} queries, "
        f"{len(response.content) // 1024} KB"
    )
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]
    for query in slowest:
        print(f"   {float(query['time']):.3f} s  {query['sql'][:110]}")


def bench_export(client: Client, *, number: int, full_nik: bool, trace: bool) -> None:
    from django.contrib.auth.models import Permission

    user = User.objects.get(email="bench-staff@load.local")
    # A superuser has every permission; toggle superuser to choose masked or full NIKs.
    User.objects.filter(pk=user.pk).update(is_superuser=full_nik)
    if not full_nik:
        user.user_permissions.add(
            Permission.objects.get(codename="export_program_data"),
            Permission.objects.get(codename="view_program_dashboard"),
        )
    if trace:
        tracemalloc.start()
    rss_before = rss_mb()
    started = time.perf_counter()
    response = client.get(f"/admin/laporan/ekspor/peserta/{number}/")
    assert response.status_code == 200, response.status_code
    rows, size, rss_max = -1, 0, rss_before
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
        if rows % 50_000 == 0:
            rss_max = max(rss_max, rss_mb())
    elapsed = time.perf_counter() - started
    response.close()
    rss_max = max(rss_max, rss_mb())
    traced = ""
    if trace:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        traced = f", tracemalloc peak {peak / 1024 / 1024:.1f} MB"
    print(
        f"export wave {number} ({'full' if full_nik else 'masked'} NIK"
        f"{', traced' if trace else ''}): {rows} rows, {size / 1024 / 1024:.1f} MB in "
        f"{elapsed:.1f} s ({rows / elapsed:,.0f} rows/s); RSS {rss_before:.0f} -> max "
        f"{rss_max:.0f} MB{traced}"
    )


def bench_installments(client: Client) -> None:
    started = time.perf_counter()
    response = client.get("/admin/laporan/ekspor/cicilan/")
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    print(
        f"export installments: {size / 1024 / 1024:.1f} MB in {time.perf_counter() - started:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-full-nik", action="store_true")
    parser.add_argument("--dashboard-only", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_reports needs PostgreSQL (set DATABASE_URL to your own database)")

    have = existing_load()
    if have < args.participants:
        print(f"generating {args.participants - have} participants (have {have}) ...")
        generate(args.participants - have, start=have)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM participants_participant")
        total = cursor.fetchone()[0]
        cursor.execute(
            "SELECT w.number, count(*) FROM participants_application a JOIN participants_wave w"
            " ON w.id = a.wave_id GROUP BY w.number ORDER BY count(*) DESC"
        )
        sizes = cursor.fetchall()
    print(f"database: {total} participants; applications per wave: {dict(sizes)}")

    ensure_installments()
    ensure_nik_token()
    client = staff_client()
    bench_dashboard(client, args.runs)
    if args.dashboard_only:
        return
    biggest, smallest = sizes[0][0], sizes[-1][0]
    bench_export(client, number=biggest, full_nik=False, trace=False)
    bench_export(client, number=smallest, full_nik=False, trace=True)
    bench_export(client, number=biggest, full_nik=False, trace=True)
    bench_installments(client)
    if not args.skip_full_nik:
        bench_export(client, number=biggest, full_nik=True, trace=False)
    print(f"process peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
