"""Catalog benchmark: the "Rekomendasi Pelatihan" page over N offerings, beside its floor.

Loads a synthetic catalog (bulk inserts): 8 platforms, 200 providers, N / 4 trainings each sold
by 4 platforms, then renders the page in-process through Django's test client for seven typical
searches (no filter, a far page, keywords, a category, both) and prints the median time of each.
The figure is the sum of the seven medians.

The floor, on bare tables holding the same trainings, providers, offerings and platforms: for
each search the page's work as plain SQL (the categories for the form, the count of matching
trainings sold by an active platform, one page of them by title, their active offerings
cheapest first), the median of as many runs. The script stops if the floor finds a different
number of trainings than the portal for any search.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prakerja_bench \\
        .venv/bin/python scripts/bench_recommendations.py --size 10000 [--runs 30] [--explain]
"""

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchutil


def arguments(parser) -> None:
    parser.add_argument("--runs", type=int, default=30, help="renders of each search")
    parser.add_argument("--explain", action="store_true", help="print the keyword search's plan")


args = benchutil.start(__doc__, size=10_000, unit="offerings", arguments=arguments)

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from trainings import selectors  # noqa: E402
from trainings.models import Offering, Platform, Provider, Training  # noqa: E402
from trainings.views import TRAININGS_PER_PAGE  # noqa: E402

PREFIX = "bench"
PLATFORMS = 8
PROVIDERS = 200
OFFERINGS = args.size
PER_TRAINING = 4  # platforms selling each training
TRAININGS = max(1, OFFERINGS // PER_TRAINING)

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


SEARCHES = [
    ("no filter, page 1", {}),
    ("no filter, page 200", {"page": 200}),
    ("keyword 'barista'", {"q": "barista"}),
    ("keyword 'python lanjutan'", {"q": "python lanjutan"}),
    ("keyword with no match", {"q": "zzzz"}),
    ("category 'Kuliner'", {"category": "Kuliner"}),
    ("keyword + category", {"q": "excel", "category": "Administrasi"}),
]

BARE_TABLES = {
    "training": "SELECT id, title, category, provider_id, price_idr, duration_hours, mode, "
    "is_active FROM trainings_training",
    "provider": "SELECT id, name FROM trainings_provider",
    "offering": "SELECT id, training_id, platform_id, code, price_idr, url, is_active "
    "FROM trainings_offering",
    "platform": "SELECT id, name, website, is_active FROM trainings_platform",
}

MATCHING = """
    FROM bare_training t JOIN bare_provider pr ON pr.id = t.provider_id
    WHERE t.is_active
        AND EXISTS (SELECT 1 FROM bare_offering o JOIN bare_platform pl ON pl.id = o.platform_id
                    WHERE o.training_id = t.id AND o.is_active AND pl.is_active)
        AND (%(q)s = '' OR t.title ILIKE %(like)s OR pr.name ILIKE %(like)s)
        AND (%(category)s = '' OR t.category = %(category)s)
"""


def floor_search(params: dict):
    """The page's work for one search as plain SQL; returns how many trainings match."""
    query = {
        "q": params.get("q", ""),
        "like": f"%{params.get('q', '')}%",
        "category": params.get("category", ""),
    }
    found = []

    def work(cursor) -> None:
        cursor.execute("SELECT DISTINCT category FROM bare_training WHERE is_active ORDER BY 1")
        cursor.fetchall()
        cursor.execute(f"SELECT count(*) {MATCHING}", query)
        count = cursor.fetchone()[0]
        pages = max(1, -(-count // TRAININGS_PER_PAGE))
        page = min(max(int(params.get("page", 1)), 1), pages)
        cursor.execute(
            f"SELECT t.id, t.title, t.category, t.price_idr, t.duration_hours, t.mode, pr.name "
            f"{MATCHING} ORDER BY t.title, t.id LIMIT %(limit)s OFFSET %(offset)s",
            {**query, "limit": TRAININGS_PER_PAGE, "offset": (page - 1) * TRAININGS_PER_PAGE},
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT o.id, o.training_id, o.code, o.price_idr, o.url, pl.name, pl.website "
            "FROM bare_offering o JOIN bare_platform pl ON pl.id = o.platform_id "
            "WHERE o.training_id = ANY(%s) AND o.is_active AND pl.is_active "
            "ORDER BY o.price_idr, pl.name",
            [ids],
        )
        cursor.fetchall()
        found.append(count)

    return work, found


def floor_medians(bare: benchutil.Floor) -> tuple[dict[str, float], dict[str, int]]:
    medians, counts = {}, {}
    bare.build()
    for label, params in SEARCHES:
        work, found = floor_search(params)
        bare.run(work, build=False, drop=False)  # warm up, as the page is
        times = [bare.run(work, build=False, drop=False) for _ in range(args.runs)]
        medians[label] = statistics.median(times)
        counts[label] = found[-1]
    bare.drop_bare()
    return medians, counts


def measure(client: Client, params: dict) -> tuple[float, int, int]:
    """Median milliseconds of ``--runs`` renders, queries and bytes of one."""
    client.get("/pelatihan/", params)  # warm up
    times = []
    for _ in range(args.runs):
        with benchutil.stopwatch() as watch, CaptureQueriesContext(connection) as queries:
            response = client.get("/pelatihan/", params)
        times.append(watch.seconds)
    if response.status_code != 200:
        raise SystemExit(f"bench_recommendations: the page answered {response.status_code}")
    return statistics.median(times), len(queries), len(response.content)


def explain(query: str) -> None:
    qs = selectors.search_trainings(query=query)[:10]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"  plan for keyword {query!r} (first page):")
    for line in plan:
        print("   ", line)


def main() -> None:
    load()
    bare = benchutil.Floor(BARE_TABLES)
    bare.snapshot()
    before, floor_counts = floor_medians(bare)
    client = Client(HTTP_HOST="127.0.0.1")
    figures = {label: measure(client, params) for label, params in SEARCHES}
    after, _ = floor_medians(bare)
    bare.drop()
    portal_counts = {
        label: selectors.search_trainings(
            query=params.get("q", ""), category=params.get("category", "")
        ).count()
        for label, params in SEARCHES
    }
    benchutil.same_outcome(portal_counts, floor_counts)
    benchutil.report(
        f"Rekomendasi Pelatihan, {OFFERINGS:,} offerings, {len(SEARCHES)} searches",
        sum(seconds for seconds, _queries, _size in figures.values()),
        [sum(before.values()), sum(after.values())],
        detail=f"the sum of each search's median of {args.runs} renders",
    )
    for label, (seconds, queries, size) in figures.items():
        floor = (before[label] + after[label]) / 2
        print(
            f"    {label:<28} median {seconds * 1000:6.1f} ms, floor {floor * 1000:5.2f} ms, "
            f"{queries} queries, {size / 1024:5.1f} KiB, {portal_counts[label]:,} trainings"
        )
    if args.explain:
        explain("barista")


if __name__ == "__main__":
    main()
