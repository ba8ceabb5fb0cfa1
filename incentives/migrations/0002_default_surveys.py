"""The three evaluation surveys with starter questions; staff edit them in the admin.

Hand-written because these are rows, not schema: every database, a fresh one included, starts
with the evaluation surveys whose completion earns the survey incentives. Existing surveys
are left as staff edited them (``get_or_create``), and reversing leaves the rows to the table's
own removal.
"""

from django.db import migrations

SURVEYS = [
    (
        1,
        "Survei Evaluasi 1: Manfaat Pelatihan",
        [
            ("Seberapa bermanfaat pelatihan pertama Anda?", "Sangat bermanfaat\nBermanfaat\nKurang bermanfaat\nTidak bermanfaat"),
            ("Keterampilan apa yang paling Anda rasakan meningkat?", ""),
        ],
    ),
    (
        2,
        "Survei Evaluasi 2: Status Pekerjaan",
        [
            ("Apa status pekerjaan Anda saat ini?", "Bekerja\nBerwirausaha\nMencari kerja\nLainnya"),
            ("Apakah pelatihan membantu Anda mendapat pekerjaan atau penghasilan?", "Ya\nTidak\nBelum tahu"),
        ],
    ),
    (
        3,
        "Survei Evaluasi 3: Penggunaan Insentif",
        [
            ("Untuk apa insentif paling banyak Anda gunakan?", "Kebutuhan pokok\nModal usaha\nBiaya mencari kerja\nLainnya"),
            ("Saran Anda untuk program Kartu Prakerja", ""),
        ],
    ),
]


def create(apps, schema_editor):
    Survey = apps.get_model("incentives", "Survey")
    Question = apps.get_model("incentives", "SurveyQuestion")
    for number, title, questions in SURVEYS:
        survey, created = Survey.objects.get_or_create(number=number, defaults={"title": title})
        if created:
            for order, (text, choices) in enumerate(questions, start=1):
                Question.objects.create(survey=survey, order=order, text=text, choices=choices)


class Migration(migrations.Migration):
    dependencies = [("incentives", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
