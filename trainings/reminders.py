"""Reminders before the last day to buy the first training (docs/program.md section 4: 7, 3 and
1 days before). That day is the first-purchase deadline, or the balance expiry when it comes
first (``deadlines.last_day_to_buy``: a wave that broke the late-wave rule), and every reminder
names it.

Each reminder is sent at most once per participant and day mark, by a database constraint
(``DeadlineReminder``: unique participant + days_before): rows are inserted set-based with
``ON CONFLICT DO NOTHING``, then claimed by a conditional UPDATE (``sent_at IS NULL``) before the
message goes out, so two runs at once never send the same reminder twice.
"""

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants import notices, selectors
from participants.cards import deadlines
from prakerja import links
from trainings.models import DeadlineReminder

logger = logging.getLogger(__name__)

CLAIM_CHUNK = 1000


@dataclasses.dataclass(frozen=True)
class ReminderResult:
    queued: int
    sent: int


# Who: ``participants.selectors.awaiting_first_purchase()`` with the deadline on that day.
INSERT_SQL = """
INSERT INTO {reminder} (participant_id, days_before, created_at)
SELECT due.id, %s, %s FROM ({due}) due
ON CONFLICT (participant_id, days_before) DO NOTHING
"""

# ``sent_at IS NULL`` is repeated outside the subquery on purpose: when two runs pick the same
# rows, the second UPDATE waits for the first and PostgreSQL then re-checks only the outer WHERE
# against the new row version, so the reminder is claimed (and sent) once.
CLAIM_SQL = """
UPDATE {reminder} SET sent_at = %s
WHERE sent_at IS NULL AND id IN (
    SELECT id FROM {reminder} WHERE sent_at IS NULL ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
)
RETURNING participant_id, days_before
"""


def _tables() -> dict[str, str]:
    return {"reminder": DeadlineReminder._meta.db_table}


def send_deadline_reminders(*, now: dt.datetime | None = None) -> ReminderResult:
    """Queue and send today's reminders: for each mark in ``DEADLINE_REMINDER_DAYS``, every
    participant still without a first purchase whose deadline falls that many WIB days ahead.

    Guarantees at most one reminder per participant and mark, even across concurrent or repeated
    runs. Returns how many were newly queued and how many sent.
    """
    now = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    today = deadlines.wib_date(now)
    queued = 0
    with connection.cursor() as cursor:
        for mark in settings.DEADLINE_REMINDER_DAYS:
            for due in _last_day_on(today + dt.timedelta(days=mark)):
                sql, params = due.values_list("id").query.sql_with_params()
                cursor.execute(INSERT_SQL.format(due=sql, **_tables()), [mark, adapt(now), *params])
                queued += max(cursor.rowcount, 0)
    sent = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL.format(**_tables()), [adapt(now), CLAIM_CHUNK])
            claimed = cursor.fetchall()
        if not claimed:
            break
        sent += _send(claimed=dict(claimed))
    logger.info("deadline reminders", extra={"queued": queued, "sent": sent})
    return ReminderResult(queued=queued, sent=sent)


def _last_day_on(day: dt.date):
    """Who still owes a first purchase and whose last day to buy (``deadlines.last_day_to_buy``)
    is ``day``: by deadline (the partial index ``sweep_candidates`` serves it), and, on a balance
    expiry day, whose balance expires that day before their deadline."""
    start, end = deadlines.end_of_wib_day(day - dt.timedelta(days=1)), deadlines.end_of_wib_day(day)
    awaiting = selectors.awaiting_first_purchase()
    yield awaiting.filter(
        first_purchase_deadline__gt=start, first_purchase_deadline__lte=end
    ).exclude(balance_expires_at__lte=start)
    if deadlines.is_balance_expiry_day(day):
        yield awaiting.filter(
            balance_expires_at__gt=start,
            balance_expires_at__lte=end,
            first_purchase_deadline__gt=end,
        )


def reminder_text(*, deadline: dt.datetime, expires: dt.datetime | None, days_left: int) -> str:
    """The reminder SMS/email: the last day to buy (the deadline, or the balance expiry when
    it comes first) and the balance expiry, both."""
    expires = expires or deadlines.balance_expiry(deadline)
    last = deadlines.last_day_to_buy(deadline=deadline, expires=expires)
    values = {
        "deadline": deadlines.wib_text(last),
        "days": days_left,
        "expires": deadlines.wib_text(expires),
        "url": links.portal_url_for("trainings:recommendations"),
    }
    if last < deadline:
        return (
            _(
                "Prakerja: segera beli pelatihan pertama Anda. Saldo pelatihan Anda kedaluwarsa "
                "%(deadline)s (%(days)d hari lagi): beli pelatihan pertama paling lambat saat itu. "
                "Pilih pelatihan: %(url)s"
            )
            % values
        )
    return (
        _(
            "Prakerja: segera beli pelatihan pertama Anda. Batas pembelian %(deadline)s "
            "(%(days)d hari lagi); saldo pelatihan berlaku sampai %(expires)s. Jika batas "
            "terlewat, kepesertaan dicabut dan saldo hangus. Pilih pelatihan: %(url)s"
        )
        % values
    )


def _send(*, claimed: dict[int, int]) -> int:
    # A participant who bought in the meantime gets nothing (the reminder row stays as claimed).
    people = (
        selectors.awaiting_first_purchase()
        .filter(pk__in=claimed.keys())
        .select_related("user")
        .only(
            "phone",
            "first_purchase_deadline",
            "balance_expires_at",
            "user__email",
            "user__full_name",
        )
    )
    people = list(people)
    notices.send_notices(
        (
            _notice(
                person,
                reminder_text(
                    deadline=person.first_purchase_deadline,
                    expires=person.balance_expires_at,
                    days_left=claimed[person.pk],
                ),
            )
            for person in people
        ),
        label="reminder",
    )
    return len(people)


def _notice(person, text: str) -> notices.Notice:
    return notices.Notice(
        phone=person.phone,
        email=person.user.email,
        sms_text=text,
        subject=_("Pengingat batas pembelian pelatihan pertama"),
        body=notices.letter(name=person.user.full_name, text=text),
        log={"participant": person.pk},
    )
