"""Selection of a closed wave: reason codes, the KK limit, quotas, the seeded draw, the grant
and the announcement (participants.waves.selection)."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from participants.cards import deadlines
from participants.cards import numbers as card_numbers
from participants.models import (
    Application,
    BlacklistEntry,
    LedgerEntry,
    Participant,
    ParticipantEvent,
    SelectionRun,
    User,
    WaveProvinceQuota,
)
from participants.waves.selection import (
    SelectionAlreadyRun,
    WaveNotClosed,
    draw_key,
    run_due_selections,
    run_selection,
)
from prakerja import sms
from tests.factories import ParticipantFactory, ProvinceFactory, WaveFactory

NOW = dt.datetime(2026, 3, 10, 5, 0, tzinfo=dt.UTC)
R = Application.Reason


def closed_wave(**kwargs):
    defaults = {
        "opens_at": NOW - dt.timedelta(days=10),
        "closes_at": NOW - dt.timedelta(days=2),
        "announces_at": NOW - dt.timedelta(hours=1),
        "quota_total": 1000,
    }
    defaults.update(kwargs)
    return WaveFactory(**defaults)


def apply(wave, **kwargs) -> Participant:
    participant = ParticipantFactory(**kwargs)
    Application.objects.create(participant=participant, wave=wave, joined_at=wave.opens_at)
    return participant


def bulk_apply(wave, count: int, *, province_id: str = "32", tag: str = "b") -> list[int]:
    """Many eligible applicants in three statements (the factories are too slow for hundreds)."""
    ProvinceFactory(code=province_id, name=f"PROVINSI {province_id}")
    users = User.objects.bulk_create(
        User(email=f"{tag}{i}@muat.id", full_name=f"Peserta {i}", password="!")
        for i in range(count)
    )
    people = Participant.objects.bulk_create(
        Participant(
            user=user,
            nik_hash=f"{tag}-nik-{i}",
            kk_hash=f"{tag}-kk-{i}",
            birth_date=dt.date(1995, 1, 1),
            province_id=province_id,
            phone=f"+62813{i:08d}",
            is_student=False,
            is_civil_servant=False,
            receives_social_aid=False,
            registry_status=Participant.RegistryStatus.MATCH,
        )
        for i, user in enumerate(users)
    )
    Application.objects.bulk_create(
        Application(participant=p, wave=wave, joined_at=wave.opens_at) for p in people
    )
    return [p.pk for p in people]


def outcome(participant: Participant) -> tuple[str, str]:
    application = Application.objects.get(participant=participant)
    return application.status, application.reason_code


def selected_ids(wave) -> set[int]:
    return set(
        Application.objects.filter(wave=wave, status=Application.Status.SELECTED).values_list(
            "participant_id", flat=True
        )
    )


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_selection_is_refused_before_the_wave_closes():
    wave = closed_wave(closes_at=NOW + dt.timedelta(hours=1), announces_at=NOW + dt.timedelta(1))
    apply(wave)
    with pytest.raises(WaveNotClosed) as err:
        run_selection(wave=wave, now=NOW)
    assert err.value.code == "wave_not_closed"
    assert not SelectionRun.objects.exists()
    assert Application.objects.get().status == Application.Status.JOINED


@pytest.mark.django_db
def test_a_second_run_for_the_same_wave_is_refused_and_changes_nothing():
    wave = closed_wave(quota_total=1)
    apply(wave)
    apply(wave)
    first = run_selection(wave=wave, seed="satu", now=NOW)
    before = list(Application.objects.order_by("pk").values_list("status", "reason_code"))
    with pytest.raises(SelectionAlreadyRun) as err:
        run_selection(wave=wave, seed="dua", now=NOW)
    assert err.value.code == "selection_already_run"
    assert SelectionRun.objects.get().pk == first.pk
    assert list(Application.objects.order_by("pk").values_list("status", "reason_code")) == before


# --- eligibility and reason codes ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"birth_date": dt.date(2008, 3, 9)}, R.TOO_YOUNG),  # turns 18 the day after closing
        ({"birth_date": dt.date(1961, 3, 8)}, R.TOO_OLD),  # turned 65 on the close date
        ({"is_student": True}, R.STUDENT),
        ({"is_civil_servant": True}, R.CIVIL_SERVANT),
        ({"receives_social_aid": True}, R.OTHER_SOCIAL_AID),
    ],
)
def test_ineligible_applicants_get_their_reason_code(fields, reason):
    wave = closed_wave()  # closes 8 March 2026 12:00 WIB
    person = apply(wave, **fields)
    run_selection(wave=wave, now=NOW)
    assert outcome(person) == (Application.Status.NOT_SELECTED, reason)
    person.refresh_from_db()
    assert person.status == Participant.Status.APPLICANT
    assert person.card_number is None and person.balance_idr == 0
    # Not a status change: the decision is recorded on the application, not as an event.
    application = Application.objects.get(participant=person, wave=wave)
    assert application.decided_at == NOW
    assert not ParticipantEvent.objects.filter(participant=person).exists()


@pytest.mark.django_db
def test_age_limits_are_inclusive_on_the_close_date():
    wave = closed_wave()
    just_18 = apply(wave, birth_date=dt.date(2008, 3, 8))
    still_64 = apply(wave, birth_date=dt.date(1961, 3, 9))
    run_selection(wave=wave, now=NOW)
    assert outcome(just_18) == (Application.Status.SELECTED, "")
    assert outcome(still_64) == (Application.Status.SELECTED, "")


@pytest.mark.django_db
def test_blacklisted_nik_is_refused_at_selection_and_a_lifted_entry_is_not():
    wave = closed_wave()
    banned = apply(wave)
    lifted = apply(wave)
    for person, removed in ((banned, None), (lifted, NOW - dt.timedelta(days=1))):
        BlacklistEntry.objects.create(
            nik_hash=person.nik_hash,
            full_name="x",
            reason_code=BlacklistEntry.Reason.NO_FIRST_PURCHASE,
            created_at=NOW - dt.timedelta(days=100),
            removed_at=removed,
            removal_reason="keberatan diterima" if removed else "",
        )
    run_selection(wave=wave, now=NOW)
    assert outcome(banned) == (Application.Status.NOT_SELECTED, R.BLACKLISTED)
    assert outcome(lifted) == (Application.Status.SELECTED, "")


@pytest.mark.django_db
def test_a_past_participant_is_never_selected_again():
    earlier = closed_wave(number=901)
    wave = closed_wave(number=902)
    veteran = ParticipantFactory(
        status=Participant.Status.REVOKED, wave=earlier, card_number=card_numbers.new_card_number()
    )
    Application.objects.create(participant=veteran, wave=wave, joined_at=wave.opens_at)
    run_selection(wave=wave, now=NOW)
    assert outcome(veteran) == (Application.Status.NOT_SELECTED, R.ALREADY_PARTICIPANT)


@pytest.mark.django_db
def test_province_without_quota_is_outside_the_quota_region():
    wave = closed_wave()
    WaveProvinceQuota.objects.create(wave=wave, province=ProvinceFactory(code="32"), quota=5)
    inside = apply(wave)
    outside = apply(wave, province=ProvinceFactory(code="31", name="DKI JAKARTA"))
    run_selection(wave=wave, now=NOW)
    assert outcome(inside) == (Application.Status.SELECTED, "")
    assert outcome(outside) == (Application.Status.NOT_SELECTED, R.OUTSIDE_QUOTA_REGION)


@pytest.mark.django_db
def test_quota_full_for_those_drawn_after_the_quota():
    wave = closed_wave(quota_total=2)
    people = [apply(wave) for _ in range(5)]
    run = run_selection(wave=wave, now=NOW)
    outcomes = [outcome(p) for p in people]
    assert outcomes.count((Application.Status.SELECTED, "")) == 2
    assert outcomes.count((Application.Status.NOT_SELECTED, R.QUOTA_FULL)) == 3
    assert (run.applicants, run.eligible, run.selected, run.not_selected) == (5, 5, 2, 3)
    assert run.counts_by_reason == {"quota_full": 3}


# --- the family card (KK) limit -----------------------------------------------------------------


@pytest.mark.django_db
def test_at_most_two_per_family_card_within_one_draw():
    wave = closed_wave()
    family = [apply(wave, kk="3201000000009999") for _ in range(4)]
    other = apply(wave)
    run = run_selection(wave=wave, seed="kk", now=NOW)
    outcomes = [outcome(p) for p in family]
    assert outcomes.count((Application.Status.SELECTED, "")) == 2
    assert outcomes.count((Application.Status.NOT_SELECTED, R.FAMILY_CARD_LIMIT)) == 2
    assert outcome(other) == (Application.Status.SELECTED, "")
    # The two kept are the two best placed in the family by the seeded draw.
    by_draw = sorted(family, key=lambda p: draw_key(seed=run.seed, participant_id=p.pk))
    assert {p.pk for p in by_draw[:2]} == selected_ids(wave) - {other.pk}


@pytest.mark.django_db
def test_family_card_limit_counts_members_selected_in_earlier_waves():
    earlier = closed_wave(number=801)
    wave = closed_wave(number=802)
    ParticipantFactory(kk="3201000000008888", status=Participant.Status.ACTIVE, wave=earlier)
    family = [apply(wave, kk="3201000000008888") for _ in range(3)]
    run_selection(wave=wave, now=NOW)
    outcomes = [outcome(p) for p in family]
    assert outcomes.count((Application.Status.SELECTED, "")) == 1
    assert outcomes.count((Application.Status.NOT_SELECTED, R.FAMILY_CARD_LIMIT)) == 2


@pytest.mark.django_db
def test_family_with_two_past_participants_gets_no_more():
    earlier = closed_wave(number=701)
    wave = closed_wave(number=702)
    for _ in range(2):
        ParticipantFactory(kk="3201000000007777", status=Participant.Status.FINISHED, wave=earlier)
    late = apply(wave, kk="3201000000007777")
    run_selection(wave=wave, now=NOW)
    assert outcome(late) == (Application.Status.NOT_SELECTED, R.FAMILY_CARD_LIMIT)


# --- quotas, tiers and the draw -----------------------------------------------------------------


@pytest.mark.django_db
def test_quota_is_exact_in_every_province():
    wave = closed_wave(quota_total=9)
    quotas = {"32": 3, "31": 5, "35": 1, "36": 0}
    for code, quota in quotas.items():
        WaveProvinceQuota.objects.create(
            wave=wave, province=ProvinceFactory(code=code, name=code), quota=quota
        )
    for code, count in {"32": 40, "31": 4, "35": 25, "36": 7, "11": 6}.items():
        bulk_apply(wave, count, province_id=code, tag=f"p{code}-")
    run = run_selection(wave=wave, now=NOW)
    got = dict.fromkeys(quotas, 0)
    for app in Application.objects.filter(wave=wave, status=Application.Status.SELECTED):
        got[app.province_id] += 1
    # Exact where there are enough applicants, everyone where there are fewer (31: 4 of 5).
    assert got == {"32": 3, "31": 4, "35": 1, "36": 0}
    assert run.selected == 8
    assert run.counts_by_reason == {"outside_quota_region": 6, "quota_full": 40 - 3 + 25 - 1 + 7}
    assert Participant.objects.filter(wave=wave, status=Participant.Status.SELECTED).count() == 8


@pytest.mark.django_db
def test_national_quota_applies_when_the_wave_has_no_province_quotas():
    wave = closed_wave(quota_total=7)
    bulk_apply(wave, 10, province_id="32", tag="a")
    bulk_apply(wave, 10, province_id="31", tag="b")
    run = run_selection(wave=wave, now=NOW)
    assert run.selected == 7 and len(selected_ids(wave)) == 7


@pytest.mark.django_db
def test_anyone_can_replay_the_draw_from_the_recorded_seed():
    wave = closed_wave(quota_total=5)
    ids = bulk_apply(wave, 30)
    run = run_selection(wave=wave, now=NOW)
    replay = sorted(ids, key=lambda pk: (draw_key(seed=run.seed, participant_id=pk), pk))
    assert selected_ids(wave) == set(replay[:5])
    ranks = dict(Application.objects.filter(wave=wave).values_list("participant_id", "draw_rank"))
    assert [ranks[pk] for pk in replay] == list(range(1, 31))


def _draw(wave, seed: str) -> set[int]:
    """Run the selection and roll it back, returning who was selected."""
    with transaction.atomic():
        run_selection(wave=wave, seed=seed, now=NOW)
        chosen = selected_ids(wave)
        transaction.set_rollback(True)
    return chosen


@pytest.mark.django_db
def test_same_seed_gives_the_same_result_and_another_seed_another():
    wave = closed_wave(quota_total=10)
    bulk_apply(wave, 100)
    first = _draw(wave, "benih-2026")
    assert not SelectionRun.objects.exists()  # rolled back: the copy is intact
    second = _draw(wave, "benih-2026")
    other = _draw(wave, "benih-lain")
    assert len(first) == 10
    assert first == second
    assert other != first


@pytest.mark.django_db
def test_seed_is_generated_and_recorded_when_not_given():
    wave = closed_wave()
    apply(wave)
    run = run_selection(wave=wave, now=NOW)
    assert len(run.seed) == 32
    assert SelectionRun.objects.get(wave=wave).seed == run.seed


# --- set-based --------------------------------------------------------------------------------


def _statements(wave) -> int:
    with CaptureQueriesContext(connection) as ctx:
        run_selection(wave=wave, now=NOW)
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_statement_count_does_not_depend_on_the_number_of_applicants():
    small = closed_wave(number=501, quota_total=20)
    large = closed_wave(number=502, quota_total=200)
    bulk_apply(small, 50, tag="s")
    bulk_apply(large, 500, tag="l")
    few = _statements(small)
    many = _statements(large)
    assert few == many
    assert many <= 25
    assert SelectionRun.objects.get(wave=large).selected == 200


# --- what the selected get ---------------------------------------------------------------------


@pytest.mark.django_db
def test_selected_get_status_card_balance_ledger_and_deadline():
    wave = closed_wave(quota_total=20)
    bulk_apply(wave, 30)
    run_selection(wave=wave, now=NOW)
    chosen = Participant.objects.filter(wave=wave)
    assert chosen.count() == 20
    amount = settings.TRAINING_BALANCE_IDR
    numbers = set()
    for person in chosen:
        assert person.status == Participant.Status.SELECTED
        assert person.selected_at == wave.announces_at
        assert person.balance_idr == amount
        assert person.balance_expires_at == deadlines.balance_expiry(wave.announces_at)
        assert person.first_purchase_deadline == deadlines.first_purchase_deadline(
            wave.announces_at
        )
        assert card_numbers.is_valid_card_number(person.card_number)
        numbers.add(person.card_number)
    assert len(numbers) == 20
    grants = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.GRANT)
    assert grants.count() == 20
    assert grants.aggregate(total=Sum("amount_idr"))["total"] == 20 * amount
    assert set(grants.values_list("balance_after_idr", flat=True)) == {amount}
    assert chosen.aggregate(total=Sum("balance_idr"))["total"] == 20 * amount
    events = ParticipantEvent.objects.filter(participant__wave=wave)
    assert set(events.values_list("kind", "from_status", "to_status", "reason_code")) == {
        ("status", "applicant", "selected", "selected")
    }
    assert ParticipantEvent.objects.count() == 20  # one status change per selected participant


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("announced", "deadline"),
    [
        # docs/program.md section 4: wave 21 and wave 13.
        (dt.datetime(2021, 9, 22, 20, 0), dt.datetime(2021, 10, 21, 23, 59, 59, 999999)),
        (dt.datetime(2021, 3, 10, 12, 0), dt.datetime(2021, 4, 8, 23, 59, 59, 999999)),
    ],
)
def test_first_purchase_deadline_follows_the_worked_examples(announced, deadline):
    announced = announced.replace(tzinfo=deadlines.WIB)
    wave = closed_wave(
        number=21,
        opens_at=announced - dt.timedelta(days=5),
        closes_at=announced - dt.timedelta(days=2),
        announces_at=announced,
    )
    person = apply(wave)
    run_selection(wave=wave, now=announced)
    person.refresh_from_db()
    assert person.first_purchase_deadline == deadline.replace(tzinfo=deadlines.WIB)
    assert person.balance_expires_at == dt.datetime(
        2021, 12, 15, 23, 59, 59, 999999, tzinfo=deadlines.WIB
    )


# --- announcement --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_announcement_sms_and_emails_are_sent_after_commit():
    wave = closed_wave(quota_total=1, number=21)
    winner, loser = apply(wave, serial=11), apply(wave, serial=12)
    # A seed whose draw puts the winner first (no list: this test commits).
    seed = next(
        f"s{n}"
        for n in range(100)
        if draw_key(seed=f"s{n}", participant_id=winner.pk)
        < draw_key(seed=f"s{n}", participant_id=loser.pk)
    )
    with transaction.atomic():
        run_selection(wave=wave, seed=seed, now=NOW)
        assert sms.outbox == [] and mail.outbox == []  # nothing before the commit
    assert [m.to for m in sms.outbox] == [winner.phone]
    assert "LOLOS" in sms.outbox[0].text and "Gelombang 21" in sms.outbox[0].text
    assert "8 April 2026 23.59 WIB" in sms.outbox[0].text
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {winner.user.email, loser.user.email}
    assert "lolos" in by_recipient[winner.user.email].subject
    assert str(R.QUOTA_FULL.label) in by_recipient[loser.user.email].body


@pytest.mark.django_db(transaction=True)
def test_rolled_back_selection_sends_nothing():
    wave = closed_wave()
    apply(wave)
    with pytest.raises(RuntimeError), transaction.atomic():
        run_selection(wave=wave, now=NOW)
        raise RuntimeError("rollback")
    assert sms.outbox == [] and mail.outbox == []
    assert not SelectionRun.objects.exists()


@pytest.mark.django_db
def test_announcement_is_sent_in_batches(monkeypatch, django_capture_on_commit_callbacks):
    from participants import tasks
    from participants.notices import decisions

    monkeypatch.setattr(decisions, "ANNOUNCEMENT_BATCH", 4)
    calls = []
    monkeypatch.setattr(tasks.send_selected_sms, "delay", lambda ids: calls.append(("sms", ids)))
    monkeypatch.setattr(
        tasks.send_selected_emails, "delay", lambda ids: calls.append(("mail", ids))
    )
    monkeypatch.setattr(
        tasks.send_not_selected_emails, "delay", lambda ids: calls.append(("no", ids))
    )
    wave = closed_wave(quota_total=10)
    bulk_apply(wave, 13)
    with django_capture_on_commit_callbacks(execute=True):
        run_selection(wave=wave, now=NOW)
    sms_batches = [ids for kind, ids in calls if kind == "sms"]
    assert [len(ids) for ids in sms_batches] == [4, 4, 2]
    assert sorted(pk for ids in sms_batches for pk in ids) == sorted(selected_ids(wave))
    assert [len(ids) for kind, ids in calls if kind == "no"] == [3]


# --- beat task, command and admin ---------------------------------------------------------------


@pytest.mark.django_db
def test_due_selections_run_once_after_the_announcement_time():
    due = closed_wave(number=31, announces_at=NOW - dt.timedelta(minutes=5))
    closed_not_due = closed_wave(number=32, announces_at=NOW + dt.timedelta(hours=2))
    apply(due)
    waiting = apply(closed_not_due)
    runs = run_due_selections(now=NOW)
    assert [r.wave_id for r in runs] == [due.pk]
    assert run_due_selections(now=NOW) == []
    assert outcome(waiting) == (Application.Status.PROCESSING, "")
    assert SelectionRun.objects.count() == 1


@pytest.mark.django_db
def test_command_prints_a_summary_and_fails_loudly(capsys):
    wave = closed_wave(number=41, quota_total=1)
    apply(wave)
    apply(wave)
    call_command("run_selection", "41", "--seed", "abc", "--now", NOW.isoformat())
    out = capsys.readouterr().out
    assert "run_selection: wave=41 applicants=2 eligible=2 selected=1 not_selected=1" in out
    assert "seed=abc quota_full=1" in out
    with pytest.raises(CommandError, match="selection_already_run"):
        call_command("run_selection", "41", "--now", NOW.isoformat())
    with pytest.raises(CommandError, match="does not exist"):
        call_command("run_selection", "999")


@pytest.mark.django_db
def test_admin_action_runs_selection_and_reports_counts(admin_client, admin_user):
    now = timezone.now()
    wave = closed_wave(
        opens_at=now - dt.timedelta(days=3),
        closes_at=now - dt.timedelta(hours=1),
        announces_at=now,
        quota_total=1,
    )
    apply(wave)
    apply(wave)
    response = admin_client.post(
        "/admin/participants/wave/",
        {"action": "run_selection_action", "_selected_action": [wave.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "2 pendaftar, 2 memenuhi syarat, 1 lolos, 1 belum berhasil" in text
    assert SelectionRun.objects.get(wave=wave).actor == admin_user
    response = admin_client.post(
        "/admin/participants/wave/",
        {"action": "run_selection_action", "_selected_action": [wave.pk]},
        follow=True,
    )
    assert "sudah pernah dijalankan" in response.content.decode()


@pytest.mark.django_db
def test_python_draw_key_equals_the_sql_one():
    with connection.cursor() as cursor:
        cursor.execute("SELECT md5(%s || ':' || %s)", ["abc", 7])
        assert cursor.fetchone()[0] == draw_key(seed="abc", participant_id=7)
    assert draw_key(seed="abc", participant_id=7) == "8bc1e502f54f251099584fafc5c6969c"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_announcement_through_redis(real_worker):
    import time

    wave = closed_wave(quota_total=2)
    people = [apply(wave) for _ in range(3)]
    run_selection(wave=wave, now=NOW)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (len(sms.outbox) < 2 or len(mail.outbox) < 3):
        time.sleep(0.1)
    chosen = {p.phone for p in people if p.pk in selected_ids(wave)}
    assert {m.to for m in sms.outbox} == chosen
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_runs_for_one_wave_select_once():
    import threading

    wave = closed_wave(quota_total=3)
    bulk_apply(wave, 20)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def attempt(seed: str) -> None:
        try:
            barrier.wait()
            results.append(run_selection(wave=wave, seed=seed, now=NOW))
        except Exception as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(s,)) for s in ("satu", "dua")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = [r for r in results if isinstance(r, SelectionRun)]
    refusals = [r for r in results if isinstance(r, SelectionAlreadyRun)]
    assert len(runs) == 1 and len(refusals) == 1, results
    assert SelectionRun.objects.get(wave=wave).seed == runs[0].seed
    assert Participant.objects.filter(wave=wave).count() == 3
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.GRANT).count() == 3
