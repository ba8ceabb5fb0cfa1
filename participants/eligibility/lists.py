"""Importing a version of one of the state's lists (``import_exclusion_list``, the admin page).

A list is a CSV whose first column is a NIK (a header line and other columns are allowed). Only
the project's keyed NIK hash is stored (``prakerja.crypto``): the file is read in large
blocks, each NIK checked (16 digits) and hashed in this process, and the hashes are streamed
into PostgreSQL with ``COPY``, so a clear NIK never reaches the database. One bad line refuses
the whole file, naming the line: a list applied at selection must be complete.

A version's hashes are rows of ``participants_agencylistentry`` under its id (no index). The
import appends them and, in the same transaction, marks the new version active and the previous
one replaced; readers join the active versions in the same statement as the entries, so each
read sees the old list or the new one, never a mix, and a failed import leaves the old one in
force. The replaced version's rows are deleted after the commit (:func:`purge_replaced`, queued
with the re-check). Only rows are written: the portal's serving role can import.
"""

import datetime as dt
import io
import zlib
from dataclasses import dataclass

import psycopg2
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg2 import sql

from participants.eligibility.sources import Source
from participants.models import AgencyList, DomainError
from prakerja import crypto, jobs

ENTRIES = "participants_agencylistentry"
# Permissions of a staff member who imports lists (README, "Staff permissions").
LIST_OFFICER_PERMISSIONS = ["participants.view_agencylist", "participants.add_agencylist"]
BLOCK_BYTES = 4 << 20
COPY_CHUNK_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"
# pg_try_advisory_xact_lock(class, key): this class id, the source's crc32 as the key.
_LOCK_CLASS = 0x4C495354  # "LIST"


class ListRefused(DomainError):
    code = "list_refused"


@dataclass(frozen=True)
class ImportResult:
    agency_list: AgencyList
    replaced: AgencyList | None


class _Refusal(Exception):
    def __init__(self, error: ListRefused):
        self.error = error


class HashedLines(io.RawIOBase):
    """The CSV ``stream`` as a file of keyed NIK hashes, one per line, for ``COPY``: read in
    blocks of ``BLOCK_BYTES``; ``rows`` counts the hashes produced. A bad line raises
    :class:`ListRefused` naming its number (1 for the file's first line)."""

    def __init__(self, stream, *, prefix: str = ""):
        super().__init__()
        self.stream = stream
        # Written before each hash: the list id and a tab, for COPY's (list_id, nik_hash).
        self.prefix = prefix
        self.hasher = crypto.bulk_keyed_hasher()
        self.rows = 0
        self.line_number = 0
        self.seen_data = False
        self.pending = b""
        self.buffer = b""
        self.offset = 0
        self.done = False
        self.first_block = True
        self.error: ListRefused | None = None

    def readable(self) -> bool:
        return True

    def _lines(self, lines: list[bytes]) -> bytes:
        """The hashes of a block's lines, one a line. Most blocks are plain NIKs: checked and
        hashed in two comprehensions; a block with anything else (a header, quotes, a blank or
        bad line) goes through :meth:`_fields` line by line."""
        fields = [raw.split(b",", 1)[0].strip() for raw in lines]
        nik_fields = [field for field in fields if len(field) == 16 and field.isdigit()]
        if len(nik_fields) != len(fields):
            nik_fields = self._fields(lines)
        self.line_number += len(lines)
        if not nik_fields:
            return b""
        self.seen_data = True
        self.rows += len(nik_fields)
        prefix = self.prefix
        return "".join([f"{prefix}{digest}\n" for digest in map(self.hasher, nik_fields)]).encode()

    def _fields(self, lines: list[bytes]) -> list[bytes]:
        out: list[bytes] = []
        for offset, raw in enumerate(lines, start=1):
            field = raw.split(b",", 1)[0].strip()
            if field[:1] == b'"':
                field = field.strip(b'"').strip()
            if len(field) == 16 and field.isdigit():
                out.append(field)
                continue
            if not raw.strip():
                continue  # a blank line
            if not self.seen_data and not out and not field.isdigit():
                self.seen_data = True  # the header line
                continue
            number = self.line_number + offset
            self.error = ListRefused(
                _("Berkas ditolak: baris %(line)d tidak berisi NIK 16 digit pada kolom pertama.")
                % {"line": number},
                code="list_line_invalid",
                line=number,
            )
            raise self.error
        return out

    def _fill(self) -> None:
        while not self.buffer and not self.done:
            block = self.stream.read(BLOCK_BYTES)
            if isinstance(block, str):
                block = block.encode()
            if self.first_block:
                self.first_block = False
                if block.startswith(_BOM):
                    block = block[len(_BOM) :]
            if not block:
                self.done = True
                lines = [self.pending] if self.pending else []
                self.pending = b""
            else:
                lines = (self.pending + block).split(b"\n")
                self.pending = lines.pop()
            self.buffer = self._lines(lines)

    def read(self, size: int = -1) -> bytes:
        if self.offset >= len(self.buffer):
            self.buffer, self.offset = b"", 0
            self._fill()
        end = len(self.buffer) if size is None or size < 0 else self.offset + size
        chunk = self.buffer[self.offset : end]
        self.offset += len(chunk)
        return chunk


def _source_lock(cursor, source: str) -> bool:
    cursor.execute(
        "SELECT pg_try_advisory_xact_lock(%s, %s)",
        [_LOCK_CLASS, zlib.crc32(source.encode()) & 0x7FFFFFFF],
    )
    return cursor.fetchone()[0]


def import_list(
    *,
    source: str,
    stream,
    list_date: dt.date,
    valid_until: dt.date,
    file_name: str = "",
    actor=None,
    now: dt.datetime | None = None,
    follow_up: bool = True,
) -> ImportResult:
    """Import ``stream`` (a binary file: CSV of NIKs) as the next version of ``source``'s list,
    replacing the version in force, in one transaction. After the commit the replaced version's
    rows are purged and the participants re-checked against the lists (queued tasks; without
    ``follow_up`` the caller does either itself: benchmark and test data loaders).

    Raises :class:`ListRefused`: ``list_source_unknown``, ``list_validity_invalid``,
    ``list_line_invalid`` (with the line), ``list_empty``, ``list_import_running`` (another import
    of this source holds its lock).
    """
    if source not in Source.values:
        raise ListRefused(
            _("Sumber daftar tidak dikenal: %(source)s.") % {"source": source},
            code="list_source_unknown",
        )
    if valid_until < list_date:
        raise ListRefused(
            _("Tanggal berlaku sampai tidak boleh sebelum tanggal data."),
            code="list_validity_invalid",
        )
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if not _source_lock(cursor, source):
            raise ListRefused(
                _("Impor daftar ini sedang berjalan. Tunggu sampai selesai, lalu coba lagi."),
                code="list_import_running",
            )
        version = (
            AgencyList.objects.filter(source=source).aggregate(v=Max("version"))["v"] or 0
        ) + 1
        new = AgencyList.objects.create(
            source=source,
            version=version,
            list_date=list_date,
            valid_until=valid_until,
            file_name=file_name[:200],
            status=AgencyList.Status.LOADING,
            imported_at=now,
            imported_by=actor,
        )
        lines = HashedLines(stream, prefix=f"{new.pk:d}\t")
        copy = sql.SQL("COPY {table} (list_id, nik_hash) FROM STDIN").format(
            table=sql.Identifier(ENTRIES)
        )
        try:
            cursor.copy_expert(copy.as_string(connection.connection), lines, COPY_CHUNK_BYTES)
        except psycopg2.Error:
            # psycopg2 reports an exception raised by read() as a cancelled COPY.
            if lines.error is not None:
                raise lines.error from None
            raise
        if not lines.rows:
            raise ListRefused(_("Berkas tidak berisi satu NIK pun."), code="list_empty")
        # Fresh statistics, so the re-check queued after this commit and the next selection
        # plan hash joins over the new rows (a sample: fast). The serving role, which owns no
        # table, gets a warning instead and leaves it to autovacuum.
        cursor.execute(
            sql.SQL("ANALYZE {table}")
            .format(table=sql.Identifier(ENTRIES))
            .as_string(connection.connection)
        )
        old = (
            AgencyList.objects.select_for_update()
            .filter(source=source, status=AgencyList.Status.ACTIVE)
            .first()
        )
        if old is not None:
            AgencyList.objects.filter(pk=old.pk).update(
                status=AgencyList.Status.REPLACED, replaced_at=now
            )
            old.refresh_from_db()
        AgencyList.objects.filter(pk=new.pk).update(
            status=AgencyList.Status.ACTIVE, rows=lines.rows
        )
        new.refresh_from_db()
        if follow_up:
            if old is not None:
                jobs.enqueue_on_commit("participants.tasks.purge_replaced_lists", robust=True)
            jobs.enqueue_on_commit("participants.tasks.recheck_eligibility", robust=True)
    return ImportResult(agency_list=new, replaced=old)


def purge_replaced() -> int:
    """Delete the rows of every replaced version not purged yet, one version per transaction;
    returns how many rows went. Safe at any time: every reader joins the active versions in the
    statement that reads the rows, and a statement that started before the replacement keeps
    seeing the old rows (MVCC)."""
    deleted = 0
    for agency_list in AgencyList.objects.filter(
        status=AgencyList.Status.REPLACED, purged_at__isnull=True
    ).order_by("pk"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DELETE FROM {table} WHERE list_id = %s")
                .format(table=sql.Identifier(ENTRIES))
                .as_string(connection.connection),
                [agency_list.pk],
            )
            deleted += cursor.rowcount
            AgencyList.objects.filter(pk=agency_list.pk).update(purged_at=timezone.now())
    return deleted
