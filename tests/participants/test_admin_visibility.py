"""No admin list can be narrowed, sorted or searched by a participant field the staff member may
not see (docs/privacy.md), by any lookup Django admin accepts, across any relation.

Generic on purpose: every changelist registered in the admin that reaches a participant through
any relation (forwards or backwards), every hidden field, a wide set of lookups and transforms,
through real HTTP to a live server, as each documented staff role (the README's permission sets)
and as a staff member who may view every model but not the full NIK. The superuser's lookups on
the same fields do narrow the participant list, which shows the lookups are live ones.
"""

import datetime as dt
import re
from collections import deque
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from complaints.admin import COMPLAINT_OFFICER_PERMISSIONS
from complaints.services import submit_complaint
from incentives.admin import PAYOUT_OFFICER_PERMISSIONS
from incentives.models import Installment
from participants import services
from participants.admin.people import PARTICIPANT_OFFICER_PERMISSIONS
from participants.admin.waves import WAVE_OFFICER_PERMISSIONS
from participants.models import (
    Application,
    BasicTestAttempt,
    District,
    Participant,
    User,
)
from participants.registration.areas import load_areas
from tests.factories import (
    DEFAULT_PASSWORD,
    UserFactory,
    WaveFactory,
    make_active_participant,
    make_nik,
)
from tests.incentives.helpers import complete_first_training, give_account
from tests.staff import admin_http_session, staff_with

# The participant fields a staff member without participants.view_full_nik may not see, and the
# stored secrets nobody sees (the test's own list, not the policy module's).
DERIVABLE = ["birth_date", "gender", "regency", "district", "address"]
SECRET = ["nik_hash", "nik_encrypted", "kk_hash", "kk_encrypted"]

A_BIRTH, B_BIRTH = dt.date(1990, 3, 21), dt.date(1985, 11, 2)


def lookups_for(a: Participant) -> dict[str, list[tuple[str, str, bool]]]:
    """For each hidden field: (suffix, value matching A and not B, whether it narrows to A)."""
    birth = A_BIRTH.isoformat()
    next_day = (A_BIRTH + dt.timedelta(days=1)).isoformat()
    district, regency = a.district_id, a.regency_id
    return {
        "birth_date": [
            ("", birth, True),
            ("__exact", birth, True),
            ("__day", str(A_BIRTH.day), True),
            ("__month", str(A_BIRTH.month), True),
            ("__year", str(A_BIRTH.year), True),
            ("__iso_year", str(A_BIRTH.year), True),
            ("__quarter", "1", True),
            ("__week", str(A_BIRTH.isocalendar().week), True),
            ("__week_day", str(A_BIRTH.isoweekday() % 7 + 1), True),
            ("__gte", "1990-01-01", True),
            ("__gt", "1989-12-31", True),
            ("__lt", next_day, False),
            ("__lte", birth, False),
            ("__range", f"{birth},{birth}", True),
            ("__in", birth, True),
            ("__isnull", "False", False),
        ],
        "gender": [
            ("", "F", True),
            ("__iexact", "f", True),
            ("__in", "F", True),
            ("__startswith", "F", True),
            ("__contains", "F", True),
            ("__regex", "^F$", True),
            ("__lt", "G", True),
            ("__isnull", "False", False),
        ],
        "district": [
            ("", district, True),
            ("__exact", district, True),
            ("__in", district, True),
            ("__pk", district, True),
            ("__code", district, True),
            ("__code__startswith", district[:4], True),
            ("__code__regex", f"^{district[:2]}", True),
            ("__name__icontains", "CIBINONG", True),
            ("__regency", regency, True),
            ("__regency__province", district[:2], True),
            ("_id", district, True),
            ("_id__startswith", district[:4], True),
            ("__gte", "32", True),
            ("__isnull", "False", False),
        ],
        "regency": [
            ("", regency, True),
            ("__in", regency, True),
            ("__code__startswith", regency, True),
            ("__name__icontains", "BOGOR", True),
            ("__province", regency[:2], True),
            ("_id__endswith", regency[-2:], True),
            ("__isnull", "False", False),
        ],
        "address": [
            ("", a.address, True),
            ("__iexact", a.address.upper(), True),
            ("__icontains", "melati", True),
            ("__startswith", "Jl. Melati", True),
            ("__endswith", "7", True),
            ("__iregex", "melati", True),
            ("__in", a.address, True),
            ("__isnull", "False", False),
        ],
        "nik_hash": [
            ("", a.nik_hash, True),
            ("__startswith", a.nik_hash[:8], True),
            ("__in", a.nik_hash, True),
        ],
        "nik_encrypted": [("__startswith", a.nik_encrypted[:12], False)],
        "kk_hash": [("", a.kk_hash, True), ("__startswith", a.kk_hash[:8], True)],
        "kk_encrypted": [("__isnull", "False", False)],
    }


# --- the admin changelists that reach a participant -----------------------------------------------


def relations(model):
    for field in model._meta.get_fields():
        if field.is_relation and field.related_model is not None:
            yield field


def through_hidden(model, path: list[str]) -> bool:
    """Whether ``path`` crosses the reverse side of a hidden participant foreign key (a district's
    ``participant``: "the district of participant N")."""
    for part in path:
        field = model._meta.get_field(part)
        if field.auto_created and not field.concrete:
            forward = field.remote_field
            if forward.model is Participant and forward.name in DERIVABLE:
                return True
        model = field.related_model
    return False


def paths_to_participant(model, depth: int = 3, limit: int = 2) -> list[list[str]]:
    """The shortest relation paths (forwards or backwards) from ``model`` to Participant."""
    found, queue, seen = [], deque([(model, [])]), {(model, ())}
    while queue and len(found) < limit:
        current, path = queue.popleft()
        if len(path) >= depth:
            continue
        for field in relations(current):
            step = [*path, field.name]
            if field.related_model is Participant:
                found.append(step)
                continue
            key = (field.related_model, tuple(step[-1:]))
            if key not in seen:
                seen.add(key)
                queue.append((field.related_model, step))
    return found[:limit]


def changelists():
    """(model admin, paths to a participant) for every registered admin that reaches one."""
    result = []
    for model, model_admin in admin.site._registry.items():
        if model is Participant:
            result.append((model_admin, [[]]))
            continue
        paths = paths_to_participant(model)
        if paths:
            result.append((model_admin, paths))
    return result


def candidate_lookups(model, paths, lookups, *, thorough: bool) -> list[tuple[str, str, bool]]:
    """(lookup, value, narrows) for ``model``: each hidden field along each path to a participant
    with each lookup (``thorough``), or else the participant list's own fields with one lookup
    each and, through another model, the first path with one lookup on a birth date and one on
    a district (a path is refused or followed whatever the lookup at its end)."""
    out = []
    for path in paths if thorough else paths[:1]:
        prefix = "__".join(path)
        for field, variants in lookups.items():
            if thorough:
                chosen = variants
            elif not prefix:
                chosen = variants[:1]
            elif field in ("birth_date", "district"):
                chosen = variants[2:3]
            else:
                continue
            for suffix, value, narrows in chosen:
                if suffix.startswith("_id") and prefix:
                    continue
                name = f"{prefix}__{field}" if prefix else field
                out.append((f"{name}{suffix}", value, narrows and not prefix))
        if prefix and through_hidden(model, path):
            # The path itself reads a hidden foreign key backwards.
            out.append((prefix, "A_PK", True))
            out.append((f"{prefix}__in", "A_PK", True))
            out.append((f"{prefix}__user__email", "A_EMAIL", True))
    return out


# --- data ---------------------------------------------------------------------------------------


def _person(*, birth, gender, district, address, serial):
    """An active participant of a wave of their own, living in ``district``."""
    now = timezone.now()
    return make_active_participant(
        wave=WaveFactory(
            opens_at=now - dt.timedelta(days=10),
            closes_at=now - dt.timedelta(days=3),
            announces_at=now - dt.timedelta(days=1),
        ),
        birth_date=birth,
        gender=gender,
        district=district,
        regency=district.regency,
        province_id=district.regency.province_id,
        address=address,
        nik=make_nik(district_code=district.code, birth_date=birth, gender=gender, serial=serial),
        kk=f"{district.regency_id}010101019{serial:03d}",
    )


@pytest.fixture
def people(db):
    """A and B differ in every hidden field; both have rows in every list that shows people."""
    load_areas(provinces=["31", "32"])
    cibinong = District.objects.select_related("regency").get(code="320101")
    other = District.objects.select_related("regency").filter(regency__province_id="31").first()
    a = _person(
        birth=A_BIRTH, gender="F", district=cibinong, address="Jl. Melati No. 7", serial=123
    )
    b = _person(birth=B_BIRTH, gender="M", district=other, address="Gg. Kenanga 9", serial=456)
    now = timezone.now()
    for person in (a, b):
        Application.objects.create(participant=person, wave=person.wave, joined_at=now)
        BasicTestAttempt.objects.create(
            participant=person, started_at=now, expires_at=now + dt.timedelta(minutes=25)
        )
        complete_first_training(person, now=now)
        give_account(person, number=f"12345678{person.pk:02d}")
        Installment.objects.create(
            participant=person,
            kind="monthly",
            number=1,
            amount_idr=600_000,
            due_at=now,
            next_attempt_at=now,
            created_at=now,
        )
        submit_complaint(
            name=person.user.full_name,
            phone=person.phone,
            email=person.user.email,
            category="insentif",
            description="Insentif belum masuk.",
            user=person.user,
        )
        services.add_to_blacklist(participant=person, reason_code="fraud", note="uji", actor=None)
    a.refresh_from_db()
    b.refresh_from_db()
    return a, b


def every_view_permission() -> list[str]:
    return [
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(codename__startswith="view_")
        .exclude(codename="view_full_nik")
        .select_related("content_type")
    ]


ROLES = {
    "participant officer": lambda: PARTICIPANT_OFFICER_PERMISSIONS,
    "complaint officer": lambda: COMPLAINT_OFFICER_PERMISSIONS,
    "payout officer": lambda: PAYOUT_OFFICER_PERMISSIONS,
    "wave officer": lambda: WAVE_OFFICER_PERMISSIONS,
    "view-only staff": every_view_permission,
}


def rows(response, model) -> frozenset[str]:
    opts = model._meta
    return frozenset(
        re.findall(
            rf'href="/admin/{opts.app_label}/{opts.model_name}/([^/"]+)/change/', response.text
        )
    )


def refused(response) -> bool:
    if response.status_code in (400, 403):
        return True
    return response.status_code == 302 and "e=1" in response.headers.get("Location", "")


def changelist_url(base, model) -> str:
    return f"{base}/admin/{model._meta.app_label}/{model._meta.model_name}/"


def _value(value: str, a: Participant) -> str:
    return {"A_PK": str(a.pk), "A_EMAIL": a.user.email}.get(value, value)


@pytest.mark.django_db(transaction=True)
def test_over_http_no_staff_role_narrows_or_searches_a_list_by_a_hidden_field(live_server, people):
    """Each documented role and a view-only staff member, through the real login and admin:
    on the participant list every hidden field with every lookup; on every other list that
    reaches a participant, the path to it; and searches by hidden values and by a full NIK."""
    a, _b = people
    lookups = lookups_for(a)
    leaks, opened = [], {}
    for role, permissions in ROLES.items():
        officer = staff_with(permissions(), f"{role.replace(' ', '-')}@prakerja.local")
        session = admin_http_session(live_server.url, officer, DEFAULT_PASSWORD)
        opened[role] = 0
        for model_admin, paths in changelists():
            model = model_admin.model
            url = changelist_url(live_server.url, model)
            baseline = session.get(url, allow_redirects=False, timeout=30)
            if baseline.status_code == 403:
                continue  # this role cannot open the list at all
            assert baseline.status_code == 200, (role, url, baseline.status_code)
            opened[role] += 1
            everyone = rows(baseline, model)
            # The participant officer's own list with every lookup; the rest with a sample (every
            # lookup along every path: test_every_lookup_along_every_path_...).
            thorough = model is Participant and role == "participant officer"
            queries = [
                {lookup: _value(value, a)}
                for lookup, value, _narrows in candidate_lookups(
                    model, paths, lookups, thorough=thorough
                )
            ]
            if model is Participant or about_one_person(model, paths):
                terms = SEARCH_TERMS if thorough else SEARCH_TERMS[:1] + SEARCH_TERMS[4:5]
                queries += [{"q": term} for term in (*terms, a._nik)]
            for query in queries:
                answer = session.get(f"{url}?{urlencode(query)}", allow_redirects=False, timeout=30)
                assert answer.status_code < 500, (role, url, query, answer.status_code)
                shown = rows(answer, model)
                if not refused(answer) and shown and shown != everyone:
                    leaks.append(f"{role}: {model._meta.label}?{urlencode(query)}")
    assert all(opened.values()), f"a role opens no list that shows people: {opened}"
    assert not leaks, "lists narrowed by hidden fields:\n" + "\n".join(leaks)


def in_process(model_admin, user, params: dict) -> frozenset[str] | None:
    """The rows ``model_admin``'s change list shows ``user`` for ``params``, or None when the
    admin refuses them (the 400 or ``?e=1`` of a real request)."""
    request = RequestFactory().get("/", params)
    request.user = user
    request._messages = CookieStorage(request)
    try:
        changelist = model_admin.get_changelist_instance(request)
    except (DisallowedModelAdminLookup, IncorrectLookupParameters):
        return None
    return frozenset(str(pk) for pk in changelist.queryset.values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["participant officer", "view-only staff"])
def test_every_lookup_along_every_path_is_refused_or_changes_nothing(people, role):
    """The same rule, every lookup along every relation path (up to three), without HTTP: what
    the change list would show for each query string."""
    a, _b = people
    officer = staff_with(ROLES[role](), f"alle-{role.replace(' ', '-')}@prakerja.local")
    lookups = lookups_for(a)
    leaks, checked = [], 0
    for model_admin, _paths in changelists():
        model = model_admin.model
        probe = RequestFactory().get("/")
        probe.user = officer
        if not model_admin.has_view_or_change_permission(probe):
            continue
        everyone = in_process(model_admin, officer, {})
        paths = [[]] if model is Participant else paths_to_participant(model, limit=3)
        for lookup, value, _narrows in candidate_lookups(model, paths, lookups, thorough=True):
            checked += 1
            shown = in_process(model_admin, officer, {lookup: _value(value, a)})
            if shown and shown != everyone:
                leaks.append(f"{model._meta.label}?{lookup}={value}")
        if model is Participant or about_one_person(model, paths):
            for term in (*SEARCH_TERMS, a._nik):
                shown = in_process(model_admin, officer, {"q": term})
                if shown and shown != everyone:
                    leaks.append(f"{model._meta.label}?q={term}")
    assert checked > 100, checked
    assert not leaks, "\n".join(leaks)


SEARCH_TERMS = [
    A_BIRTH.isoformat(),
    A_BIRTH.strftime("%d/%m/%Y"),
    A_BIRTH.strftime("%d%m%y"),
    f"{A_BIRTH.day + 40}{A_BIRTH:%m%y}",
    "320101",
    "3201",
    "CIBINONG",
    "Melati",
]


def about_one_person(model, paths) -> bool:
    """Whether each row of ``model`` belongs to one participant (a to-one path reaches one):
    searching such a list by a hidden value would pick that person out. Region lists are
    reference data: searching them by their own code narrows regions, not people."""
    for path in paths:
        current, ok = model, True
        for part in path:
            field = current._meta.get_field(part)
            ok = ok and (field.many_to_one or field.one_to_one)
            current = field.related_model
        if ok:
            return True
    return False


def reads_hidden(model, path: str) -> bool:
    """Whether the ORM path ``path`` from ``model`` reads a hidden participant field (the
    test's own walk: forwards and backwards over relations)."""
    for part in path.lstrip("-").split("__"):
        try:
            field = model._meta.get_field(part)
        except Exception:  # a transform or a lookup ends the path
            return False
        if field.auto_created and not field.concrete:
            forward = field.remote_field
            if forward.model is Participant and forward.name in (*DERIVABLE, *SECRET):
                return True
        elif model is Participant and field.name in (*DERIVABLE, *SECRET):
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


@pytest.mark.django_db
def test_no_list_sorts_by_a_hidden_field_for_staff_without_the_full_nik(people):
    """Every column a list shows to such staff, ascending and descending (``?o=``), orders by
    visible fields only; and no list's date hierarchy, filter or search field reads one."""
    factory = RequestFactory()
    found = []
    for role, permissions in ROLES.items():
        officer = staff_with(permissions(), f"urut-{role.replace(' ', '-')}@prakerja.local")
        for model_admin, _paths in changelists():
            model = model_admin.model
            request = factory.get("/")
            request.user = officer
            if not model_admin.has_view_permission(request):
                continue
            columns = model_admin.get_list_display(request)
            for index in range(len(columns) + 1):
                for sign in ("", "-"):
                    request = factory.get("/", {"o": f"{sign}{index}"})
                    request.user = officer
                    changelist = model_admin.get_changelist_instance(request)
                    for part in changelist.get_ordering(request, changelist.root_queryset):
                        name = (
                            part
                            if isinstance(part, str)
                            else str(getattr(part, "expression", part))
                        )
                        if reads_hidden(model, name.replace("F(", "").rstrip(")")):
                            found.append(f"{role} {model_admin} o={sign}{index}: {name}")
            filters = [
                f if isinstance(f, str) else f[0] if isinstance(f, (tuple, list)) else ""
                for f in model_admin.get_list_filter(request)
            ]
            for path in [
                model_admin.date_hierarchy or "",
                *filters,
                *(s.lstrip("^=@") for s in model_admin.get_search_fields(request)),
            ]:
                if path and reads_hidden(model, path):
                    found.append(f"{role} {model_admin}: {path}")
    assert not found, "\n".join(found)


@pytest.mark.django_db(transaction=True)
def test_the_superusers_lookups_on_the_same_fields_narrow_the_participant_list(live_server, people):
    """The lookups above are live ones: the superuser (who holds view_full_nik) narrows the
    participant list with each; the stored secrets filter nothing even for the superuser."""
    a, _b = people
    boss = UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")
    session = admin_http_session(live_server.url, boss, DEFAULT_PASSWORD)
    url = changelist_url(live_server.url, Participant)
    everyone = rows(session.get(url, timeout=30), Participant)
    assert len(everyone) == 2
    not_narrowed, secrets_used, narrowed = [], [], 0
    for field, variants in lookups_for(a).items():
        for suffix, value, narrows in variants:
            answer = session.get(
                f"{url}?{urlencode({field + suffix: value})}", allow_redirects=False, timeout=30
            )
            assert answer.status_code < 500, (field + suffix, answer.status_code)
            if field in SECRET:
                if not refused(answer) and rows(answer, Participant) not in (everyone, frozenset()):
                    secrets_used.append(field + suffix)
            elif refused(answer):
                continue  # not a lookup Django admin accepts (a relation outside list_filter)
            elif narrows and rows(answer, Participant) != {str(a.pk)}:
                not_narrowed.append(f"{field}{suffix}={value}: {answer.status_code}")
            elif narrows:
                narrowed += 1
    assert not not_narrowed, "\n".join(not_narrowed)
    assert narrowed >= 30, narrowed
    assert not secrets_used, secrets_used


@pytest.mark.django_db
def test_the_csv_exports_follow_the_same_policy(client, people):
    """An export by staff who may export but not see the full NIK carries no hidden value; with
    view_full_nik the NIK is whole (and still no birth date, gender, district or address)."""
    a, _b = people
    exporter = staff_with(["reports.export_program_data"], "ekspor@prakerja.local")
    giveaways = [
        a._nik[:6],
        a._nik[6:12],
        A_BIRTH.isoformat(),
        A_BIRTH.strftime("%d/%m/%Y"),
        "CIBINONG",
        "Melati",
    ]
    urls = [
        reverse("reports:export_wave_participants", args=[a.wave.number]),
        reverse("reports:export_installments"),
    ]
    client.force_login(exporter)
    for url in urls:
        body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
        assert a.nik_masked in body, url
        for giveaway in giveaways:
            assert giveaway not in body, (url, giveaway)
    exporter.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    exporter = User.objects.get(pk=exporter.pk)
    client.force_login(exporter)
    body = b"".join(client.get(urls[0]).streaming_content).decode("utf-8-sig")
    assert a._nik in body
    for giveaway in giveaways[2:]:
        assert giveaway not in body, giveaway
