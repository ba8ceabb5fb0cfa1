"""The one rule for the instant an operator job runs as: ``--now`` of every management command
and the ISO strings Celery tasks take (README, "Operator commands and schedules").

An ISO-8601 instant; a value without an offset (``2026-12-16T00:20``, or a bare date meaning its
midnight) is read as WIB (Asia/Jakarta, ``TIME_ZONE``), the program's clock. A value with an
offset (``Z``, ``+07:00``) is taken as it is.
"""

import argparse
import datetime as dt
import zoneinfo

from django.utils import timezone

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")

NOW_HELP = (
    "run as of this ISO-8601 instant (default: the current time); a time without an offset is "
    "read as WIB (Asia/Jakarta), e.g. 2026-12-16T00:20 = 2026-12-15T17:20Z"
)
DAY_HELP = "a WIB day, YYYY-MM-DD"


def parse_instant(value: str) -> dt.datetime:
    """The aware instant ``value`` names (see the module docstring). Raises ``ValueError``."""
    try:
        instant = dt.datetime.fromisoformat(value.strip())
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"not an ISO-8601 instant: {value!r}") from None
    if timezone.is_naive(instant):
        instant = instant.replace(tzinfo=WIB)
    return instant


def parse_optional_instant(value: str | None) -> dt.datetime | None:
    """For Celery tasks: ``None`` (run as of the current time) or :func:`parse_instant`."""
    return parse_instant(value) if value else None


def parse_day(value: str) -> dt.date:
    """A calendar day ``YYYY-MM-DD`` (WIB, like every day the program reports). Raises
    ``ValueError``."""
    try:
        return dt.date.fromisoformat(value.strip())
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"not a day YYYY-MM-DD: {value!r}") from None


def _argparse_type(parse):
    def convert(value: str):
        try:
            return parse(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


# An argparse ``type`` for a command's day options (exits non-zero on a bad value).
day_argument = _argparse_type(parse_day)


def add_now_argument(parser, *, help: str = NOW_HELP) -> None:
    """Add ``--now`` to a management command's parser; ``options["now"]`` is then an aware
    datetime or ``None``. A value that does not parse makes the command exit non-zero."""
    parser.add_argument("--now", type=_argparse_type(parse_instant), default=None, help=help)


# An argparse ``type`` for a WIB day (YYYY-MM-DD), for any option that takes one.
day_argument = _argparse_type(parse_day)


def add_day_argument(parser, *, help: str = DAY_HELP) -> None:
    parser.add_argument("--day", type=day_argument, default=None, help=help)


def add_dry_run_argument(parser) -> None:
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="say what the job would do, change nothing (the work runs and is rolled back)",
    )
