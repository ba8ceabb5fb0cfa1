"""An officer holding exactly the documented wave permissions (README "Back office",
``WAVE_OFFICER_PERMISSIONS``) opens every wave page, the recovered quota ("Kuota dipulihkan") and
its additional-wave form included, and opens an additional wave through the real form; the demo
superuser too."""

import pytest
from django.urls import reverse

from participants.models import Wave
from tests.trainings.sweep_helpers import participant_in, wave_21, wib
from trainings import sweep

pytestmark = pytest.mark.django_db


def test_every_wave_page_opens_for_the_documented_permissions(client, wave_staff):
    wave = wave_21()
    for _ in range(2):
        participant_in(wave)
    sweep.sweep_deadlines(now=wib(2021, 10, 22, 0, 5), notify=False)
    client.force_login(wave_staff)
    index = client.get(reverse("admin:index")).content.decode()
    for name in ("Gelombang", "Kuota dipulihkan"):
        assert name in index, name
    pages = [
        reverse("admin:participants_wave_changelist"),
        reverse("admin:participants_wave_add"),
        reverse("admin:participants_wave_change", args=[wave.pk]),
        reverse("admin:participants_wave_preview", args=[wave.pk]),
        reverse("admin:trainings_recoveredquota_changelist"),
        reverse("admin:trainings_recoveredquota_open_wave"),
    ]
    statuses = {url: client.get(url).status_code for url in pages}
    assert statuses == dict.fromkeys(pages, 200)
    quota = client.get(reverse("admin:trainings_recoveredquota_changelist")).content.decode()
    assert "Buka gelombang tambahan" in quota
    opened = client.post(
        reverse("admin:trainings_recoveredquota_open_wave"),
        {
            "number": 22,
            "opens_at": "2030-11-01T10:00",
            "closes_at": "2030-11-05T10:00",
            "announces_at": "2030-11-08T20:00",
            "program_year": 2030,
        },
    )
    assert opened.status_code == 302
    added = Wave.objects.get(number=22)
    assert (added.is_additional, added.quota_total) == (True, 2)
