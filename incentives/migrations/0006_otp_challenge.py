from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incentives", "0005_four_eyes_batches_and_payout_notices"),
    ]

    operations = [
        migrations.RenameField("payoutaccountchange", "expires_at", "otp_expires_at"),
        migrations.RenameField("payoutaccountchange", "attempts", "otp_attempts"),
        migrations.AlterField(
            model_name="payoutaccountchange",
            name="otp_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="percobaan OTP"),
        ),
        migrations.AlterField(
            model_name="payoutaccountchange",
            name="otp_expires_at",
            field=models.DateTimeField(verbose_name="OTP kedaluwarsa pada"),
        ),
    ]
