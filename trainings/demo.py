"""Demo catalog: the real program's platforms, some providers, trainings and offerings."""

import datetime as dt

from trainings import services
from trainings.models import Offering, Platform, Provider, Training

PLATFORMS = [
    ("tokopedia", "Tokopedia", "https://www.tokopedia.com"),
    ("bukalapak", "Bukalapak", "https://www.bukalapak.com"),
    ("pijarmahir", "Pijar Mahir", "https://pijarmahir.id"),
    ("sekolahmu", "Sekolahmu", "https://www.sekolah.mu"),
    ("pintaria", "Pintaria", "https://pintaria.com"),
    ("maubelajarapa", "MauBelajarApa", "https://maubelajarapa.com"),
    ("sisnaker", "Sisnaker", "https://sisnaker.kemnaker.go.id"),
    ("kariermu", "Karier.mu", "https://karier.mu"),
    # Relative: the sandbox is part of the portal, so its links work on whatever port it runs.
    ("sandbox", "Platform Uji Coba", "/sandbox/"),
]

PROVIDERS = [
    ("skillacademy", "Skill Academy"),
    ("arkademi", "Arkademi"),
    ("cakap", "Cakap"),
    ("vokasi-nusantara", "Vokasi Nusantara"),
]

TRAININGS = [
    # title, category, provider, price, hours, mode
    (
        "Digital Marketing untuk UMKM",
        "Penjualan dan Pemasaran",
        "skillacademy",
        250_000,
        10,
        "self_paced",
    ),
    ("Bahasa Inggris untuk Pelayanan Hotel", "Pariwisata", "cakap", 350_000, 12, "webinar"),
    ("Menjadi Barista Profesional", "Kuliner", "vokasi-nusantara", 500_000, 16, "offline"),
    (
        "Microsoft Excel untuk Administrasi Kantor",
        "Administrasi",
        "arkademi",
        150_000,
        8,
        "self_paced",
    ),
    ("Teknik Menjahit Busana Muslim", "Fesyen", "vokasi-nusantara", 400_000, 20, "offline"),
    (
        "Fotografi Produk dengan Ponsel",
        "Penjualan dan Pemasaran",
        "skillacademy",
        200_000,
        6,
        "self_paced",
    ),
]


def seed(*, now: dt.datetime) -> list[str]:
    platforms = {}
    for code, name, website in PLATFORMS:
        platforms[code], _ = Platform.objects.get_or_create(
            code=code, defaults={"name": name, "website": website}
        )
    providers = {}
    for code, name in PROVIDERS:
        providers[code], _ = Provider.objects.get_or_create(code=code, defaults={"name": name})
    for index, (title, category, provider, price, hours, mode) in enumerate(TRAININGS, start=1):
        training, _ = Training.objects.get_or_create(
            title=title,
            defaults={
                "category": category,
                "provider": providers[provider],
                "price_idr": price,
                "duration_hours": hours,
                "mode": mode,
            },
        )
        for platform_code in (
            ("sandbox", "tokopedia", "pijarmahir")
            if index % 2
            else ("sandbox", "bukalapak", "sekolahmu")
        ):
            platform = platforms[platform_code]
            Offering.objects.get_or_create(
                training=training,
                platform=platform,
                defaults={
                    "code": f"{platform_code}-{index:03d}",
                    "price_idr": price,
                    "url": f"{platform.website.rstrip('/')}/pelatihan/{index:03d}",
                },
            )
    # Demo keys have secrets derived from SECRET_KEY, so every re-seed prints the same, working
    # secret without storing it in clear (services.ensure_demo_key; never for real partners).
    lines = []
    for code, _name, _website in PLATFORMS:
        key, secret = services.ensure_demo_key(platform=platforms[code], now=now)
        lines.append(f"PARTNER platform={code} key={key} secret={secret}")
    return lines
