"""``manage.py import_exclusion_list SOURCE FILE [--list-date D] [--valid-until D] [--now]
[--dry-run]``: import a version of one of the state's lists."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from participants.eligibility import lists
from participants.eligibility.sources import Source
from prakerja import clock
from prakerja.jobs import JobCommand


class Command(JobCommand):
    help = (
        "Import FILE (CSV, the NIK in the first column; a header line and other columns are "
        "allowed) as the next version of SOURCE's list, replacing the version in force in one "
        "transaction. Only keyed NIK hashes are stored. One bad line refuses the whole file "
        "(exit 1, naming the line). SOURCE is one of: "
        + ", ".join(Source.values)
        + ". Prints one summary line. --now: "
        + clock.NOW_HELP
        + "."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("source", choices=Source.values)
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--list-date",
            type=clock.day_argument,
            default=None,
            help="the list's date (default: today)",
        )
        parser.add_argument(
            "--valid-until",
            type=clock.day_argument,
            default=None,
            help="the last day the list applies (default: the list date plus "
            "LIST_DEFAULT_VALIDITY_DAYS)",
        )

    def run(self, *, now, source, file, list_date=None, valid_until=None, **options) -> str:
        list_date = list_date or timezone.localdate(now)
        valid_until = valid_until or list_date + dt.timedelta(
            days=settings.LIST_DEFAULT_VALIDITY_DAYS
        )
        try:
            with file.open("rb") as stream:
                result = lists.import_list(
                    source=source,
                    stream=stream,
                    list_date=list_date,
                    valid_until=valid_until,
                    file_name=file.name,
                    now=now,
                )
        except OSError as exc:
            raise CommandError(f"import_exclusion_list: cannot read {file}: {exc}") from exc
        except lists.ListRefused as exc:
            raise CommandError(f"import_exclusion_list: {exc.code}: {exc.message}") from exc
        new, old = result.agency_list, result.replaced
        return (
            f"import_exclusion_list: source={new.source} version={new.version} rows={new.rows} "
            f"replaced_version={old.version if old else '-'} list_date={new.list_date} "
            f"valid_until={new.valid_until}"
        )
