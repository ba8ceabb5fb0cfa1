"""The state's lists imported by staff: only keyed NIK hashes are stored, a new version replaces
the old atomically, a bad file changes nothing, and the command and the admin page do the same
(docs/eligibility.md, "The lists")."""

import datetime as dt
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from participants.eligibility import lists
from participants.eligibility.sources import Source
from participants.models import AgencyList
from prakerja import crypto
from tests.factories import UserFactory
from tests.staff import staff_with

pytestmark = pytest.mark.django_db

NIKS = ["3201011506950001", "3201011506950002", "3174014101900003"]


def csv_of(niks, *, header=True, newline="\n") -> bytes:
    lines = (["nik,nama"] if header else []) + [f"{nik},Orang {i}" for i, nik in enumerate(niks)]
    return (newline.join(lines) + newline).encode()


def stored_hashes(source: str) -> list[str]:
    """The hashes of ``source``'s version in force."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.nik_hash FROM participants_agencylistentry e"
            " JOIN participants_agencylist l ON l.id = e.list_id"
            " WHERE l.source = %s AND l.status = 'active' ORDER BY 1",
            [source],
        )
        return [row[0] for row in cursor.fetchall()]


def rows_by_version() -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT list_id, count(*) FROM participants_agencylistentry GROUP BY 1")
        return dict(cursor.fetchall())


def do_import(source=Source.BSU, data=None, **kwargs) -> AgencyList:
    kwargs.setdefault("list_date", dt.date(2026, 11, 1))
    kwargs.setdefault("valid_until", dt.date(2027, 4, 30))
    result = lists.import_list(source=source, stream=io.BytesIO(data or csv_of(NIKS)), **kwargs)
    return result.agency_list


def test_the_bulk_hash_is_the_projects_keyed_nik_hash():
    hasher = crypto.bulk_keyed_hasher()
    for nik in NIKS:
        assert hasher(nik.encode()) == crypto.keyed_hash(nik)


def test_an_import_stores_only_keyed_hashes_with_source_and_version():
    imported = do_import()
    assert (imported.source, imported.version, imported.rows) == ("bsu", 1, 3)
    assert imported.status == AgencyList.Status.ACTIVE
    assert (imported.list_date, imported.valid_until) == (
        dt.date(2026, 11, 1),
        dt.date(2027, 4, 30),
    )
    assert stored_hashes("bsu") == sorted(crypto.keyed_hash(nik) for nik in NIKS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM participants_agencylistentry")
        text = repr(cursor.fetchall())
    assert not any(nik in text for nik in NIKS)


@pytest.mark.parametrize(
    "data",
    [
        csv_of(NIKS, header=False),
        csv_of(NIKS, newline="\r\n"),
        ("NIK\n" + "\n".join(f'"{n}"' for n in NIKS) + "\n").encode(),
        ("\n".join(NIKS)).encode(),  # no newline at the end
        ("\ufeffnik\n" + "\n".join(NIKS) + "\n\n").encode(),  # BOM and a blank last line
    ],
    ids=["no-header", "crlf", "quoted", "no-final-newline", "bom-blank-line"],
)
def test_common_csv_shapes_import_the_same_hashes(data):
    assert do_import(data=data).rows == 3
    assert stored_hashes("bsu") == sorted(crypto.keyed_hash(nik) for nik in NIKS)


def test_a_new_version_replaces_the_old_atomically_and_its_rows_are_purged_after():
    first = do_import()
    second = do_import(data=csv_of(["3201011506950009"]), list_date=dt.date(2026, 12, 1))
    first.refresh_from_db()
    assert first.status == AgencyList.Status.REPLACED and first.replaced_at is not None
    assert (second.version, second.status) == (2, AgencyList.Status.ACTIVE)
    assert stored_hashes("bsu") == [crypto.keyed_hash("3201011506950009")]
    # The replaced version's rows go after the commit (a queued task): readers no longer see them.
    assert rows_by_version() == {first.pk: 3, second.pk: 1}
    assert lists.purge_replaced() == 3
    assert rows_by_version() == {second.pk: 1}
    first.refresh_from_db()
    assert first.purged_at is not None
    assert lists.purge_replaced() == 0


def test_an_import_queues_the_purge_and_the_recheck_after_its_commit(
    django_capture_on_commit_callbacks,
):
    do_import()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_import(data=csv_of(["3201011506950009"]))
    assert len(callbacks) == 2
    assert len(rows_by_version()) == 1  # purged by the queued task


def test_each_source_keeps_its_own_list():
    do_import(Source.BSU)
    do_import(Source.ASN, data=csv_of(["3201011506950009"]))
    assert len(stored_hashes("bsu")) == 3
    assert stored_hashes("asn") == [crypto.keyed_hash("3201011506950009")]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"nik\n3201011506950001\n32010115069500\n", 3),
        (b"3201011506950001\n320101150695000X\n", 2),
    ],
    ids=["short", "letter"],
)
def test_a_bad_line_refuses_the_whole_file_and_keeps_the_old_version(data, line):
    first = do_import()
    with pytest.raises(lists.ListRefused) as exc:
        do_import(data=data)
    assert exc.value.code == "list_line_invalid"
    assert f"baris {line}" in str(exc.value.message)
    first.refresh_from_db()
    assert first.status == AgencyList.Status.ACTIVE
    assert AgencyList.objects.count() == 1
    assert rows_by_version() == {first.pk: 3}
    assert len(stored_hashes("bsu")) == 3


def test_an_empty_file_is_refused():
    with pytest.raises(lists.ListRefused) as exc:
        do_import(data=b"nik\n")
    assert exc.value.code == "list_empty"
    assert not AgencyList.objects.exists()


def test_validity_before_the_list_date_is_refused():
    with pytest.raises(lists.ListRefused) as exc:
        do_import(list_date=dt.date(2026, 11, 1), valid_until=dt.date(2026, 10, 1))
    assert exc.value.code == "list_validity_invalid"


def test_an_unknown_source_is_refused():
    with pytest.raises(lists.ListRefused) as exc:
        do_import(source="pns")
    assert exc.value.code == "list_source_unknown"


# --- the operator command ---------------------------------------------------------------------


def test_the_command_imports_and_prints_one_summary_line(tmp_path):
    path = tmp_path / "bsu.csv"
    path.write_bytes(csv_of(NIKS))
    out = io.StringIO()
    call_command(
        "import_exclusion_list",
        "bsu",
        str(path),
        "--list-date",
        "2026-11-01",
        "--valid-until",
        "2027-04-30",
        stdout=out,
    )
    line = out.getvalue().strip()
    assert "\n" not in line
    assert line.startswith("import_exclusion_list: source=bsu version=1 rows=3 replaced_version=-")
    assert "list_date=2026-11-01 valid_until=2027-04-30" in line
    assert stored_hashes("bsu") == sorted(crypto.keyed_hash(nik) for nik in NIKS)


def test_the_command_fails_with_a_non_zero_exit_and_the_reason(tmp_path):
    path = tmp_path / "bsu.csv"
    path.write_bytes(b"nik\n123\n")
    with pytest.raises(CommandError, match="baris 2"):
        call_command("import_exclusion_list", "bsu", str(path), stdout=io.StringIO())
    assert not AgencyList.objects.exists()


def test_the_command_dry_run_leaves_nothing(tmp_path):
    path = tmp_path / "bsu.csv"
    path.write_bytes(csv_of(NIKS))
    out = io.StringIO()
    call_command("import_exclusion_list", "bsu", str(path), "--dry-run", stdout=out)
    assert "rows=3" in out.getvalue() and "dry_run=1" in out.getvalue()
    assert not AgencyList.objects.exists()
    assert rows_by_version() == {}


# --- the admin page -----------------------------------------------------------------------------


@pytest.fixture(params=["superuser", "officer"])
def staff(request):
    if request.param == "superuser":
        return UserFactory(is_staff=True, is_superuser=True, email="kepala@prakerja.local")
    return staff_with(lists.LIST_OFFICER_PERMISSIONS, "daftar@prakerja.local")


def test_staff_import_a_list_through_the_admin_page(client, staff):
    client.force_login(staff)
    url = reverse("admin:participants_agencylist_import")
    page = client.get(url)
    assert page.status_code == 200
    assert "Impor daftar instansi" in page.content.decode()
    response = client.post(
        url,
        {
            "source": "bsu",
            "list_date": "2026-11-01",
            "valid_until": "2027-04-30",
            "file": SimpleUploadedFile("bsu-nov.csv", csv_of(NIKS), content_type="text/csv"),
        },
        follow=True,
    )
    body = response.content.decode()
    assert "3 NIK" in body
    imported = AgencyList.objects.get()
    assert (imported.source, imported.rows, imported.file_name) == ("bsu", 3, "bsu-nov.csv")
    assert imported.imported_by == staff
    # The list of versions shows it.
    changelist = client.get(reverse("admin:participants_agencylist_changelist")).content.decode()
    assert "bsu-nov.csv" in changelist


def test_a_bad_file_in_the_admin_says_which_line_and_imports_nothing(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:participants_agencylist_import"),
        {
            "source": "asn",
            "list_date": "2026-11-01",
            "valid_until": "2027-04-30",
            "file": SimpleUploadedFile("asn.csv", b"nik\n12345\n", content_type="text/csv"),
        },
    )
    assert response.status_code == 200
    assert "baris 2" in response.content.decode()
    assert not AgencyList.objects.exists()


def test_staff_without_the_import_permission_cannot_open_the_page(client):
    viewer = UserFactory(is_staff=True, email="lihat@prakerja.local")
    viewer.user_permissions.add(Permission.objects.get(codename="view_agencylist"))
    client.force_login(viewer)
    assert client.get(reverse("admin:participants_agencylist_import")).status_code == 403
