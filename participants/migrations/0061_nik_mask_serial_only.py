"""Re-mask stored NIKs: only the serial (last four digits) stays visible (docs/privacy.md).

The old mask kept the first four digits (province and regency), which, with the district, birth
date and gender shown beside it, gave the NIK back. The new value is computed from the old one,
so no NIK is decrypted."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Right


def remask(apps, schema_editor):
    for model in ("Participant", "BlacklistEntry"):
        apps.get_model("participants", model).objects.exclude(nik_masked="").update(
            nik_masked=Concat(Value("*" * 12), Right("nik_masked", 4))
        )


class Migration(migrations.Migration):
    dependencies = [("participants", "0060_staff_actions")]

    operations = [migrations.RunPython(remask, migrations.RunPython.noop)]
