"""Whatever day it runs, seed_demo's data obey every rule the admin enforces (CONTRACT.md): each
demo wave passes the admin's own wave form and the late-wave rule (after 16 November the demo
uses the next program year), and each demo person is what the program's own rules would have
made: a valid NIK, an allowed status history, a ledger that explains the balance, a deadline by
the balance expiry, and nobody the nightly sweep would revoke today."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.forms.models import model_to_dict

from participants import selectors
from participants.admin.waves import WaveAdminForm
from participants.cards import deadlines
from participants.models import InvalidTransition, Participant, ParticipantEvent, Wave
from participants.registration import nik
from participants.services.status import check_transition
from participants.waves import schedule
from prakerja import crypto
from trainings.models import SweepRun

pytestmark = pytest.mark.django_db

WIB = deadlines.WIB

DAYS = [
    dt.datetime(2027, 1, 1, 0, 30, tzinfo=WIB),
    dt.datetime(2026, 3, 1, 9, 0, tzinfo=WIB),
    dt.datetime(2026, 11, 6, 12, 0, tzinfo=WIB),
    dt.datetime(2026, 11, 16, 23, 30, tzinfo=WIB),
    dt.datetime(2026, 11, 17, 0, 30, tzinfo=WIB),
    dt.datetime(2026, 12, 6, 5, 46, tzinfo=WIB),
    dt.datetime(2026, 12, 15, 23, 0, tzinfo=WIB),
    dt.datetime(2026, 12, 16, 9, 0, tzinfo=WIB),
    dt.datetime(2028, 2, 29, 12, 0, tzinfo=WIB),
]


def seed(day, settings, capsys) -> dict[str, str]:
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    with time_machine.travel(day, tick=False):
        call_command("seed_demo")
    out = capsys.readouterr().out
    return dict(re.findall(r"DEMO email=(\S+) password=\S+ state=(\S+)", out))


def wave_form_errors(wave: Wave, now: dt.datetime) -> dict:
    """The admin's wave form on this wave's page, posted back unchanged."""
    data = {
        name: value.astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, dt.datetime)
        else value
        for name, value in model_to_dict(wave, fields=WaveAdminForm._meta.fields).items()
    }
    data["program_year"] = deadlines.wave_program_year(wave)
    with time_machine.travel(now, tick=False):
        form = WaveAdminForm(data=data, instance=wave)
        return {} if form.is_valid() else form.errors


def person_problems(person: Participant, now: dt.datetime) -> list[str]:
    problems = []
    if person.nik_encrypted:
        try:
            nik.check_encoded_fields(
                nik=crypto.decrypt(person.nik_encrypted),
                birth_date=person.birth_date,
                gender=person.gender,
                district_code=person.district_id,
            )
        except nik.InvalidNik as exc:
            problems.append(f"nik: {exc.message}")
    history = ParticipantEvent.objects.filter(
        participant=person, kind=ParticipantEvent.Kind.STATUS
    ).order_by("created_at", "id")
    status, frozen_from = Participant.Status.APPLICANT, ""
    for event in history:
        if event.from_status != status:
            problems.append(f"history: {event.from_status} after {status}")
        try:
            check_transition(from_status=status, to=event.to_status, frozen_from_status=frozen_from)
        except InvalidTransition:
            problems.append(f"transition {status} -> {event.to_status}")
        frozen_from = status if event.to_status == Participant.Status.FROZEN else ""
        status = event.to_status
        if event.created_at > now:
            problems.append(f"event in the future: {event}")
    if status != person.status:
        problems.append(f"status {person.status}, history ends at {status}")
    ledger = person.ledger_entries.aggregate(total=Sum("amount_idr"))["total"] or 0
    if ledger != person.balance_idr:
        problems.append(f"balance {person.balance_idr} but ledger {ledger}")
    if person.wave_id:
        wave = person.wave
        if person.balance_expires_at != deadlines.wave_balance_expiry(wave):
            problems.append("balance expiry is not the wave's program year's")
        base = deadlines.first_purchase_deadline(wave.announces_at)
        extended = base + dt.timedelta(days=person.deadline_extended_days)
        if person.first_purchase_deadline != extended:
            problems.append("first-purchase deadline is not the wave's")
        if base > person.balance_expires_at:
            problems.append("the wave's window ends after the balance expiry")
    if person.status in (Participant.Status.SELECTED, Participant.Status.ACTIVE):
        if selectors.is_past_first_purchase_deadline(person, as_of=now):
            problems.append("the sweep would revoke this person now")
        if person.balance_expires_at <= now:
            problems.append("an expired balance on a card that may buy")
    if person.status == Participant.Status.EXPIRED and person.balance_expires_at > now:
        problems.append("expired before the balance expiry")
    return problems


@pytest.mark.parametrize("day", DAYS, ids=[f"{d:%Y-%m-%d}" for d in DAYS])
def test_the_demo_obeys_every_rule_whatever_day_it_runs(day, settings, capsys):
    states = seed(day, settings, capsys)
    assert {"active", "selected", "revoked", "frozen", "expired", "joined"} <= set(states.values())
    problems = {}
    for wave in Wave.objects.order_by("number"):
        if why := schedule.late_wave_problem(wave):
            problems[f"wave {wave.number}"] = why
        if errors := wave_form_errors(wave, day):
            problems[f"wave {wave.number} form"] = errors
    for person in Participant.objects.select_related("wave", "user"):
        if found := person_problems(person, day):
            problems[person.user.email] = found
    assert problems == {}

    # The active demo person can buy today: card, full balance, no purchase, deadline ahead.
    active = Participant.objects.get(user__email="aktif@prakerja.local")
    assert active.status == "active" and active.card_number
    assert active.balance_idr == settings.TRAINING_BALANCE_IDR
    assert active.first_purchase_at is None
    assert selectors.last_day_to_buy(active) > day
    # The open wave is open today.
    assert any(w.opens_at <= day < w.closes_at for w in Wave.objects.all())


def test_a_new_wave_after_16_november_belongs_to_the_next_program_year(settings, capsys):
    seed(dt.datetime(2026, 11, 20, 9, 0, tzinfo=WIB), settings, capsys)
    open_wave = Wave.objects.order_by("-number").first()
    assert open_wave.program_year == 2027
    active = Participant.objects.get(user__email="aktif@prakerja.local")
    assert active.balance_expires_at == deadlines.program_balance_expiry(2027)


def test_a_sweep_far_past_every_deadline_revokes_the_demo_cards_that_never_bought(settings, capsys):
    day = dt.datetime(2026, 12, 6, 5, 46, tzinfo=WIB)
    seed(day, settings, capsys)
    owing = Participant.objects.filter(
        status__in=["selected", "active"], first_purchase_at__isnull=True
    )
    assert owing.count() >= 2
    latest = max(selectors.last_day_to_buy(p) for p in owing)
    call_command("sweep_deadlines", "--now", (latest + dt.timedelta(hours=1)).isoformat())
    assert SweepRun.objects.get().revoked == owing.count() or not owing.exists()
    assert Participant.objects.get(user__email="aktif@prakerja.local").status == "revoked"


def test_seed_demo_stays_idempotent_on_a_late_day(settings, capsys):
    day = dt.datetime(2026, 12, 16, 9, 0, tzinfo=WIB)
    settings.DEBUG = True
    with time_machine.travel(day, tick=False):
        call_command("seed_demo")
        first = capsys.readouterr().out
        call_command("seed_demo")
        second = capsys.readouterr().out
    assert first == second
    assert Wave.objects.count() == 3
