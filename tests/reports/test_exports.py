import csv
import io

import pytest
from django.http import StreamingHttpResponse

from complaints import services as complaint_services
from participants.models import Application
from tests.factories import WaveFactory
from tests.reports.conftest import apply, installment, staff_with

pytestmark = pytest.mark.django_db

S = Application.Status


def read_csv(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def wave():
    wave = WaveFactory(number=7)
    apply(wave, nik="3201021506950007")
    apply(wave, status=S.NOT_SELECTED, reason="family_card_limit")
    apply(wave, status=S.SELECTED)
    apply(WaveFactory(number=8))  # another wave's applicant stays out
    return wave


def test_exports_need_the_export_permission(client, wave):
    assert client.get("/admin/laporan/ekspor/peserta/7/").status_code == 302
    client.force_login(staff_with("view_program_dashboard", "view_full_nik"))
    assert client.get("/admin/laporan/ekspor/peserta/7/").status_code == 403
    assert client.get("/admin/laporan/ekspor/pengaduan/").status_code == 403
    assert client.get("/admin/laporan/ekspor/cicilan/").status_code == 403


def test_wave_participants_are_streamed_with_status_and_reason_and_masked_nik(
    client, wave, django_assert_max_num_queries
):
    client.force_login(staff_with("export_program_data"))
    response = client.get("/admin/laporan/ekspor/peserta/7/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="peserta-gelombang-7-' in response["Content-Disposition"]
    with django_assert_max_num_queries(3):
        rows = read_csv(response)
    assert len(rows) == 3
    assert [(r["status_pendaftaran"], r["alasan"]) for r in rows] == [
        ("joined", ""),
        ("not_selected", "family_card_limit"),
        ("selected", ""),
    ]
    assert rows[0]["nik"] == "************0007"
    assert rows[2]["status_peserta"] == "selected"
    assert all("*" in r["nik"] for r in rows)


def test_staff_with_view_full_nik_get_the_full_nik(client, wave):
    client.force_login(staff_with("export_program_data", "view_full_nik"))
    rows = read_csv(client.get("/admin/laporan/ekspor/peserta/7/"))
    assert rows[0]["nik"] == "3201021506950007"
    assert all(len(r["nik"]) == 16 and r["nik"].isdigit() for r in rows)


def test_an_unknown_wave_is_404(client):
    client.force_login(staff_with("export_program_data"))
    assert client.get("/admin/laporan/ekspor/peserta/99/").status_code == 404


def test_complaints_export_neutralises_spreadsheet_formulas(client):
    complaint_services.submit_complaint(
        name='=HYPERLINK("http://jahat")',
        phone="+6281200000000",
        email="a@contoh.id",
        category="registrasi",
        subcategory="gagal_buat_akun",
        description="Tidak bisa membuat akun, muncul galat.",
    )
    client.force_login(staff_with("export_program_data"))
    rows = read_csv(client.get("/admin/laporan/ekspor/pengaduan/"))
    assert len(rows) == 1
    assert rows[0]["nama"].startswith("'=")
    assert rows[0]["kategori"] == "registrasi" and rows[0]["sub_kategori"] == "gagal_buat_akun"
    assert rows[0]["status"] == "baru" and rows[0]["tiket"].startswith("ADU-")


def test_installments_are_exported_with_status_reason_and_masked_nik(client, wave):
    participant = wave.applications.order_by("id").first().participant
    installment(participant, number=1, status="paid")
    installment(participant, number=2, status="failed", reason="account_not_found")
    client.force_login(staff_with("export_program_data"))
    rows = read_csv(client.get("/admin/laporan/ekspor/cicilan/"))
    assert [(r["ke"], r["status"], r["alasan"]) for r in rows] == [
        ("1", "paid", ""),
        ("2", "failed", "account_not_found"),
    ]
    assert rows[0]["nik"] == "************0007" and rows[0]["jumlah_idr"] == "600000"
    failed = read_csv(client.get("/admin/laporan/ekspor/cicilan/", {"status": "failed"}))
    assert [r["ke"] for r in failed] == ["2"]
    assert client.get("/admin/laporan/ekspor/cicilan/", {"status": "nonsense"}).status_code == 404
    client.force_login(staff_with("export_program_data", "view_full_nik"))
    rows = read_csv(client.get("/admin/laporan/ekspor/cicilan/"))
    assert rows[0]["nik"] == "3201021506950007"


def test_exports_give_times_in_wib_and_indonesian_labels_beside_the_codes(client, wave):
    participant = wave.applications.order_by("id").first().participant
    participant.province_id = "32"
    participant.save(update_fields=["province"])
    installment(participant, number=2, status="failed", reason="account_not_found")
    complaint_services.submit_complaint(
        name="Rina",
        phone="+6281200000000",
        email="a@contoh.id",
        category="insentif",
        description="Insentif belum masuk ke rekening saya.",
    )
    client.force_login(staff_with("export_program_data"))

    rows = read_csv(client.get("/admin/laporan/ekspor/peserta/7/"))
    first, not_selected = rows[0], rows[1]
    assert first["gabung"].endswith("+07:00")
    assert first["provinsi"] == "32" and first["nama_provinsi"].lower() == "jawa barat"
    assert first["status_pendaftaran"] == "joined"
    assert first["keterangan_status_pendaftaran"] == str(S.JOINED.label)
    assert not_selected["alasan"] == "family_card_limit"
    assert not_selected["keterangan_alasan"] == str(Application.Reason("family_card_limit").label)
    assert first["keterangan_status_peserta"] != first["status_peserta"]

    complaint = read_csv(client.get("/admin/laporan/ekspor/pengaduan/"))[0]
    assert complaint["dibuat"].endswith("+07:00")
    assert (complaint["kategori"], complaint["keterangan_kategori"]) == ("insentif", "Insentif")
    assert (complaint["status"], complaint["keterangan_status"]) == ("baru", "Baru")

    row = read_csv(client.get("/admin/laporan/ekspor/cicilan/"))[0]
    assert row["jatuh_tempo"].endswith("+07:00")
    assert row["status"] == "failed" and row["keterangan_status"] not in ("", "failed")
    assert row["alasan"] == "account_not_found" and row["keterangan_alasan"] not in (
        "",
        "account_not_found",
    )
