"""Benchmark: the "Rekomendasi Pelatihan" page on a catalog of 10,000 offerings.

Loads (once, with bulk inserts) a synthetic catalog: PLATFORMS platforms, TRAININGS trainings
and OFFERINGS offerings, then renders the page in-process through Django's test client for a few
typical searches and prints median and p95 times, the number of queries, the bytes of HTML, and
PostgreSQL's plan for the keyword search.

Run against your own PostgreSQL database (not SQLite, not a shared one):

    DEBUG=1 DATABASE_URL=postgres://.../prakerja_x .venv/bin/python manage.py migrate
    DEBUG=1 DATABASE_URL=postgres://.../prakerja_x .venv/bin/python scripts/bench_recommendations.py

``--drop`` removes the synthetic catalog afterwards.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prakerja.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from trainings import selectors  # noqa: E402
from trainings.models import Offering, Platform, Provider, Training  # noqa: E402

PREFIX = "bench"
PLATFORMS = 8
PROVIDERS = 200
OFFERINGS = 10_000
PER_TRAINING = 4  # platforms selling each training
TRAININGS = OFFERINGS // PER_TRAINING

SUBJECTS = [
    "Digital Marketing",
    "Barista",
    "Microsoft Excel",
    "Bahasa Inggris",
    "Menjahit",
    "Fotografi Produk",
    "Akuntansi UMKM",
    "Desain Grafis",
    "Pemrograman Python",
    "Public Speaking",
    "Teknik Las",
    "Tata Rias",
    "Budidaya Ikan",
    "Servis Motor",
    "Copywriting",
    "Customer Service",
]
LEVELS = ["Dasar", "Menengah", "Lanjutan", "untuk Pemula", "untuk UMKM", "Profesional"]
CATEGORIES = [
    "Penjualan dan Pemasaran",
    "Kuliner",
    "Administrasi",
    "Pariwisata",
    "Fesyen",
    "Teknologi Informasi",
    "Pertanian",
    "Otomotif",
]


@transaction.atomic
def load() -> None:
    if Offering.objects.filter(code__startswith=f"{PREFIX}-").count() >= OFFERINGS:
        print(f"catalog: {OFFERINGS} synthetic offerings already loaded")
        return
    drop()
    platforms = Platform.objects.bulk_create(
        Platform(code=f"{PREFIX}-p{n}", name=f"Platform Uji {n}", website="https://example.com")
        for n in range(PLATFORMS)
    )
    providers = Provider.objects.bulk_create(
        Provider(code=f"{PREFIX}-lp{n}", name=f"Lembaga Pelatihan {n}") for n in range(PROVIDERS)
    )
    trainings = Training.objects.bulk_create(
        (
            Training(
                title=f"{SUBJECTS[n % len(SUBJECTS)]} {LEVELS[n // len(SUBJECTS) % len(LEVELS)]} "
                f"#{n}",
                category=CATEGORIES[n % len(CATEGORIES)],
                provider=providers[n % PROVIDERS],
                price_idr=100_000 + (n % 20) * 25_000,
                duration_hours=4 + n % 20,
                mode=Training.Mode.SELF_PACED,
                description=f"{PREFIX}",
            )
            for n in range(TRAININGS)
        ),
        batch_size=2000,
    )
    Offering.objects.bulk_create(
        (
            Offering(
                code=f"{PREFIX}-{t}-{k}",
                training=training,
                platform=platforms[(t + k) % PLATFORMS],
                price_idr=training.price_idr + k * 5_000,
                url=f"https://example.com/p{(t + k) % PLATFORMS}/{t}",
            )
            for t, training in enumerate(trainings)
            for k in range(PER_TRAINING)
        ),
        batch_size=5000,
    )
    print(
        f"catalog: loaded {PLATFORMS} platforms, {PROVIDERS} providers, {TRAININGS} trainings, "
        f"{OFFERINGS} offerings"
    )


@transaction.atomic
def drop() -> None:
    Offering.objects.filter(code__startswith=f"{PREFIX}-").delete()
    Training.objects.filter(provider__code__startswith=f"{PREFIX}-").delete()
    Provider.objects.filter(code__startswith=f"{PREFIX}-").delete()
    Platform.objects.filter(code__startswith=f"{PREFIX}-").delete()


def measure(client: Client, label: str, params: dict, runs: int) -> None:
    client.get("/pelatihan/", params)  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/pelatihan/", params)
        times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, response.status_code
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"{label:<34} median {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
        f"queries {len(queries):2d}  html {len(response.content) / 1024:5.1f} KiB"
    )


def explain(query: str) -> None:
    if connection.vendor != "postgresql":
        return
    qs = selectors.search_trainings(query=query)[:10]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"plan for keyword {query!r} (first page):")
    for line in plan:
        print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--drop", action="store_true", help="remove the synthetic catalog after")
    args = parser.parse_args()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    load()
    total = Offering.objects.filter(is_active=True).count()
    print(f"active offerings in the database: {total}")
    client = Client(HTTP_HOST="127.0.0.1")
    measure(client, "no filter, page 1", {}, args.runs)
    measure(client, "no filter, page 200", {"page": 200}, args.runs)
    measure(client, "keyword 'barista'", {"q": "barista"}, args.runs)
    measure(client, "keyword 'python lanjutan'", {"q": "python lanjutan"}, args.runs)
    measure(client, "keyword with no match", {"q": "zzzz"}, args.runs)
    measure(client, "category 'Kuliner'", {"category": "Kuliner"}, args.runs)
    measure(client, "keyword + category", {"q": "excel", "category": "Administrasi"}, args.runs)
    explain("barista")
    if args.drop:
        drop()
        print("catalog: synthetic data removed")


if __name__ == "__main__":
    main()
