"""Orientation: a video counts only after its duration has passed on the server clock."""

import datetime as dt

import pytest
from django.urls import reverse

from participants import services
from participants.cards import orientation
from participants.models import DomainError, OrientationVideo, Participant
from tests.factories import ParticipantFactory, make_active_participant

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def selected(videos):
    participant = ParticipantFactory()
    return services.transition_status(
        participant=participant,
        to=Participant.Status.SELECTED,
        reason_code="selected",
        card_number="5890000000000001",
        now=T0,
    )


def video(order: int) -> OrientationVideo:
    return OrientationVideo.objects.get(order=order)


def watch(participant, order, *, start, seconds):
    orientation.start_video(participant=participant, video=video(order), now=start)
    return orientation.complete_video(
        participant=participant, video=video(order), now=start + dt.timedelta(seconds=seconds)
    )


def test_ending_before_the_duration_is_refused(selected):
    with pytest.raises(DomainError) as exc:
        watch(selected, 1, start=T0, seconds=1)
    assert exc.value.code == "video_not_finished"


def test_ending_after_the_duration_counts(selected):
    progress = watch(selected, 1, start=T0, seconds=3)
    assert progress.completed_at == T0 + dt.timedelta(seconds=3)


def test_ending_without_a_start_is_refused(selected):
    with pytest.raises(DomainError) as exc:
        orientation.complete_video(participant=selected, video=video(1), now=T0)
    assert exc.value.code == "video_not_started"


def test_restarting_resets_the_clock(selected):
    orientation.start_video(participant=selected, video=video(1), now=T0)
    orientation.start_video(participant=selected, video=video(1), now=T0 + dt.timedelta(seconds=2))
    with pytest.raises(DomainError):
        orientation.complete_video(
            participant=selected, video=video(1), now=T0 + dt.timedelta(seconds=3)
        )


def test_videos_are_watched_in_order(selected):
    with pytest.raises(DomainError) as exc:
        orientation.start_video(participant=selected, video=video(2), now=T0)
    assert exc.value.code == "video_out_of_order"


def test_after_three_videos_the_participant_is_active_with_the_card(selected):
    for order in (1, 2):
        watch(selected, order, start=T0 + dt.timedelta(minutes=order), seconds=3)
        selected.refresh_from_db()
        assert selected.status == Participant.Status.SELECTED
    watch(selected, 3, start=T0 + dt.timedelta(minutes=3), seconds=4)
    selected.refresh_from_db()
    assert selected.status == Participant.Status.ACTIVE
    assert selected.oriented_at == T0 + dt.timedelta(minutes=3, seconds=4)
    assert selected.events.filter(to_status="active", reason_code="oriented").exists()


def test_applicants_cannot_watch(videos):
    with pytest.raises(DomainError) as exc:
        orientation.start_video(participant=ParticipantFactory(), video=video(1), now=T0)
    assert exc.value.code == "not_selected"


def test_orientation_endpoints_answer_json(client, selected):
    client.force_login(selected.user)
    url = reverse("orientation_event", args=[video(1).pk, "mulai"])
    assert client.post(url).json() == {"completed": False}
    response = client.post(reverse("orientation_event", args=[video(1).pk, "selesai"]))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "video_not_finished"


def test_orientation_page_hides_the_card_number_until_done(client, selected):
    client.force_login(selected.user)
    body = client.get(reverse("orientation")).content.decode()
    assert "5890000000000001" not in body
    assert "<noscript>" in body
    assert body.count("<video") == 3
    body = client.get(reverse("dashboard")).content.decode()
    assert "5890000000000001" not in body


def test_active_participant_sees_the_card_number(client, videos):
    participant = make_active_participant()
    client.force_login(participant.user)
    assert participant.card_number in client.get(reverse("orientation")).content.decode()
    assert participant.card_number in client.get(reverse("dashboard")).content.decode()
