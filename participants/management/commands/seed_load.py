"""seed_load --participants N: synthetic participants at scale (README, Benchmarks)."""

import datetime as dt
import io
import random
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from participants.cards import deadlines
from participants.cards.numbers import new_card_number
from participants.eligibility import lists, sources
from participants.models import (
    Application,
    BlacklistEntry,
    LedgerEntry,
    Participant,
    Province,
    User,
    Wave,
    WaveProvinceQuota,
)
from prakerja import clock, crypto

# Kemendagri province codes (2022); the last four get no quota in the loaded wave, so their
# applicants end ``outside_quota_region``. Java is weighted heavier, as in the real program.
PROVINCES = [
    ("11", "ACEH", 2), ("12", "SUMATERA UTARA", 5), ("13", "SUMATERA BARAT", 2),
    ("14", "RIAU", 2), ("15", "JAMBI", 1), ("16", "SUMATERA SELATAN", 3),
    ("17", "BENGKULU", 1), ("18", "LAMPUNG", 3), ("19", "KEPULAUAN BANGKA BELITUNG", 1),
    ("21", "KEPULAUAN RIAU", 1), ("31", "DKI JAKARTA", 6), ("32", "JAWA BARAT", 16),
    ("33", "JAWA TENGAH", 12), ("34", "DI YOGYAKARTA", 2), ("35", "JAWA TIMUR", 14),
    ("36", "BANTEN", 4), ("51", "BALI", 2), ("52", "NUSA TENGGARA BARAT", 2),
    ("53", "NUSA TENGGARA TIMUR", 2), ("61", "KALIMANTAN BARAT", 2),
    ("62", "KALIMANTAN TENGAH", 1), ("63", "KALIMANTAN SELATAN", 1),
    ("64", "KALIMANTAN TIMUR", 1), ("65", "KALIMANTAN UTARA", 1),
    ("71", "SULAWESI UTARA", 1), ("72", "SULAWESI TENGAH", 1), ("73", "SULAWESI SELATAN", 3),
    ("74", "SULAWESI TENGGARA", 1), ("75", "GORONTALO", 1), ("76", "SULAWESI BARAT", 1),
    ("81", "MALUKU", 1), ("82", "MALUKU UTARA", 1), ("91", "PAPUA", 1),
    ("92", "PAPUA BARAT", 1), ("93", "PAPUA SELATAN", 1), ("94", "PAPUA TENGAH", 1),
    ("95", "PAPUA PEGUNUNGAN", 1), ("96", "PAPUA BARAT DAYA", 1),
]  # fmt: skip
NO_QUOTA = {"93", "94", "95", "96"}
BATCH = 50_000
BULK_TABLES = [User, Participant, Application]


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def bulk_insert(model: type[models.Model], columns: list[str], rows: Iterable[tuple]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``model``'s table in batches of COPY.
    Every other NOT NULL column gets the field's default,
    computed once. Returns the number of rows."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    constants = {}
    for column, field in fields.items():
        if column in columns or (field.primary_key and column not in columns):
            continue
        default = field.get_default() if field.has_default() else None
        if default is None and not field.null:
            default = field.get_default()  # "" for text fields
        constants[column] = default
    all_columns = columns + list(constants)
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(connection.ops.quote_name(c) for c in all_columns)
    total = 0
    suffix = "".join("\t" + _copy_value(v) for v in constants.values())
    with connection.cursor() as cursor:
        for batch in _batches(rows, BATCH):
            buffer = io.StringIO()
            for row in batch:
                buffer.write("\t".join(map(_copy_value, row)) + suffix + "\n")
            buffer.seek(0)
            cursor.copy_expert(f"COPY {table} ({quoted}) FROM STDIN", buffer)
            total += len(batch)
    return total


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Reserve ``count`` consecutive primary keys and return the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        return cursor.fetchone()[0] - count + 1


@contextmanager
def indexes_rebuilt_after(tables: list[str]) -> Iterator[None]:
    """Drop the secondary indexes and unique constraints of ``tables`` for the
    duration of the block and rebuild them at its end (same transaction, so a failure restores
    them). Building a btree from sorted data is much faster than a million random inserts into
    indexes on hashes. Holds an exclusive lock on the tables: for load databases, not live ones.
    Uniqueness is still enforced when the constraints are re-added."""
    saved = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
                "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
            indexes = cursor.fetchall()
            quoted = connection.ops.quote_name(table)
            for name, _ in constraints:
                cursor.execute(
                    f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}"
                )
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            saved.append((quoted, constraints, indexes))
    yield
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred; their pending checks must run before CREATE INDEX.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for quoted, constraints, indexes in saved:
            for _, definition in indexes:
                cursor.execute(definition)
            for name, definition in constraints:
                cursor.execute(
                    f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} "
                    f"{definition}"
                )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class Command(BaseCommand):
    help = (
        "Load N synthetic participants for benchmarks, with bulk inserts (COPY). "
        "The first --selected K of them are participants selected in earlier waves (card, "
        "Rp balance with its GRANT ledger entry, first-purchase deadline); --past-deadline P of "
        "those are in a wave whose 30-day deadline has passed without a purchase (what the "
        "nightly sweep revokes). The other N-K have complete, verified profiles and have joined "
        "a new closed, not yet selected wave with province quotas (--quota places in total, "
        "default a tenth of the applicants; four Papua provinces get none). About 2% are "
        "students, 1% civil servants, 2% on other social aid, 2% outside the age limits, 0.5% "
        "blacklisted and 1% on the laid-off workers' priority list (imported as a new version of "
        "the phk list, which replaces the one in force); a quarter share a family card in threes. "
        "NIK and KK are real keyed hashes and real Fernet ciphertexts of synthetic, unique "
        "16-digit numbers (Fernet costs ~7 us per value, so no placeholder scheme is needed). "
        "Accounts get an unusable password; emails are @load.invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, required=True)
        parser.add_argument("--selected", type=int, default=0)
        parser.add_argument("--past-deadline", type=int, default=0, dest="past_deadline")
        parser.add_argument("--quota", type=int, default=None, help="places in the new wave")
        parser.add_argument("--seed", type=int, default=2026, help="data generator seed")
        clock.add_now_argument(parser, help="load as of this instant; " + clock.NOW_HELP)
        parser.add_argument(
            "--indexes",
            choices=["auto", "keep", "rebuild"],
            default="auto",
            help="rebuild: drop the secondary indexes and unique constraints of the user, "
            "participant and application tables during the load and rebuild them after it "
            "(locks the tables meanwhile); keep: insert into them row by row; auto "
            "(default): rebuild from 100,000 participants up",
        )

    def handle(
        self, *args, participants, selected, past_deadline, quota, seed, now, indexes, **opts
    ):
        if participants <= 0 or not 0 <= past_deadline <= selected <= participants:
            raise CommandError("need 0 <= --past-deadline <= --selected <= --participants, N > 0")
        when = now or timezone.now()
        started = time.monotonic()
        loader = Loader(now=when, rng=random.Random(seed))
        if indexes == "auto":
            indexes = "rebuild" if participants >= 100_000 else "keep"
        rebuild = BULK_TABLES if indexes == "rebuild" else []
        with transaction.atomic(), indexes_rebuilt_after([m._meta.db_table for m in rebuild]):
            summary = loader.load(
                participants=participants,
                selected=selected,
                past_deadline=past_deadline,
                quota=quota,
            )
        # What autovacuum does in the days a real wave is open: statistics, and (VACUUM, outside
        # a transaction) hint bits and the visibility map, so that the first job reading these
        # rows does not pay for writing every page back once.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (User, Participant, Application, LedgerEntry, BlacklistEntry):
                cursor.execute(f"{command} {model._meta.db_table}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"seed_load: participants={participants} applicants={summary['applicants']} "
            f"wave={summary['wave']} quota={summary['quota']} selected={selected} "
            f"past_deadline={past_deadline} blacklisted={summary['blacklisted']} "
            f"priority_listed={summary['priority_listed']} seconds={elapsed:.1f}"
        )


class Loader:
    def __init__(self, *, now: dt.datetime, rng: random.Random):
        self.now = now
        self.rng = rng
        self.tag = secrets.token_hex(3)

    def _provinces(self) -> None:
        existing = set(Province.objects.values_list("code", flat=True))
        Province.objects.bulk_create(
            Province(code=code, name=name) for code, name, _ in PROVINCES if code not in existing
        )

    def _wave(self, number: int, *, announces_at: dt.datetime, quota_total: int) -> Wave:
        return Wave.objects.create(
            number=number,
            opens_at=announces_at - dt.timedelta(days=10),
            closes_at=announces_at - dt.timedelta(days=2),
            announces_at=announces_at,
            quota_total=quota_total,
        )

    def load(self, *, participants: int, selected: int, past_deadline: int, quota) -> dict:
        now, rng = self.now, self.rng
        self._provinces()
        codes = [code for code, _, _ in PROVINCES]
        weights = [w for _, _, w in PROVINCES]
        next_number = (Wave.objects.aggregate(m=models.Max("number"))["m"] or 0) + 1
        past_wave = recent_wave = None
        if past_deadline:
            past_wave = self._wave(
                next_number, announces_at=now - dt.timedelta(days=40), quota_total=past_deadline
            )
            next_number += 1
        if selected - past_deadline:
            recent_wave = self._wave(
                next_number,
                announces_at=now - dt.timedelta(days=5),
                quota_total=selected - past_deadline,
            )
            next_number += 1
        applicants = participants - selected
        wave = self._wave(next_number, announces_at=now + dt.timedelta(days=1), quota_total=0)

        user_start = reserve_ids(User, participants)
        part_start = reserve_ids(Participant, participants)
        close_day = deadlines.wib_date(wave.closes_at)
        per_province = dict.fromkeys(codes, 0)
        amount = settings.TRAINING_BALANCE_IDR
        card_numbers = iter(self._card_numbers(selected))
        verified = now - dt.timedelta(days=20)
        joined = wave.opens_at + dt.timedelta(hours=1)
        counts = {"blacklisted": 0, "priority_listed": 0}
        laid_off: list[str] = []

        def person(i: int) -> tuple:
            pid = part_start + i
            province = rng.choices(codes, weights)[0]
            roll = rng.random()
            if i < selected or roll >= 0.02:
                birth = close_day - dt.timedelta(days=rng.randint(365 * 19, 365 * 60))
            elif roll < 0.01:
                birth = close_day - dt.timedelta(days=rng.randint(30, 365 * 2))
            else:
                birth = close_day - dt.timedelta(days=rng.randint(365 * 65 + 20, 365 * 70))
            gender = "F" if rng.random() < 0.5 else "M"
            day = birth.day + (40 if gender == "F" else 0)
            # Unique by construction: digits 3-6 and 13-16 encode the participant id.
            nik = f"{province}{(pid // 10000) % 10000:04d}{day:02d}{birth:%m%y}{pid % 10000:04d}"
            # A quarter of people share a family card in threes.
            family = pid // 3 if (pid // 3) % 4 == 0 else 10**9 + pid
            kk = f"{province}{family % 10**14:014d}"
            state = (Participant.Status.APPLICANT, None, None, None, None, None, 0, None)
            if i < selected:
                source = past_wave if i < past_deadline else recent_wave
                state = (
                    Participant.Status.ACTIVE if i % 2 else Participant.Status.SELECTED,
                    source.pk,
                    source.announces_at,
                    next(card_numbers),
                    source.announces_at + dt.timedelta(hours=1) if i % 2 else None,
                    deadlines.first_purchase_deadline(source.announces_at),
                    amount,
                    deadlines.balance_expiry(source.announces_at),
                )
            else:
                per_province[province] += 1
            return (
                user_start + i, pid, f"Peserta Uji {pid}", crypto.keyed_hash(nik),
                crypto.encrypt(nik), crypto.mask_nik(nik), crypto.keyed_hash(kk),
                crypto.encrypt(kk), birth, gender, province, f"+628{pid % 10**11:011d}",
                rng.random() < 0.02, rng.random() < 0.01, rng.random() < 0.02, *state,
            )  # fmt: skip

        for offset in range(0, participants, BATCH):
            chunk = [person(i) for i in range(offset, min(offset + BATCH, participants))]
            bulk_insert(
                User,
                ["id", "email", "full_name", "password", "email_verified_at", "date_joined"],
                (
                    (r[0], f"muat-{self.tag}-{r[1]}@load.invalid", r[2], "!", verified, verified)
                    for r in chunk
                ),
            )
            bulk_insert(
                Participant,
                [
                    "user_id", "id", "nik_hash", "nik_encrypted", "nik_masked", "kk_hash",
                    "kk_encrypted", "birth_date", "gender", "province_id", "phone", "is_student",
                    "is_civil_servant", "receives_social_aid", "status", "wave_id", "selected_at",
                    "card_number", "oriented_at", "first_purchase_deadline", "balance_idr",
                    "balance_expires_at", "address", "education", "employment_status",
                    "identity_verified_at", "phone_verified_at", "is_unemployed", "declared_at",
                    "test_passed_at", "created_at", "updated_at", "registry_status",
                    "registry_checked_at",
                ],
                (
                    (*r[:2], *r[3:], "Jl. Uji Beban No. 1", "sma", "unemployed",
                     verified, verified, True, verified, verified, verified, now,
                     Participant.RegistryStatus.MATCH, verified)
                    for r in chunk
                ),
            )  # fmt: skip
            chosen = [r for r in chunk if r[16] is not None]
            applicants_chunk = [r for r in chunk if r[16] is None]
            bulk_insert(
                Application,
                ["participant_id", "wave_id", "status", "joined_at"],
                ((r[1], wave.pk, Application.Status.JOINED, joined) for r in applicants_chunk),
            )
            bulk_insert(
                LedgerEntry,
                ["participant_id", "kind", "amount_idr", "balance_after_idr", "reference",
                 "created_at"],
                ((r[1], LedgerEntry.Kind.GRANT, amount, amount, "seed_load", r[17])
                 for r in chosen),
            )  # fmt: skip
            banned = [r for r in applicants_chunk if rng.random() < 0.005]
            bulk_insert(
                BlacklistEntry,
                ["nik_hash", "nik_masked", "full_name", "reason_code", "legal_basis",
                 "created_at"],
                ((r[3], r[5], r[2], BlacklistEntry.Reason.FRAUD, "",
                  now - dt.timedelta(days=60)) for r in banned),
            )  # fmt: skip
            favoured = [r for r in applicants_chunk if rng.random() < 0.01]
            laid_off.extend(crypto.decrypt(r[4]) for r in favoured)
            counts["blacklisted"] += len(banned)
            counts["priority_listed"] += len(favoured)
        if laid_off:
            today = timezone.localdate(now)
            lists.import_list(
                source=sources.Source.LAID_OFF,
                stream=io.BytesIO("\n".join(laid_off).encode()),
                list_date=today,
                valid_until=today + dt.timedelta(days=365),
                file_name="seed_load",
                now=now,
                follow_up=False,
            )
            lists.purge_replaced()
        quota_provinces = {c: n for c, n in per_province.items() if c not in NO_QUOTA and n}
        places = quota if quota is not None else applicants // 10
        eligible_pool = sum(quota_provinces.values()) or 1
        quotas = {c: places * n // eligible_pool for c, n in quota_provinces.items()}
        for code in sorted(quota_provinces, key=quota_provinces.get, reverse=True):
            if sum(quotas.values()) >= places:
                break
            quotas[code] += 1  # hand out the rounding remainder
        WaveProvinceQuota.objects.bulk_create(
            WaveProvinceQuota(wave=wave, province_id=c, quota=q) for c, q in quotas.items()
        )
        Wave.objects.filter(pk=wave.pk).update(quota_total=sum(quotas.values()))
        return {
            "wave": wave.number,
            "applicants": applicants,
            "quota": sum(quotas.values()),
            **counts,
        }

    def _card_numbers(self, count: int) -> list[str]:
        taken = set(
            Participant.objects.filter(card_number__isnull=False).values_list(
                "card_number", flat=True
            )
        )
        numbers: set[str] = set()
        while len(numbers) < count:
            number = new_card_number()
            if number not in taken:
                numbers.add(number)
        return list(numbers)
