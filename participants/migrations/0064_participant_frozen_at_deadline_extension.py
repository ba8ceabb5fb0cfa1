from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def frozen_at_from_history(apps, schema_editor):
    """Cards frozen before this migration: the freeze began with their last move to ``frozen``."""
    Participant = apps.get_model("participants", "Participant")
    ParticipantEvent = apps.get_model("participants", "ParticipantEvent")
    began = (
        ParticipantEvent.objects.filter(
            participant_id=OuterRef("pk"), kind="status", to_status="frozen"
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    Participant.objects.filter(status="frozen", frozen_at__isnull=True).update(
        frozen_at=Subquery(began)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0063_otp_challenge"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="frozen_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="dibekukan pada"),
        ),
        migrations.AddField(
            model_name="participant",
            name="deadline_extended_days",
            field=models.PositiveSmallIntegerField(
                db_default=0, default=0, verbose_name="batas diperpanjang (hari)"
            ),
        ),
        migrations.RunPython(frozen_at_from_history, migrations.RunPython.noop),
    ]
