"""The back office speaks Indonesian: no model, field, filter, action or permission of our apps
keeps the English name Django derives from the code."""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.contrib.auth.models import Permission
from django.utils import translation
from django.utils.text import camel_case_to_spaces

APPS = ["participants", "trainings", "incentives", "complaints", "reports", "sandbox"]

# Names that read the same in Indonesian as the attribute they come from.
SAME_IN_INDONESIAN = {"status", "email", "id", "url", "nik", "seed", "platform", "voucher", "video"}

# English words that must not appear in a label (a cheap catch for explicit English names).
ENGLISH = re.compile(
    r"\b(created|updated|at|kind|province|wave|amount|date|time|name|number|reason|code|"
    r"count|balance|payment|paid|sent|started|finished|participant|user|title|"
    r"description|price|active|expires?|deadline|completed|selected|request|response|"
    r"account|reference|note|body|key|secret|attempts?|question|answer|run|"
    r"quota|report|applicant|eligible|actor|by|of|the|and|is|has)\b",
    re.IGNORECASE,
)


def our_models():
    for label in APPS:
        yield from apps.get_app_config(label).get_models()


def english(label: str, default: str) -> bool:
    text = str(label).strip()
    if text.lower() == default.lower() and text.lower() not in SAME_IN_INDONESIAN:
        return True
    return bool(ENGLISH.search(text))


def test_every_model_and_field_has_an_indonesian_verbose_name():
    found = []
    with translation.override("id"):
        for model in our_models():
            opts = model._meta
            name = opts.label
            if english(opts.verbose_name, camel_case_to_spaces(opts.object_name)):
                found.append(f"{name}: model {opts.verbose_name!r}")
            if "verbose_name_plural" not in opts.original_attrs:
                found.append(f"{name}: no verbose_name_plural")
            if opts.proxy and opts.concrete_model._meta.app_label not in APPS:
                # A third party's model under our name (the staff second factor): its fields
                # keep the library's names; our admin labels them (test_staff_second_factor...).
                continue
            for field in opts.get_fields():
                if not field.concrete or field.auto_created:
                    continue
                if english(field.verbose_name, field.name.replace("_", " ")):
                    found.append(f"{name}.{field.name}: {field.verbose_name!r}")
    assert not found, "English verbose names left:\n" + "\n".join(found)


@pytest.mark.django_db
def test_every_admin_column_filter_and_action_reads_indonesian(rf):
    from tests.factories import UserFactory

    request = rf.get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    found = []
    with translation.override("id"):
        for model, model_admin in admin.site._registry.items():
            if model._meta.app_label not in APPS:
                continue
            where = type(model_admin).__name__
            for column in model_admin.get_list_display(request):
                if column == "action_checkbox":
                    continue
                label = label_for_field(column, model, model_admin)
                if english(label, getattr(column, "__name__", str(column)).replace("_", " ")):
                    found.append(f"{where} column {column}: {label!r}")
            for column in model_admin.get_readonly_fields(request):
                label = label_for_field(column, model, model_admin)
                if english(label, getattr(column, "__name__", str(column)).replace("_", " ")):
                    found.append(f"{where} read-only field {column}: {label!r}")
            for name, (_func, _name, description) in model_admin.get_actions(request).items():
                if english(description % {"verbose_name_plural": "x"}, name.replace("_", " ")):
                    found.append(f"{where} action {name}: {description!r}")
            for spec in model_admin.list_filter:
                title = getattr(spec, "title", None) if isinstance(spec, type) else None
                if title is not None and english(title, ""):
                    found.append(f"{where} filter {spec.__name__}: {title!r}")
    assert not found, "English admin labels left:\n" + "\n".join(found)


@pytest.mark.django_db
def test_permission_names_are_indonesian():
    names = list(
        Permission.objects.filter(content_type__app_label__in=APPS).values_list("name", flat=True)
    )
    assert names
    english_names = [n for n in names if n.startswith("Can ")]
    assert not english_names, english_names[:20]


def test_the_projects_own_translations_are_compiled():
    """locale/id/LC_MESSAGES/django.po (Indonesian for third-party staff pages) and its compiled
    django.mo agree: each message reads in Indonesian."""
    from pathlib import Path

    po = Path(__file__).resolve().parent.parent / "locale" / "id" / "LC_MESSAGES" / "django.po"
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', po.read_text(encoding="utf-8"), re.M)
    assert pairs
    with translation.override("id"):
        wrong = [(m, s, translation.gettext(m)) for m, s in pairs if translation.gettext(m) != s]
    assert not wrong, wrong
