"""``prakerja.prepared.PreparedQuery``: a hot query's SQL built once per process,
its rows read afresh on every call, with the objects the ORM would give."""

import pytest
from django.db.models.sql.compiler import SQLCompiler

from participants.models import Application, Participant, Wave
from prakerja.prepared import PreparedQuery
from tests.factories import ParticipantFactory, WaveFactory

pytestmark = pytest.mark.django_db


def _history():
    return PreparedQuery(
        lambda participant_id: (
            Application.objects.filter(participant_id=participant_id)
            .select_related("wave")
            .order_by("-wave__number")
        )
    )


def _join(participant, wave):
    return Application.objects.create(participant=participant, wave=wave, joined_at=wave.opens_at)


def test_it_gives_what_the_orm_gives_and_builds_its_sql_once(monkeypatch):
    history = _history()
    first, second = ParticipantFactory(), ParticipantFactory()
    waves = [WaveFactory(), WaveFactory()]
    for wave in waves:
        _join(first, wave)
    _join(second, waves[0])
    assert history.fetch(second.pk) == list(second.applications.all())
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    rows = history.fetch(first.pk)
    assert compiled == []
    assert [row.wave.number for row in rows] == sorted((w.number for w in waves), reverse=True)
    assert all(isinstance(row.wave, Wave) for row in rows)


def test_known_objects_are_attached_without_a_query(django_assert_num_queries):
    participant = ParticipantFactory()
    _join(participant, WaveFactory())
    history = _history()
    history.fetch(participant.pk)
    with django_assert_num_queries(1):
        (row,) = history.fetch(participant.pk, known={"participant": participant})
        assert row.participant is participant


def test_every_call_reads_the_rows_afresh():
    participant = ParticipantFactory()
    history = _history()
    assert history.fetch(participant.pk) == []
    application = _join(participant, WaveFactory())
    assert history.fetch(participant.pk) == [application]


def test_a_missing_related_row_reads_as_absent():
    from django.contrib.auth import get_user_model

    from tests.factories import UserFactory

    user = UserFactory()
    users = PreparedQuery(
        lambda pk: get_user_model().objects.select_related("participant").filter(pk=pk)
    )
    (loaded,) = users.fetch(user.pk)
    with pytest.raises(Participant.DoesNotExist):
        _ = loaded.participant


@pytest.mark.parametrize(
    "build",
    [
        lambda pk: Application.objects.filter(participant_id=pk).values("id"),
        lambda pk: Application.objects.filter(participant_id=pk).prefetch_related("wave"),
        lambda pk: Application.objects.filter(participant_id=1),  # the marker is not used
    ],
)
def test_a_query_it_cannot_prepare_is_refused(build):
    with pytest.raises(ValueError):
        PreparedQuery(build).fetch(1)
