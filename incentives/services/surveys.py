"""The evaluation surveys (Survei Evaluasi): slots, opening dates and completion."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incentives.models import (
    Installment,
    PayoutRequest,
    Survey,
    SurveyResponse,
)
from incentives.services.errors import SurveyAlreadyCompleted, SurveyNotOpen
from participants.models import Participant, ParticipantEvent
from participants.services import record_event

logger = logging.getLogger(__name__)

S = Installment.Status
R = PayoutRequest.Status


# --- surveys --------------------------------------------------------------------------------------

DEFAULT_SURVEYS = [
    (
        1,
        "Survei Evaluasi 1: Manfaat Pelatihan",
        [
            (
                "Seberapa bermanfaat pelatihan pertama Anda?",
                "Sangat bermanfaat\nBermanfaat\nKurang bermanfaat\nTidak bermanfaat",
            ),
            ("Keterampilan apa yang paling Anda rasakan meningkat?", ""),
        ],
    ),
    (
        2,
        "Survei Evaluasi 2: Status Pekerjaan",
        [
            (
                "Apa status pekerjaan Anda saat ini?",
                "Bekerja\nBerwirausaha\nMencari kerja\nLainnya",
            ),
            (
                "Apakah pelatihan membantu Anda mendapat pekerjaan atau penghasilan?",
                "Ya\nTidak\nBelum tahu",
            ),
        ],
    ),
    (
        3,
        "Survei Evaluasi 3: Penggunaan Insentif",
        [
            (
                "Untuk apa insentif paling banyak Anda gunakan?",
                "Kebutuhan pokok\nModal usaha\nBiaya mencari kerja\nLainnya",
            ),
            ("Saran Anda untuk program Kartu Prakerja", ""),
        ],
    ),
]


def ensure_default_surveys() -> int:
    """Create the evaluation surveys that do not exist yet, with starter questions (staff edit
    them in the admin). Returns how many were created."""
    created_count = 0
    for number, title, questions in DEFAULT_SURVEYS:
        survey, created = Survey.objects.get_or_create(number=number, defaults={"title": title})
        if created:
            created_count += 1
            for order, (text, choices) in enumerate(questions, start=1):
                survey.questions.create(order=order, text=text, choices=choices)
    return created_count


@dataclass
class SurveySlot:
    survey: Survey
    state: str  # "locked", "open", "done"
    opens_at: dt.datetime | None = None


def survey_slots(*, participant: Participant, now: dt.datetime | None = None) -> list[SurveySlot]:
    """The evaluation surveys as the participant sees them: survey 1 opens
    ``SURVEY_FIRST_OPENS_DAYS`` after the first incentive was paid, each next one once the
    previous is completed."""
    now = now or timezone.now()
    surveys = list(Survey.objects.filter(number__lte=settings.SURVEY_COUNT).order_by("number"))
    done = set(
        SurveyResponse.objects.filter(participant=participant).values_list(
            "survey__number", flat=True
        )
    )
    first_paid = (
        Installment.objects.filter(
            participant=participant, kind=Installment.Kind.MONTHLY, number=1, status=S.PAID
        )
        .values_list("paid_at", flat=True)
        .first()
    )
    opens = first_paid + dt.timedelta(days=settings.SURVEY_FIRST_OPENS_DAYS) if first_paid else None
    slots = []
    previous_done = True
    for survey in surveys:
        if survey.number in done:
            slots.append(SurveySlot(survey, "done"))
        elif survey.number == 1:
            state = "open" if opens and now >= opens else "locked"
            slots.append(SurveySlot(survey, state, opens))
        else:
            slots.append(SurveySlot(survey, "open" if previous_done else "locked"))
        previous_done = survey.number in done and (survey.number != 1 or previous_done)
    return slots


def complete_survey(
    *, participant: Participant, survey: Survey, answers: dict, now: dt.datetime | None = None
) -> Installment:
    """Record a completed survey and create its ``SURVEY_INCENTIVE_IDR`` installment, due now.

    Raises :class:`SurveyNotOpen` or :class:`SurveyAlreadyCompleted`."""
    now = now or timezone.now()
    slot = next(
        (s for s in survey_slots(participant=participant, now=now) if s.survey.pk == survey.pk),
        None,
    )
    if slot is not None and slot.state == "done":
        raise SurveyAlreadyCompleted()
    if slot is None or slot.state != "open":
        raise SurveyNotOpen()
    with transaction.atomic():
        SurveyResponse.objects.create(
            participant=participant, survey=survey, answers=answers, completed_at=now
        )
        installment = Installment.objects.create(
            participant=participant,
            kind=Installment.Kind.SURVEY,
            number=survey.number,
            amount_idr=settings.SURVEY_INCENTIVE_IDR,
            due_at=now,
            next_attempt_at=now,
            created_at=now,
        )
        record_event(
            participant=participant,
            kind=ParticipantEvent.Kind.PAYOUT,
            reason_code="survey_completed",
            note=f"survei {survey.number}",
            actor=participant.user,
            now=now,
        )
    return installment
