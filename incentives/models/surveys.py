"""Evaluation surveys, their questions and the answers (each completed survey earns its
incentive)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from participants.models import Participant


class Survey(models.Model):
    """One of the evaluation surveys ("Survei Evaluasi"), numbered 1..SURVEY_COUNT."""

    number = models.PositiveSmallIntegerField(_("nomor"), unique=True)
    title = models.CharField(_("judul"), max_length=200)
    intro = models.TextField(_("pengantar"), blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("survei evaluasi")
        verbose_name_plural = _("survei evaluasi")

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survei")
    )
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)
    text = models.CharField(_("pertanyaan"), max_length=300)
    # One choice per line; empty means a free-text answer.
    choices = models.TextField(_("pilihan jawaban (satu per baris)"), blank=True)

    class Meta:
        ordering = ["survey", "order", "id"]
        verbose_name = _("pertanyaan survei")
        verbose_name_plural = _("pertanyaan survei")

    def __str__(self) -> str:
        return self.text

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class SurveyResponse(models.Model):
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="survey_responses",
        verbose_name=_("peserta"),
    )
    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survei")
    )
    answers = models.JSONField(_("jawaban"))
    completed_at = models.DateTimeField(_("tuntas pada"))

    class Meta:
        verbose_name = _("jawaban survei")
        verbose_name_plural = _("jawaban survei")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "survey"], name="one_response_per_survey"
            ),
        ]
