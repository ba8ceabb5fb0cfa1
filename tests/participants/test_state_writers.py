"""One writer of a person's state (STYLE.md rule 0): every path that changes ``Participant.status``
goes through ``participants.services``, obeys ``Participant.ALLOWED_TRANSITIONS`` and leaves an
audit row (actor, time, reason, from, to); on PostgreSQL the database refuses anything else."""

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from incentives.services import finish_participants
from participants import services as participant_services
from participants.cards import expiry
from participants.models import (
    Application,
    BlacklistEntry,
    InvalidTransition,
    LedgerEntry,
    Participant,
    ParticipantEvent,
)
from participants.services import profile
from participants.waves.selection import run_selection
from tests.factories import ParticipantFactory, UserFactory, WaveFactory, make_active_participant
from tests.incentives.test_finish import pay_everything
from tests.trainings.sweep_helpers import participant_in, wave_announced, wib
from trainings import sweep

pytestmark = pytest.mark.django_db

S = Participant.Status
ROOT = Path(settings.BASE_DIR)


def status_events(participant) -> list[tuple]:
    return list(
        ParticipantEvent.objects.filter(
            participant=participant, kind=ParticipantEvent.Kind.STATUS
        ).values_list("from_status", "to_status", "reason_code", "actor_id", "created_at")
    )


# --- the database refuses what the table does not allow ------------------------------------------


def _raw_status_update(pk: int, status: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Participant._meta.db_table} SET status = %s WHERE id = %s",
            [status, pk],
        )


@pytest.mark.parametrize(
    ("start", "invalid"),
    [
        (S.REVOKED, S.ACTIVE),
        (S.FINISHED, S.ACTIVE),
        (S.APPLICANT, S.ACTIVE),
        (S.ACTIVE, S.SELECTED),
        (S.EXPIRED, S.ACTIVE),
    ],
)
def test_the_database_refuses_a_raw_invalid_transition(start, invalid):
    person = ParticipantFactory(status=start)
    with (
        pytest.raises(DatabaseError, match="invalid participant status transition"),
        transaction.atomic(),
    ):
        _raw_status_update(person.pk, invalid)
    person.refresh_from_db()
    assert person.status == start


def test_the_database_allows_exactly_the_transitions_of_the_table():
    for start in S.values:
        for target in S.values:
            if start == target:
                continue
            # A frozen card remembers the status it had; leaving the freeze goes back there.
            frozen_from = target if target in (S.SELECTED, S.ACTIVE) else S.ACTIVE
            person = ParticipantFactory(
                status=start, frozen_from_status=frozen_from if start == S.FROZEN else ""
            )
            allowed = target in Participant.ALLOWED_TRANSITIONS[start]
            try:
                with transaction.atomic():
                    _raw_status_update(person.pk, target)
                refused = False
            except DatabaseError:
                refused = True
            assert refused is not allowed, (start, target)


@pytest.mark.parametrize(
    ("frozen_from", "target", "allowed"),
    [
        (S.ACTIVE, S.SELECTED, False),
        (S.SELECTED, S.ACTIVE, False),
        (S.ACTIVE, S.ACTIVE, True),
        (S.SELECTED, S.SELECTED, True),
        (S.ACTIVE, S.REVOKED, True),
        (S.SELECTED, S.REVOKED, True),
    ],
)
def test_a_frozen_card_leaves_the_freeze_only_for_its_stored_status_or_revocation(
    frozen_from, target, allowed
):
    """``active -> frozen -> selected`` would skip the refusal of ``active -> selected``: the
    database lets a frozen card go back only to the status stored when it was frozen."""
    person = ParticipantFactory(status=S.FROZEN, frozen_from_status=frozen_from)
    try:
        with transaction.atomic():
            _raw_status_update(person.pk, target)
        refused = False
    except DatabaseError as exc:
        assert "invalid participant status transition" in str(exc)
        refused = True
    person.refresh_from_db()
    assert refused is not allowed
    assert person.status == (target if allowed else S.FROZEN)


def test_a_lifted_freeze_returns_exactly_to_the_stored_status():
    officer = UserFactory(is_staff=True)
    for start in (S.SELECTED, S.ACTIVE):
        person = ParticipantFactory(status=start)
        participant_services.freeze_card(
            participant=person, reason="Laporan", participant_reason="Diperiksa.", actor=officer
        )
        person.refresh_from_db()
        assert (person.status, person.frozen_from_status) == (S.FROZEN, start)
        participant_services.lift_freeze(
            participant=person, reason="Selesai", participant_reason="Dipulihkan.", actor=officer
        )
        person.refresh_from_db()
        assert (person.status, person.frozen_from_status) == (start, "")


# --- no code writes a status outside participants/services ---------------------------------------

APPS = ["participants", "trainings", "incentives", "reports", "complaints", "sandbox", "prakerja"]
SQL_STATUS_WRITE = re.compile(
    # No \b after the table: "{participant}" ends in a brace, and a brace before a blank is no
    # word boundary (the placeholder form went unseen).
    r"UPDATE\s+(\{part\w*\}|participants_participant\b).*?\bSET\b.*?\bstatus\s*=",
    re.IGNORECASE | re.DOTALL,
)


PARTICIPANT_TABLE = re.compile(r"\{part\w*\}|\{app\}|participants_participant")


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative.startswith("participants/services/"):
                continue
            yield relative, ast.parse(path.read_text(), filename=relative)


def _status_aliases(tree: ast.AST) -> set[str]:
    """Names bound to ``Participant.Status`` or one of its members (``S = Participant.Status``)."""
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and "Participant.Status" in ast.unparse(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _mentions_participant_status(node: ast.AST, aliases: set[str] = frozenset()) -> bool:
    text = ast.unparse(node)
    return "Participant.Status" in text or any(
        re.search(rf"\b{re.escape(alias)}\b", text) for alias in aliases
    )


def _is_status_write(node: ast.AST, aliases: set[str] = frozenset()) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        chain = ast.unparse(node.func.value)
        if node.func.attr == "bulk_update" and "Participant" in chain:
            return True
        return node.func.attr == "update" and any(
            keyword.arg == "status"
            and ("Participant" in chain or _mentions_participant_status(keyword.value, aliases))
            for keyword in node.keywords
        )
    if isinstance(node, ast.Assign):
        return any(
            isinstance(target, ast.Attribute) and target.attr == "status" for target in node.targets
        ) and _mentions_participant_status(node.value, aliases)
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(SQL_STATUS_WRITE.search(node.value))
    )


def _status_writes(relative: str, tree: ast.AST) -> list[str]:
    aliases = _status_aliases(tree)
    return [
        f"{relative}:{node.lineno} {ast.unparse(node)[:80]}"
        for node in ast.walk(tree)
        if _is_status_write(node, aliases)
    ]


@pytest.mark.parametrize(
    "source",
    [
        "Participant.objects.filter(pk=1).update(status='revoked')",
        "people.update(status=Participant.Status.REVOKED)",
        "S = Participant.Status\npeople.update(status=S.REVOKED)",
        "REVOKED = Participant.Status.REVOKED\nperson.status = REVOKED",
        "P = Participant.Status\nperson.status = P.ACTIVE",
        "Participant.objects.bulk_update(people, ['status'])",
        "SQL = 'UPDATE {participant} p SET status = %s WHERE p.id = 1'",
    ],
)
def test_the_scan_finds_a_status_write_however_it_is_spelled(source):
    assert _status_writes("example.py", ast.parse(source))


@pytest.mark.parametrize(
    "source",
    [
        "S = Installment.Status\ninstallments.update(status=S.PAID)",
        "Complaint.objects.filter(pk=1).update(status=Complaint.Status.NEW)",
    ],
)
def test_the_scan_leaves_other_models_statuses_alone(source):
    assert _status_writes("example.py", ast.parse(source)) == []


def test_no_code_outside_participants_services_writes_a_participant_status():
    writes = [hit for relative, tree in _sources() for hit in _status_writes(relative, tree)]
    assert writes == []


def test_no_status_literal_in_the_sql_of_the_jobs():
    literal = re.compile(r"status\s*(=|<>|IN)\s*\(?\s*'", re.IGNORECASE)
    hits = []
    for relative, tree in _sources():
        hits += [
            f"{relative}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and PARTICIPANT_TABLE.search(node.value)
            and literal.search(node.value)
        ]
    assert hits == []


# --- each path: a valid transition is audited, an invalid one refused ----------------------------


def test_single_transition_is_audited_and_an_invalid_one_refused():
    staff = UserFactory(is_staff=True)
    person = make_active_participant()
    now = timezone.now()
    participant_services.transition_status(
        participant=person, to=S.FROZEN, reason_code="fraud_check", actor=staff, now=now
    )
    assert status_events(person)[-1] == (S.ACTIVE, S.FROZEN, "fraud_check", staff.pk, now)
    with pytest.raises(InvalidTransition):
        participant_services.transition_status(
            participant=person, to=S.FINISHED, reason_code="x", actor=staff
        )
    person.refresh_from_db()
    assert person.status == S.FROZEN


def test_bulk_transition_moves_only_the_allowed_and_refuses_a_disallowed_source():
    staff = UserFactory(is_staff=True)
    active = make_active_participant()
    revoked = make_active_participant()
    participant_services.revoke_participation(participant=revoked, reason_code="fraud")
    now = timezone.now()
    everyone = Participant.objects.filter(pk__in=[active.pk, revoked.pk])

    moved = participant_services.transition_statuses(
        participants=everyone, to=S.FINISHED, reason_code="all_paid", actor=staff, now=now
    )
    assert moved == 1
    assert status_events(active)[-1] == (S.ACTIVE, S.FINISHED, "all_paid", staff.pk, now)
    revoked.refresh_from_db()
    assert revoked.status == S.REVOKED

    with pytest.raises(InvalidTransition):
        participant_services.transition_statuses(
            participants=everyone, to=S.ACTIVE, from_statuses=[S.REVOKED], reason_code="x"
        )


def test_selection_writes_the_status_through_the_service_with_actor_and_reason():
    staff = UserFactory(is_staff=True)
    now = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)
    wave = WaveFactory(
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=2),
        announces_at=now - dt.timedelta(hours=1),
        quota_total=10,
    )
    applicant = ParticipantFactory()
    finished = ParticipantFactory(status=S.FINISHED)
    for person in (applicant, finished):
        Application.objects.create(participant=person, wave=wave, joined_at=wave.opens_at)

    run_selection(wave=wave, seed="s", actor=staff, now=now)

    assert status_events(applicant) == [(S.APPLICANT, S.SELECTED, "selected", staff.pk, now)]
    assert LedgerEntry.objects.filter(participant=applicant, kind="grant").count() == 1
    finished.refresh_from_db()
    assert finished.status == S.FINISHED
    assert status_events(finished) == []


def test_the_selection_grant_moves_only_applicants_and_writes_each_row_once():
    """participants.services.bulk_select: the chosen applicant gets status, card, balance, one
    GRANT entry and one audit row; someone chosen who is no longer an applicant is left alone
    and the count says so (selection then rolls back)."""
    staff = UserFactory(is_staff=True)
    now = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)
    wave = WaveFactory(
        opens_at=now - dt.timedelta(days=10),
        closes_at=now - dt.timedelta(days=2),
        announces_at=now - dt.timedelta(hours=1),
        quota_total=10,
    )
    applicant, finished = ParticipantFactory(), ParticipantFactory(status=S.FINISHED)
    choices = (
        f"SELECT {applicant.pk} AS participant_id, '5000000000000001' AS card_number "
        f"UNION ALL SELECT {finished.pk}, '5000000000000002'"
    )
    with transaction.atomic():
        moved = participant_services.bulk_select(
            choices_sql=choices,
            wave_id=wave.pk,
            granted_at=wave.announces_at,
            reason_code="selected",
            reference=f"wave:{wave.number}",
            actor=staff,
            now=now,
        )
    assert moved == 1
    applicant.refresh_from_db()
    assert (applicant.status, applicant.card_number, applicant.wave_id) == (
        S.SELECTED,
        "5000000000000001",
        wave.pk,
    )
    assert applicant.balance_idr == settings.TRAINING_BALANCE_IDR
    grants = LedgerEntry.objects.filter(participant=applicant, kind="grant")
    assert [g.balance_after_idr for g in grants] == [settings.TRAINING_BALANCE_IDR]
    assert status_events(applicant) == [(S.APPLICANT, S.SELECTED, "selected", staff.pk, now)]
    finished.refresh_from_db()
    assert (finished.status, finished.card_number, finished.balance_idr) == (S.FINISHED, None, 0)
    assert status_events(finished) == []
    assert not LedgerEntry.objects.filter(participant=finished).exists()


def test_bulk_revoke_audits_the_allowed_and_leaves_the_rest():
    staff = UserFactory(is_staff=True)
    active = make_active_participant()
    finished = make_active_participant()
    participant_services.transition_status(participant=finished, to=S.FINISHED, reason_code="x")
    now = timezone.now()
    result = participant_services.bulk_revoke(
        participants=Participant.objects.filter(pk__in=[active.pk, finished.pk]),
        reason_code="fraud",
        actor=staff,
        now=now,
        reference="test",
    )
    assert result.revoked_ids == [active.pk]
    assert status_events(active)[-1] == (S.ACTIVE, S.REVOKED, "fraud", staff.pk, now)
    assert BlacklistEntry.objects.filter(participant=active).count() == 1
    finished.refresh_from_db()
    assert finished.status == S.FINISHED


def test_single_revocation_refuses_a_finished_participant():
    person = make_active_participant()
    participant_services.transition_status(participant=person, to=S.FINISHED, reason_code="x")
    with pytest.raises(InvalidTransition):
        participant_services.revoke_participation(participant=person, reason_code="fraud")
    assert not BlacklistEntry.objects.filter(participant=person).exists()


def test_bulk_grant_writes_one_ledger_entry_each_and_the_single_grant_is_the_same_rule():
    now = timezone.now()
    people = [ParticipantFactory() for _ in range(2)]
    granted = participant_services.bulk_grant_balance(
        participants=Participant.objects.filter(pk__in=[p.pk for p in people]),
        granted_at=now,
        reference="test",
    )
    assert granted == 2
    for person in people:
        person.refresh_from_db()
        entry = LedgerEntry.objects.get(participant=person)
        assert (entry.kind, entry.amount_idr, entry.balance_after_idr) == (
            "grant",
            settings.TRAINING_BALANCE_IDR,
            person.balance_idr,
        )


def test_finishing_audits_each_finish_and_skips_a_revoked_participant():
    done = make_active_participant()
    revoked = make_active_participant()
    pay_everything(done)
    pay_everything(revoked)
    participant_services.revoke_participation(participant=revoked, reason_code="fraud")
    now = timezone.now()
    assert finish_participants(now=now) == 1
    assert status_events(done)[-1] == (S.ACTIVE, S.FINISHED, "all_incentives_paid", None, now)
    revoked.refresh_from_db()
    assert revoked.status == S.REVOKED


# --- a late wave: nobody is revoked for not buying after the balance expired ---------------------


@pytest.mark.parametrize(
    "sweep_at", [wib(2021, 12, 15, 23, 59, 59), wib(2021, 12, 16, 0, 0, 0)], ids=str
)
def test_the_sweep_spares_a_participant_whose_balance_expired_at_the_deadline(sweep_at):
    # Announced 16 November: day 30 is 15 December, the balance's last day too.
    late = participant_in(wave_announced(31, wib(2021, 11, 16, 20)))
    assert late.first_purchase_deadline == late.balance_expires_at
    earlier = participant_in(wave_announced(30, wib(2021, 11, 15, 20)))

    with time_machine.travel(sweep_at, tick=False):
        sweep.sweep_deadlines(notify=False)

    late.refresh_from_db()
    assert late.status == S.ACTIVE
    assert not BlacklistEntry.objects.filter(participant=late).exists()
    earlier.refresh_from_db()
    assert earlier.status == S.REVOKED  # deadline 14 December, balance still alive then


@pytest.mark.parametrize(
    "sweep_at", [wib(2021, 12, 19, 23, 59, 59), wib(2021, 12, 20, 0, 0, 0)], ids=str
)
def test_the_sweep_never_revokes_after_the_balance_expired_before_the_deadline(sweep_at):
    # Announced 20 November (staff should not, but did): deadline 19 December.
    late = participant_in(wave_announced(32, wib(2021, 11, 20, 20)))
    with time_machine.travel(wib(2021, 12, 16, 0, 20), tick=False):
        expiry.expire_balances()
    with time_machine.travel(sweep_at, tick=False):
        sweep.sweep_deadlines(notify=False)
    late.refresh_from_db()
    assert late.status == S.EXPIRED
    assert not BlacklistEntry.objects.filter(participant=late).exists()
    assert not LedgerEntry.objects.filter(participant=late, kind="forfeit").exists()


def test_expiry_moves_who_never_bought_to_expired_with_an_audit_row():
    wave = wave_announced(33, wib(2021, 11, 16, 20))
    never = participant_in(wave)
    bought = participant_in(wave)
    participant_services.debit_for_purchase(
        participant_id=bought.pk, amount_idr=100_000, reference="p", now=wib(2021, 11, 20)
    )
    at = wib(2021, 12, 16, 0, 0, 0)
    result = expiry.expire_balances(now=at)
    assert result.expired == 2
    never.refresh_from_db()
    bought.refresh_from_db()
    assert (never.status, never.balance_idr) == (S.EXPIRED, 0)
    assert status_events(never) == [(S.ACTIVE, S.EXPIRED, "balance_expired", None, at)]
    assert (bought.status, bought.balance_idr) == (S.ACTIVE, 0)
    assert status_events(bought) == []


def test_the_sweep_audits_each_revocation_and_leaves_a_frozen_card_alone():
    wave = wave_announced(34, wib(2021, 9, 22, 20))
    late = participant_in(wave)
    frozen = participant_in(wave)
    participant_services.transition_status(participant=frozen, to=S.FROZEN, reason_code="check")
    cutoff = wib(2021, 10, 22, 0, 5)
    run = sweep.sweep_deadlines(now=cutoff, notify=False)
    assert run.revoked == 1
    assert status_events(late) == [(S.ACTIVE, S.REVOKED, "no_first_purchase", None, cutoff)]
    frozen.refresh_from_db()
    assert frozen.status == S.FROZEN


# --- no code writes a decisive profile field outside participants/services ----------------------

# The fields selection judges (participants.services.profile), under their column names too.
DECISIVE = {
    *profile.DECISIVE_FIELDS,
    *(f"{name}_id" for name in ("district", "regency", "province")),
    "is_unemployed",
}


def _decisive_writes(relative: str, tree: ast.AST) -> list[str]:
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            chain = ast.unparse(node.func.value).lower()
            written = {keyword.arg for keyword in node.keywords} & DECISIVE
            if node.func.attr in ("update", "create") and "participant" in chain and written:
                hits.append(f"{relative}:{node.lineno} {ast.unparse(node)[:80]}")
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Attribute)
            and target.attr in DECISIVE
            and "participant" in ast.unparse(target.value).lower()
            for target in node.targets
        ):
            hits.append(f"{relative}:{node.lineno} {ast.unparse(node)[:80]}")
    return hits


@pytest.mark.parametrize(
    "source",
    [
        "participant.birth_date = day",
        "Participant.objects.filter(pk=1).update(is_student=False, declared_at=now)",
        "participant.province_id = district.regency.province_id",
    ],
)
def test_the_scan_finds_a_decisive_field_write(source):
    assert _decisive_writes("example.py", ast.parse(source))


def test_no_code_outside_participants_services_writes_a_decisive_profile_field():
    """Registration, like a staff correction, writes the fields selection judges through
    ``participants.services`` (one writer, with its audit row)."""
    writes = [hit for relative, tree in _sources() for hit in _decisive_writes(relative, tree)]
    assert writes == []
