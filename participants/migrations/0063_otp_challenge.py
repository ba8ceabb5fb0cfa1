from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0062_participant_status_transition_trigger"),
    ]

    operations = [
        migrations.RenameField("phoneotp", "code_hash", "otp_hash"),
        migrations.RenameField("phoneotp", "expires_at", "otp_expires_at"),
        migrations.RenameField("phoneotp", "attempts", "otp_attempts"),
        migrations.AlterField(
            model_name="phoneotp",
            name="otp_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="percobaan OTP"),
        ),
        migrations.AlterField(
            model_name="phoneotp",
            name="otp_expires_at",
            field=models.DateTimeField(verbose_name="OTP kedaluwarsa pada"),
        ),
        migrations.AlterField(
            model_name="phoneotp",
            name="otp_hash",
            field=models.CharField(editable=False, max_length=64, verbose_name="hash OTP"),
        ),
    ]
