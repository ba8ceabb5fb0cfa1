"""Four eyes on money: a batch above the threshold needs a submitter and a different
approver; once approved a worker sends it at once; every step is audited. Tested as the demo
superuser and as an officer with exactly the documented permissions."""

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incentives import services
from incentives.admin import PAYOUT_OFFICER_PERMISSIONS
from incentives.models import DisbursementBatch, DisbursementBatchEvent
from participants import demo
from participants.models import User
from tests.factories import UserFactory
from tests.incentives.helpers import eligible_participant, fake_paid, first_installment


@pytest.fixture
def demo_staff(db):
    """The demo staff account exactly as ``seed_demo`` creates it: a superuser."""
    return User.objects.create_superuser(
        email=demo.STAFF_EMAIL, password=demo.DEMO_PASSWORD, full_name="Staf Prakerja"
    )


def make_officer(email: str) -> User:
    """An officer holding exactly the permissions the README documents for payout staff."""
    user = UserFactory(is_staff=True, email=email)
    for perm in PAYOUT_OFFICER_PERMISSIONS:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


@pytest.fixture
def officer(db):
    return make_officer("petugas.bayar@prakerja.local")


@pytest.fixture
def job_batch(settings, db):
    """Two participants due, the nightly job makes a batch of Rp1.200.000 over a Rp1.000.000
    threshold."""
    settings.PAYOUT_APPROVAL_THRESHOLD_IDR = 1_000_000
    now = timezone.now()
    participants = [eligible_participant(now=now, validated=True) for _ in range(2)]
    summary = services.run_disbursement(now=now)
    batch = DisbursementBatch.objects.get(pk=summary.batch_id)
    assert (batch.status, batch.total_idr, batch.created_by) == (
        "awaiting_submission",
        1_200_000,
        None,
    )
    return batch, participants


def _step(client, batch, step):
    url = reverse("admin:incentives_disbursementbatch_step", args=[batch.pk, step])
    return client.post(url, follow=True)


@pytest.mark.django_db
def test_a_job_made_batch_is_not_sent_until_submitted_and_approved(job_batch):
    _, participants = job_batch
    services.run_disbursement(now=timezone.now())
    assert all(first_installment(p).status == "scheduled" for p in participants)


@pytest.mark.django_db
def test_the_submitter_can_never_approve(job_batch, demo_staff, officer):
    batch, _ = job_batch
    services.submit_batch(batch=batch, actor=officer)
    with pytest.raises(services.CheckerIsMaker):
        services.approve_batch(batch=batch, actor=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        DisbursementBatch.objects.filter(pk=batch.pk).update(approved_by=officer)


@pytest.mark.django_db
def test_approval_sends_the_batch_at_once_and_every_step_is_audited(
    job_batch, demo_staff, officer, django_capture_on_commit_callbacks
):
    batch, participants = job_batch
    services.submit_batch(batch=batch, actor=demo_staff)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.approve_batch(batch=batch, actor=officer)
    assert callbacks  # the send task (and the notices), enqueued after commit
    batch.refresh_from_db()
    assert batch.status == "done"
    assert "paid=2" in batch.result
    assert all(fake_paid(first_installment(p)) == 1 for p in participants)
    assert list(
        DisbursementBatchEvent.objects.filter(batch=batch).values_list("action", "actor")
    ) == [
        ("created", None),
        ("submitted", demo_staff.pk),
        ("approved", officer.pk),
        ("send_started", None),
        ("sent", None),
    ]


@pytest.mark.django_db
def test_rejection_is_audited_and_returns_the_installments(job_batch, officer):
    batch, participants = job_batch
    assert services.reject_batch(batch=batch, actor=officer) == 2
    assert DisbursementBatchEvent.objects.filter(
        batch=batch, action="rejected", actor=officer
    ).exists()
    assert first_installment(participants[0]).batch is None


@pytest.mark.parametrize("submitter", ["demo_staff", "officer"])
@pytest.mark.django_db
def test_the_batch_page_shows_the_next_step_and_explains_a_missing_button(
    client,
    job_batch,
    request,
    submitter,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    batch, _ = job_batch
    submitting = request.getfixturevalue(submitter)
    approving = make_officer("kedua@prakerja.local")
    url = reverse("admin:incentives_disbursementbatch_change", args=[batch.pk])
    client.force_login(submitting)
    page = client.get(url).content.decode()
    assert 'id="batch-submit"' in page
    assert 'id="batch-approve"' not in page
    _step(client, batch, "ajukan")
    with django_assert_max_num_queries(30):
        page = client.get(url).content.decode()
    assert 'id="batch-approve"' not in page
    assert "Anda yang mengajukan batch ini" in page
    # Even a forged POST by the submitter is refused.
    assert "Anda yang mengajukan batch ini" in _step(client, batch, "setujui").content.decode()
    batch.refresh_from_db()
    assert batch.status == "pending_approval"
    client.force_login(approving)
    assert 'id="batch-approve"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = _step(client, batch, "setujui").content.decode()
    batch.refresh_from_db()
    assert batch.status == "done"
    assert "Selesai" in page


@pytest.mark.django_db
def test_staff_without_the_payout_permissions_see_why_there_is_no_button(client, job_batch):
    batch, _ = job_batch
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_disbursementbatch"))
    client.force_login(viewer)
    url = reverse("admin:incentives_disbursementbatch_change", args=[batch.pk])
    page = client.get(url).content.decode()
    assert 'id="batch-submit"' not in page
    assert "tidak memiliki izin mengajukan" in page
    _step(client, batch, "ajukan")
    batch.refresh_from_db()
    assert batch.status == "awaiting_submission"
