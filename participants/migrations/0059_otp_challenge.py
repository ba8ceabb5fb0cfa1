from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0058_participant_frozen_expired"),
    ]

    operations = [
        migrations.RenameField("phoneotp", "code_hash", "otp_hash"),
        migrations.RenameField("phoneotp", "expires_at", "otp_expires_at"),
        migrations.RenameField("phoneotp", "attempts", "otp_attempts"),
        migrations.AlterField(
            model_name="phoneotp",
            name="created_at",
            field=models.DateTimeField(verbose_name="dibuat pada"),
        ),
        migrations.AlterField(
            model_name="phoneotp",
            name="otp_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="percobaan OTP"),
        ),
        migrations.AlterField(
            model_name="phoneotp",
            name="otp_expires_at",
            field=models.DateTimeField(verbose_name="OTP berlaku sampai"),
        ),
        migrations.AlterField(
            model_name="phoneotp",
            name="otp_hash",
            field=models.CharField(editable=False, max_length=64, verbose_name="hash kode OTP"),
        ),
        migrations.AlterField(
            model_name="phoneotp",
            name="phone",
            field=models.CharField(max_length=16, verbose_name="nomor HP"),
        ),
        migrations.AlterField(
            model_name="phoneotp",
            name="verified_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="diverifikasi pada"),
        ),
    ]
