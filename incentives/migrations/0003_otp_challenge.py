from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incentives", "0002_default_surveys"),
    ]

    operations = [
        migrations.RenameField("payoutaccountchange", "expires_at", "otp_expires_at"),
        migrations.RenameField("payoutaccountchange", "attempts", "otp_attempts"),
        migrations.AlterField(
            model_name="payoutaccountchange",
            name="created_at",
            field=models.DateTimeField(verbose_name="dibuat pada"),
        ),
        migrations.AlterField(
            model_name="payoutaccountchange",
            name="otp_attempts",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="percobaan OTP"),
        ),
        migrations.AlterField(
            model_name="payoutaccountchange",
            name="otp_expires_at",
            field=models.DateTimeField(verbose_name="OTP berlaku sampai"),
        ),
        migrations.AlterField(
            model_name="payoutaccountchange",
            name="otp_hash",
            field=models.CharField(editable=False, max_length=64, verbose_name="hash kode OTP"),
        ),
    ]
