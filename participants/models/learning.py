"""The basic test ("Tes Motivasi & Kemampuan Dasar") and the orientation videos."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from participants.models.participant import Participant
from prakerja.uploads import AcceptedUpload, stored_name

# --- the basic test ("Tes Motivasi & Kemampuan Dasar") -------------------------------------------


class BasicTestQuestion(models.Model):
    """One multiple-choice question of the basic test's bank, managed by staff in the admin."""

    class Option(models.TextChoices):
        A = "a", "A"
        B = "b", "B"
        C = "c", "C"
        D = "d", "D"

    text = models.TextField(_("pertanyaan"))
    option_a = models.CharField(_("pilihan A"), max_length=255)
    option_b = models.CharField(_("pilihan B"), max_length=255)
    option_c = models.CharField(_("pilihan C"), max_length=255)
    option_d = models.CharField(_("pilihan D"), max_length=255)
    correct_option = models.CharField(_("jawaban benar"), max_length=1, choices=Option)
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("soal tes")
        verbose_name_plural = _("bank soal tes")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text[:80]

    def options(self) -> list[tuple[str, str]]:
        return [
            ("a", self.option_a),
            ("b", self.option_b),
            ("c", self.option_c),
            ("d", self.option_d),
        ]


class BasicTestAttempt(models.Model):
    """One sitting of the basic test: the drawn questions, the server-side deadline, the grade."""

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="test_attempts",
        verbose_name=_("peserta"),
    )
    question_ids = models.JSONField(_("soal"), default=list)
    answers = models.JSONField(_("jawaban"), default=dict, blank=True)
    started_at = models.DateTimeField(_("mulai pada"))
    expires_at = models.DateTimeField(_("kedaluwarsa pada"))
    submitted_at = models.DateTimeField(_("dikumpulkan pada"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("nilai"), null=True, blank=True)
    passed = models.BooleanField(_("lulus"), null=True, blank=True)
    late = models.BooleanField(_("terlambat"), default=False)

    class Meta:
        verbose_name = _("percobaan tes")
        verbose_name_plural = _("percobaan tes")
        ordering = ["-started_at"]
        constraints = [
            # At most one unfinished attempt at a time per participant.
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(submitted_at__isnull=True),
                name="one_open_test_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} @ {self.started_at:%Y-%m-%d %H:%M}"


# --- orientation ----------------------------------------------------------------------------------


def video_path(instance: "OrientationVideo", filename: str) -> str:
    return stored_name("orientasi", filename)


class OrientationVideo(models.Model):
    """An introduction video. Participants watch every active one, in order, to the end."""

    order = models.PositiveSmallIntegerField(_("urutan"), unique=True)
    title = models.CharField(_("judul"), max_length=150)
    description = models.TextField(_("keterangan"), blank=True)
    file = models.FileField(
        _("berkas video"),
        upload_to=video_path,
        blank=True,
        validators=[AcceptedUpload("video")],
        help_text=_("MP4 atau WebM."),
    )
    url = models.CharField(
        _("alamat video"),
        max_length=500,
        blank=True,
        help_text=_("Dipakai bila tidak ada berkas, mis. /static/video/orientasi-1.webm"),
    )
    duration_seconds = models.PositiveIntegerField(_("durasi (detik)"))
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("video orientasi")
        verbose_name_plural = _("video orientasi")
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_seconds__gt=0), name="video_has_duration"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class VideoProgress(models.Model):
    """Server-side record of one participant watching one video: started, then completed."""

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="video_progress",
        verbose_name=_("peserta"),
    )
    video = models.ForeignKey(OrientationVideo, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(_("mulai pada"))
    completed_at = models.DateTimeField(_("tuntas pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("progres video")
        verbose_name_plural = _("progres video")
        constraints = [
            models.UniqueConstraint(fields=["participant", "video"], name="one_progress_per_video"),
        ]
