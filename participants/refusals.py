"""What a person can do after a refusal: one table for every refusal met in the browser.

Each refusal has a stable code: a :class:`~participants.models.DomainError`'s ``code`` (the
services say *what* was refused, in Indonesian), a selection reason
(``Application.Reason``), a payout failure (``incentives.models.Reason``), or a page-level code
(``not_found``, ``rate_limited``, ``login_locked``, ...). :data:`NEXT_STEPS` says, for each one,
what the person can do now (wait until X, fix Y, try again at Z, or complain) and, where a
complaint fits, the complaint form's category to pre-fill (``complaints.forms.TOPIC_CHOICES``).

Pages show a refusal with the ``refusal.html`` template, fed by :func:`resolve` (views),
:func:`form_refusal` (a refusal shown at a form field), :func:`flash` (a refusal carried across a
redirect as a message) or the ``{% refusal "code" %}`` tag (static pages); none of them writes a
next step or a complaint link of its own. Codes live in ``participants`` because every app may
import it (``participants`` <- ``trainings`` <- ``incentives``); the complaint form is reached by
URL name, so ``participants`` does not import ``complaints``.
"""

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from participants.eligibility import sources

# The complaint category of the place where a refusal happened, for refusals that occur in
# several places (an OTP refused on the phone step is a registration matter, on the payout
# account an incentive matter).
AREA = "@area"
AREA_TOPICS = {
    "registrasi": "registrasi:lainnya",
    "pembelian": "pembelian:",
    "insentif": "insentif:",
    "lainnya": "lainnya:",
}


@dataclass(frozen=True)
class NextStep:
    """``text`` may name ``%(...)s`` values: the refusal's own context (``seconds_left``,
    ``attempts_left``, ``retry_at``) and :func:`_setting_values`. ``topic`` is a complaint
    category ("registrasi:nik_sudah_terdaftar"), :data:`AREA`, or "" when no complaint fits;
    ``action`` a (label, URL name) pair for the page that does the next step."""

    text: str
    topic: str = ""
    action: tuple[str, str] | None = None


LOGIN = (_lazy("Masuk"), "login")
RESET = (_lazy("Atur ulang kata sandi"), "password_reset")
DASHBOARD = (_lazy("Ke dasbor"), "dashboard")
DECLARATIONS = (_lazy("Perbarui Pernyataan Pendaftar"), "declarations")
ACCOUNT = (_lazy("Perbarui rekening"), "incentives:account_change")
HISTORY = (_lazy("Riwayat Insentif"), "incentives:history")
IDENTITY = (_lazy("Perbaiki data identitas"), "identity")

_CHECK_KTP = _lazy(
    "Periksa kembali isian sesuai KTP dan Kartu Keluarga, lalu simpan lagi. Jika data Anda "
    "sudah benar tetapi tetap ditolak, ajukan pengaduan."
)
_BLACKLISTED = _lazy(
    "NIK ini tercatat dalam daftar hitam program seumur hidup, sehingga tidak dapat ikut "
    "seleksi. Jika menurut Anda ini keliru, ajukan pengaduan dengan menyebutkan alasannya."
)
_OTP_LOCKED = _lazy(
    "Kode ini tidak dapat dipakai lagi. Minta kode baru lewat tautan di bawah ini (jeda "
    "%(otp_cooldown)s detik antara dua kode), lalu ketik kode dari SMS terbaru. Jika SMS tidak "
    "pernah datang, ajukan pengaduan."
)
_NEXT_WAVE = _lazy(
    "Data Anda tetap tersimpan. Gabung lagi pada gelombang berikutnya tanpa mengisi ulang data; "
    "gelombang yang dibuka tampil di dasbor."
)
_FIX_ACCOUNT = _lazy(
    "Daftarkan rekening BNI atau e-wallet lain yang aktif atas nama Anda sendiri. Insentif yang "
    "gagal dicoba lagi otomatis setelah rekening diperbarui."
)

NEXT_STEPS: dict[str, NextStep] = {
    # --- account, login, email link ---------------------------------------------------------
    "invalid_login": NextStep(
        _lazy(
            "Periksa email dan kata sandi, lalu coba lagi. Setelah %(lock_failures)s kali salah, "
            "akun dikunci %(lock_minutes)s menit. Lupa kata sandi? Atur ulang lewat email."
        ),
        action=RESET,
    ),
    "inactive": NextStep(
        _lazy("Akun ini dinonaktifkan petugas. Ajukan pengaduan agar petugas memeriksanya."),
        topic="registrasi:lainnya",
    ),
    "login_locked": NextStep(
        _lazy(
            "Tunggu %(lock_minutes)s menit, lalu masuk lagi dengan kata sandi yang benar. Lupa "
            "kata sandi? Atur ulang lewat email. Jika bukan Anda yang mencoba masuk, ganti kata "
            "sandi setelah itu dan ajukan pengaduan."
        ),
        topic="lainnya:",
        action=RESET,
    ),
    "upload_too_large": NextStep(
        _lazy(
            "Perkecil berkas menjadi paling besar %(limit)s (misalnya tangkapan layar, bukan "
            "foto kamera atau video), lalu kirim lagi. Jika tetap gagal, ajukan pengaduan tanpa "
            "lampiran."
        ),
        topic="lainnya:",
    ),
    "rate_limited": NextStep(
        _lazy(
            "Tunggu paling lama %(wait)s, lalu coba lagi. Jika Anda terus tertahan di halaman "
            "ini, ajukan pengaduan."
        ),
        topic="lainnya:",
    ),
    "email_link_expired": NextStep(
        _lazy(
            'Masuk dengan email dan kata sandi Anda, lalu tekan "Kirim ulang tautan": tautan '
            "baru berlaku 3 hari."
        ),
        topic="registrasi:gagal_buat_akun",
        action=LOGIN,
    ),
    "email_link_invalid": NextStep(
        _lazy(
            "Buka tautan dari email kami yang terbaru secara utuh (tanpa terpotong). Jika tetap "
            'gagal, masuk lalu tekan "Kirim ulang tautan".'
        ),
        topic="registrasi:gagal_buat_akun",
        action=LOGIN,
    ),
    "reset_link_invalid": NextStep(
        _lazy(
            "Tautan atur ulang kata sandi hanya dapat dipakai sekali. Minta tautan baru, lalu "
            "buka tautan dari email yang terbaru."
        ),
        action=RESET,
    ),
    "email_not_verified": NextStep(
        _lazy("Buka tautan konfirmasi di email Anda, atau minta tautan baru."),
        action=(_lazy("Kirim ulang tautan"), "register_done"),
    ),
    # --- identity (participants.registration: nik, steps.submit_identity) ---------------------
    "nik_format": NextStep(
        _lazy("Ketik 16 digit NIK persis seperti di KTP, tanpa spasi atau titik, lalu simpan lagi.")
    ),
    "nik_province": NextStep(_CHECK_KTP, topic="registrasi:lainnya"),
    "nik_regency": NextStep(_CHECK_KTP, topic="registrasi:lainnya"),
    "nik_serial": NextStep(_CHECK_KTP, topic="registrasi:lainnya"),
    "nik_district_mismatch": NextStep(
        _lazy(
            "Pilih provinsi, kabupaten/kota, dan kecamatan sesuai alamat di KTP: 6 digit pertama "
            "NIK menunjukkan kecamatan tempat NIK diterbitkan. Jika sudah sesuai tetapi tetap "
            "ditolak, ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "nik_birth_date_invalid": NextStep(_CHECK_KTP, topic="registrasi:lainnya"),
    "nik_birth_date_mismatch": NextStep(
        _lazy(
            "Isi tanggal lahir persis seperti di KTP. Jika tanggal di KTP berbeda dari yang "
            "tercatat pada NIK, ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "nik_gender_mismatch": NextStep(
        _lazy(
            "Pilih jenis kelamin sesuai KTP (pada NIK perempuan, tanggal lahir ditambah 40). Jika "
            "sudah sesuai tetapi tetap ditolak, ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    # --- the civil registry's answer (participants.services.registry_checks) -----------------
    "registry_nik_not_found": NextStep(
        _lazy(
            "Periksa 16 digit NIK persis seperti di KTP, lalu simpan lagi. Jika NIK sudah benar, "
            "datangi Dinas Dukcapil setempat untuk memastikan data kependudukan Anda aktif, atau "
            "ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
        action=IDENTITY,
    ),
    "registry_kk_mismatch": NextStep(
        _lazy(
            "Ketik nomor KK dari Kartu Keluarga terbaru Anda, lalu simpan lagi. Jika Kartu "
            "Keluarga baru saja diperbarui, data Dukcapil mungkin belum berubah: tunggu beberapa "
            "hari atau datangi Dinas Dukcapil setempat."
        ),
        topic="registrasi:lainnya",
        action=IDENTITY,
    ),
    "registry_name_mismatch": NextStep(
        _lazy(
            "Ketik nama lengkap persis seperti di KTP (tanpa gelar atau singkatan), lalu simpan "
            "lagi. Jika nama di KTP berbeda dari data Dukcapil, datangi Dinas Dukcapil setempat."
        ),
        topic="registrasi:lainnya",
        action=IDENTITY,
    ),
    "registry_birth_date_mismatch": NextStep(
        _lazy(
            "Isi tanggal lahir persis seperti di KTP, lalu simpan lagi. Jika tanggal di KTP "
            "berbeda dari data Dukcapil, datangi Dinas Dukcapil setempat atau ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
        action=IDENTITY,
    ),
    "kk_format": NextStep(
        _lazy("Ketik 16 digit No. KK persis seperti di Kartu Keluarga, lalu simpan lagi.")
    ),
    "nik_blacklisted": NextStep(_BLACKLISTED, topic="registrasi:lainnya"),
    "nik_taken": NextStep(
        _lazy(
            "NIK ini sudah dipakai akun lain. Jika itu bukan akun Anda, ajukan pengaduan dengan "
            'kategori "NIK sudah terdaftar"; petugas akan memeriksanya. Jika itu akun lama Anda, '
            "masuk dengan akun tersebut atau atur ulang kata sandinya."
        ),
        topic="registrasi:nik_sudah_terdaftar",
    ),
    "family_card_limit": NextStep(
        _lazy(
            "Sudah ada 2 penerima dalam Kartu Keluarga ini, batas program. Jika data itu keliru, "
            "ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "too_young": NextStep(
        _lazy(
            "Program ini untuk usia 18 sampai 64 tahun. Anda dapat ikut setelah berusia 18 tahun. "
            "Jika tanggal lahir Anda tercatat keliru, ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "too_old": NextStep(
        _lazy(
            "Program ini untuk usia 18 sampai 64 tahun. Jika tanggal lahir Anda tercatat keliru, "
            "ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "identity_locked": NextStep(
        _lazy(
            "Data identitas yang sudah terverifikasi tidak dapat Anda ubah sendiri. Jika ada yang "
            "keliru, ajukan pengaduan; petugas dapat mengoreksinya."
        ),
        topic="registrasi:lainnya",
    ),
    # --- phone and every SMS OTP (participants.otp) -----------------------------------------
    "identity_required": NextStep(
        _lazy("Isi data identitas terlebih dahulu."),
        action=(_lazy("Isi data identitas"), "identity"),
    ),
    "phone_invalid": NextStep(
        _lazy("Ketik nomor seluler Indonesia yang aktif, mis. 081234567890, lalu kirim lagi.")
    ),
    "phone_taken": NextStep(
        _lazy(
            "Gunakan nomor HP lain milik Anda. Jika nomor ini memang milik Anda tetapi terdaftar "
            "di akun orang lain, ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "sms_failed": NextStep(
        _lazy(
            "Pastikan HP aktif dan ada sinyal, tunggu beberapa menit, lalu kirim lagi. Jika SMS "
            "tetap tidak datang, ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "too_many_otp_requests": NextStep(
        _lazy(
            "Tunggu %(wait)s, lalu minta kode baru. Kode terakhir yang Anda terima masih dapat "
            "dipakai selama belum kedaluwarsa."
        ),
        topic=AREA,
    ),
    "otp_missing": NextStep(
        _lazy("Minta kode OTP terlebih dahulu."),
        action=(_lazy("Kirim kode OTP"), "phone"),
    ),
    "otp_invalid": NextStep(
        _lazy(
            "Ketik 6 digit kode dari SMS terbaru. Setelah %(otp_attempts)s kali salah, kode "
            "dikunci dan Anda perlu meminta kode baru."
        )
    ),
    "otp_expired": NextStep(
        _lazy(
            "Kode hanya berlaku %(otp_minutes)s menit. Minta kode baru lewat tautan di bawah ini, "
            "lalu ketik dalam %(otp_minutes)s menit."
        )
    ),
    "otp_locked": NextStep(_OTP_LOCKED, topic=AREA),
    # --- declarations and the basic test -----------------------------------------------------
    "phone_required": NextStep(
        _lazy("Verifikasi nomor HP terlebih dahulu."),
        action=(_lazy("Verifikasi nomor HP"), "phone"),
    ),
    "declarations_locked": NextStep(
        _lazy(
            "Tunggu pengumuman gelombang yang Anda ikuti. Setelah itu pernyataan dapat "
            "diperbarui sebelum bergabung ke gelombang berikutnya."
        ),
        action=DASHBOARD,
    ),
    "declarations_required": NextStep(
        _lazy("Isi Pernyataan Pendaftar terlebih dahulu, lalu mulai tes."),
        action=(_lazy("Isi Pernyataan Pendaftar"), "declarations"),
    ),
    "test_already_passed": NextStep(
        _lazy("Tidak perlu mengulang. Gabung ke gelombang yang dibuka dari dasbor."),
        action=DASHBOARD,
    ),
    "test_retry_later": NextStep(
        _lazy(
            "Pelajari lagi soal-soal tentang motivasi kerja dan kemampuan dasar, lalu kembali ke "
            "halaman ini mulai %(retry_at)s untuk mengulang tes."
        )
    ),
    "test_failed": NextStep(
        _lazy(
            "Anda dapat mengulang tes mulai %(retry_at)s. Jika menurut Anda penilaiannya keliru, "
            "ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "test_late": NextStep(
        _lazy(
            "Kirim jawaban sebelum waktu habis (%(test_minutes)s menit sejak tes dimulai). Anda "
            "dapat mengulang tes mulai %(retry_at)s."
        )
    ),
    "test_submitted": NextStep(
        _lazy("Jawaban Anda sudah dinilai; hasilnya tampil di halaman tes."),
        action=(_lazy("Lihat hasil tes"), "basic_test"),
    ),
    "question_bank_too_small": NextStep(
        _lazy("Coba lagi beberapa jam lagi. Jika besok masih terjadi, ajukan pengaduan."),
        topic="registrasi:lainnya",
    ),
    # --- joining a wave (participants.waves.joining.join_wave) -----------------------------------
    "wave_not_open": NextStep(
        _lazy(
            "Gelombang ini sudah ditutup atau belum dibuka. Gabung ke gelombang yang sedang "
            "dibuka di dasbor, atau tunggu pengumuman gelombang berikutnya."
        ),
        action=DASHBOARD,
    ),
    "profile_incomplete": NextStep(
        _lazy(
            'Selesaikan langkah pendaftaran yang belum dicentang di dasbor, lalu tekan "Gabung" '
            "lagi."
        ),
        action=DASHBOARD,
    ),
    "blacklisted": NextStep(_BLACKLISTED, topic="lainnya:"),
    "already_participant": NextStep(
        _lazy(
            "Kartu Prakerja hanya dapat diterima sekali seumur hidup, jadi Anda tidak dapat ikut "
            "seleksi lagi. Jika Anda belum pernah menerimanya, ajukan pengaduan."
        ),
        topic="registrasi:lainnya",
    ),
    "already_joined": NextStep(
        _lazy(
            "Anda tidak perlu bergabung lagi. Tunggu pengumuman hasil seleksi lewat SMS, email, "
            "dan dasbor."
        ),
        action=DASHBOARD,
    ),
    "already_waiting": NextStep(
        _lazy(
            "Tunggu pengumuman gelombang yang sudah Anda ikuti. Jika belum berhasil, Anda dapat "
            "bergabung ke gelombang berikutnya."
        ),
        action=DASHBOARD,
    ),
    # --- selection reasons (Application.Reason), shown as "Belum berhasil" -------------------
    "student": NextStep(
        _lazy(
            "Jika Anda sudah tidak menempuh pendidikan formal, perbarui Pernyataan Pendaftar, "
            "lalu gabung ke gelombang berikutnya."
        ),
        topic="registrasi:lainnya",
        action=DECLARATIONS,
    ),
    "civil_servant": NextStep(
        _lazy(
            "Jika Anda sudah tidak berstatus ASN, TNI, Polri, perangkat desa, anggota DPR/DPRD, "
            "atau direksi/komisaris BUMN/BUMD, perbarui Pernyataan Pendaftar, lalu gabung ke "
            "gelombang berikutnya."
        ),
        topic="registrasi:lainnya",
        action=DECLARATIONS,
    ),
    "other_social_aid": NextStep(
        _lazy(
            "Jika Anda sudah tidak menerima bantuan sosial lain, perbarui Pernyataan Pendaftar, "
            "lalu gabung ke gelombang berikutnya."
        ),
        topic="registrasi:lainnya",
        action=DECLARATIONS,
    ),
    "identity_not_verified": NextStep(
        _lazy(
            "Saat seleksi, data identitas Anda belum terverifikasi dengan data Dukcapil. Lihat "
            "status verifikasinya di dasbor; setelah sesuai, gabung lagi ke gelombang berikutnya "
            "tanpa mengisi ulang data."
        ),
        topic="registrasi:lainnya",
        action=DASHBOARD,
    ),
    **{
        rule.reason_code: NextStep(
            _lazy(
                "Jika data ini keliru (Anda tidak pernah atau sudah tidak lagi tercantum), ajukan "
                "keberatan lewat pengaduan; kategorinya sudah terisi. Petugas memeriksanya ke "
                "%(agency)s dan, bila terbukti keliru, mencatat pengecualian agar Anda dapat ikut "
                "gelombang berikutnya."
            )
            % {"agency": rule.agency},
            topic=f"kelayakan:{rule.source}",
        )
        for rule in sources.RULES.values()
        if rule.reason_code
    },
    "outside_quota_region": NextStep(_NEXT_WAVE, action=DASHBOARD),
    "quota_full": NextStep(_NEXT_WAVE, action=DASHBOARD),
    # --- orientation (participants.cards.orientation) --------------------------------------------
    "not_selected": NextStep(
        _lazy("Video pengenalan dibuka setelah Anda lolos seleksi. Lihat status Anda di dasbor."),
        action=DASHBOARD,
    ),
    "video_out_of_order": NextStep(
        _lazy("Tonton video sebelumnya sampai selesai, lalu putar video ini.")
    ),
    "video_not_started": NextStep(_lazy('Tekan "Putar video" dan tonton dari awal.')),
    "video_not_finished": NextStep(
        _lazy(
            'Tekan "Putar video" dan tonton sampai selesai tanpa dilompati atau dipercepat. Jika '
            "video tidak dapat diputar sampai selesai, ajukan pengaduan."
        ),
        topic="lainnya:",
    ),
    # --- buying a training (the card checks of participants.services) -------------------------
    "card_revoked": NextStep(
        _lazy(
            "Kartu ini tidak dapat dipakai lagi. Alasan dan dasar hukumnya ada di dasbor. Jika "
            "menurut Anda keputusan ini keliru, ajukan pengaduan."
        ),
        topic="lainnya:",
        action=DASHBOARD,
    ),
    "card_frozen": NextStep(
        _lazy(
            "Tunggu hasil pemeriksaan petugas; saldo Anda tidak hilang. Untuk menjelaskan atau "
            "mengajukan keberatan, ajukan pengaduan."
        ),
        topic="lainnya:",
    ),
    "payout_password_locked": NextStep(
        _lazy(
            "Tunggu %(wait)s, lalu coba lagi dengan kata sandi akun Anda. Lupa kata sandi? Atur "
            "ulang lewat email. Jika bukan Anda yang mencoba, ganti kata sandi dan ajukan "
            "pengaduan."
        ),
        topic="insentif:",
        action=RESET,
    ),
    "payout_account_revoked": NextStep(
        _lazy(
            "Insentif tidak dibayarkan kepada peserta yang kepesertaannya dicabut. Alasan dan "
            "dasar hukumnya ada di dasbor. Jika menurut Anda keputusan ini keliru, ajukan "
            "pengaduan."
        ),
        topic="insentif:",
        action=DASHBOARD,
    ),
    "payout_account_frozen": NextStep(
        _lazy(
            "Tunggu hasil pemeriksaan petugas; setelah pembekuan dibuka, ubah rekening di halaman "
            "ini. Untuk menjelaskan atau mengajukan keberatan, ajukan pengaduan."
        ),
        topic="insentif:",
    ),
    "card_not_active": NextStep(
        _lazy("Tonton ketiga video pengenalan; setelah itu nomor kartu aktif untuk membeli."),
        action=(_lazy("Tonton video pengenalan"), "orientation"),
    ),
    "balance_expired": NextStep(
        _lazy(
            "Saldo yang sudah kedaluwarsa tidak dapat dipulihkan. Pelatihan yang sudah dibeli "
            "tetap dapat diselesaikan. Jika menurut Anda saldo kedaluwarsa keliru, ajukan "
            "pengaduan."
        ),
        topic="pembelian:",
    ),
    "not_yet_selected": NextStep(
        _lazy(
            "Nomor Kartu Prakerja diberikan kepada peserta yang lolos seleksi gelombang, setelah "
            "menonton video pengenalan. Sementara itu Anda dapat melihat pelatihan dan harganya "
            "di sini; langkah Anda berikutnya tampil di dasbor."
        ),
        action=DASHBOARD,
    ),
    "program_finished": NextStep(
        _lazy(
            "Semua insentif Anda sudah dibayarkan dan kartu tidak dipakai lagi untuk membeli "
            "pelatihan. Sertifikat tetap dapat dilihat di Pelatihan Saya."
        ),
        action=(_lazy("Pelatihan Saya"), "trainings:my_trainings"),
    ),
    "insufficient_balance": NextStep(
        _lazy("Pilih pelatihan yang harganya tidak melebihi sisa saldo Anda.")
    ),
    "first_training_not_completed": NextStep(
        _lazy(
            "Selesaikan pelatihan yang sudah Anda beli; setelah lembaga pelatihan melaporkannya "
            "selesai, Anda dapat membeli pelatihan berikutnya."
        ),
        action=(_lazy("Pelatihan Saya"), "trainings:my_trainings"),
    ),
    # --- review (trainings.services.vouchers.submit_review) ----------------------------------
    "invalid_request": NextStep(_lazy("Periksa kembali isian Anda, lalu kirim lagi.")),
    "training_not_completed": NextStep(
        _lazy(
            "Ulasan dapat diberikan setelah lembaga pelatihan melaporkan pelatihan Anda selesai. "
            "Jika sudah selesai tetapi belum tercatat, ajukan pengaduan."
        ),
        topic="pembelian:",
    ),
    "review_already_submitted": NextStep(
        _lazy("Ulasan Anda sudah tercatat; tidak perlu dikirim lagi.")
    ),
    # --- incentives: surveys, the payout account and payouts ---------------------------------
    "survey_not_open": NextStep(
        _lazy(
            "Survei pertama dibuka 30 hari setelah insentif pertama dibayarkan, dan tiap survei "
            "berikutnya setelah survei sebelumnya diisi. Tanggalnya tampil di Riwayat Insentif."
        ),
        action=HISTORY,
    ),
    "survey_already_completed": NextStep(
        _lazy("Tidak perlu mengisi lagi. Insentif survei tampil di Riwayat Insentif."),
        action=HISTORY,
    ),
    "wrong_password": NextStep(
        _lazy(
            "Ketik kata sandi yang Anda pakai untuk masuk ke portal ini. Lupa? Atur ulang kata "
            "sandi lewat email, lalu ulangi."
        ),
        action=RESET,
    ),
    "invalid_account_number": NextStep(
        _lazy("Ketik 10 angka nomor rekening BNI tanpa spasi, atau pilih e-wallet.")
    ),
    "ewallet_not_own_phone": NextStep(
        _lazy(
            "E-wallet harus terdaftar atas nomor HP Anda di portal ini. Gunakan nomor itu, atau "
            "pilih rekening BNI atas nama Anda."
        ),
        topic="insentif:",
    ),
    "account_closed": NextStep(_FIX_ACCOUNT, topic="insentif:", action=ACCOUNT),
    "account_not_found": NextStep(
        _lazy(
            "Periksa nomor rekening atau e-wallet, lalu perbarui rekening. Insentif yang gagal "
            "dicoba lagi otomatis."
        ),
        topic="insentif:",
        action=ACCOUNT,
    ),
    "name_mismatch": NextStep(
        _lazy(
            "Nama pemilik rekening harus sama dengan nama Anda sesuai KTP. Perbarui rekening "
            "dengan nama yang sama persis, atau daftarkan rekening atas nama Anda."
        ),
        topic="insentif:",
        action=ACCOUNT,
    ),
    "ewallet_not_premium": NextStep(
        _lazy(
            "Tingkatkan akun e-wallet Anda ke premium di aplikasinya, atau daftarkan rekening "
            "lain. Insentif yang gagal dicoba lagi otomatis."
        ),
        topic="insentif:",
        action=ACCOUNT,
    ),
    "no_account": NextStep(
        _lazy("Daftarkan rekening BNI atau e-wallet atas nama Anda untuk menerima insentif."),
        topic="insentif:",
        action=ACCOUNT,
    ),
    # --- complaints and plain pages ------------------------------------------------------------
    "complaint_rate_limited": NextStep(
        _lazy(
            "Tunggu %(wait)s, lalu kirim lagi. Pengaduan yang sudah terkirim tetap diproses: "
            "pantau statusnya lewat tautan di email atau di menu Pengaduan."
        )
    ),
    "tracking_link_invalid": NextStep(
        _lazy(
            "Tautan pelacakan berlaku 30 hari. Buka tautan di email balasan petugas yang terbaru, "
            "atau ajukan pengaduan baru dengan menyebutkan nomor tiket Anda."
        ),
        topic="lainnya:",
    ),
    "not_found": NextStep(
        _lazy(
            "Periksa alamatnya, atau buka menu dari Beranda. Jika Anda membuka tautan dari SMS "
            "atau email kami, ajukan pengaduan dan sebutkan tautannya."
        ),
        topic="lainnya:",
    ),
    "csrf_failed": NextStep(
        _lazy(
            "Kembali ke halaman sebelumnya, muat ulang halamannya, lalu isi dan kirim lagi. "
            "Pastikan peramban Anda mengizinkan cookie untuk situs ini."
        ),
        topic="lainnya:",
    ),
    "forbidden": NextStep(
        _lazy(
            "Kembali ke Beranda dan buka halaman dari menu. Jika menurut Anda seharusnya dapat "
            "membukanya, ajukan pengaduan."
        ),
        topic="lainnya:",
    ),
}

GENERIC = NextStep(
    _lazy("Periksa kembali isian Anda, lalu coba lagi. Jika tetap ditolak, ajukan pengaduan."),
    topic=AREA,
)


@dataclass(frozen=True)
class Refusal:
    """What ``refusal.html`` shows: the refusal (``message``; empty when the page already shows
    it at a form field), the next step, and the complaint link where a complaint fits."""

    code: str
    message: str
    next_step: str
    complaint_url: str = ""
    action_label: str = ""
    action_url: str = ""


def complaint_url(topic: str) -> str:
    """The complaint form with its category pre-filled (``?kategori=``, read by
    ``complaints.views.file_complaint``); the only place that builds this link."""
    return reverse("complaints:file") + "?" + urlencode({"kategori": topic})


def rate_window_text(rate: str) -> str:
    """How long a django-ratelimit window lasts, in words: "5/h" -> "1 jam", "10/m" ->
    "1 menit", "3/15m" -> "15 menit"."""
    match = re.fullmatch(r"\s*\d+\s*/\s*(\d*)\s*([smhd])\s*", rate or "")
    if not match:
        return _("beberapa menit")
    count, unit = int(match.group(1) or 1), match.group(2)
    seconds = count * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    return duration_text(seconds)


def duration_text(seconds: float) -> str:
    seconds = max(int(seconds), 1)
    if seconds < 60:
        return _("%(n)d detik") % {"n": seconds}
    if seconds < 3600:
        return _("%(n)d menit") % {"n": -(-seconds // 60)}
    return _("%(n)d jam") % {"n": -(-seconds // 3600)}


def _setting_values() -> dict:
    return {
        "wait": _("beberapa menit"),
        "limit": filesizeformat(settings.COMPLAINT_ATTACHMENT_MAX_BYTES),
        "retry_at": _("%(n)d jam setelah percobaan terakhir")
        % {"n": settings.BASIC_TEST_RETRY_HOURS},
        "lock_failures": settings.AXES_FAILURE_LIMIT,
        "lock_minutes": round(settings.AXES_COOLOFF_TIME * 60),
        "otp_attempts": settings.OTP_MAX_ATTEMPTS,
        "otp_minutes": settings.OTP_TTL_SECONDS // 60,
        "otp_cooldown": settings.OTP_RESEND_COOLDOWN_SECONDS,
        "test_minutes": settings.BASIC_TEST_MINUTES,
    }


def _context_values(context: dict) -> dict:
    values = {key: value for key, value in context.items() if value is not None}
    if "seconds_left" in values:
        values["wait"] = duration_text(values["seconds_left"])
    if isinstance(values.get("retry_at"), dt.datetime):
        local = timezone.localtime(values["retry_at"])
        values["retry_at"] = f"{local:%d-%m-%Y %H:%M} WIB"
    return values


def next_step(code: str) -> NextStep:
    """The table's entry for ``code`` (a generic one for a code it does not know)."""
    return NEXT_STEPS.get(code, GENERIC)


def resolve(
    code: str, *, message: str = "", area: str = "lainnya", context: dict | None = None
) -> Refusal:
    """The refusal ``code`` as a page shows it. ``area`` ("registrasi", "pembelian",
    "insentif", "lainnya") gives the complaint category of refusals that happen in several
    places; ``context`` fills the next step's values (a DomainError's own context)."""
    step = next_step(code)
    values = {**_setting_values(), **_context_values(context or {})}
    topic = AREA_TOPICS[area] if step.topic == AREA else step.topic
    label, url_name = step.action or ("", "")
    return Refusal(
        code=code,
        message=str(message),
        next_step=str(step.text) % values if "%(" in str(step.text) else str(step.text),
        complaint_url=complaint_url(topic) if topic else "",
        action_label=str(label),
        action_url=reverse(url_name) if url_name else "",
    )


def of_error(error, *, area: str = "lainnya", show_message: bool = True) -> Refusal:
    """:func:`resolve` for a :class:`~participants.models.DomainError`."""
    return resolve(
        error.code,
        message=str(error.message) if show_message else "",
        area=area,
        context=error.context,
    )


def form_refusal(form, field: str | None, error, *, area: str = "lainnya") -> Refusal:
    """Show ``error`` at ``field`` of ``form`` (None: above the fields) and return its next step
    for the page's ``refusal.html`` (without repeating the message)."""
    form.add_error(field, str(error.message))
    return of_error(error, area=area, show_message=False)


def render(refusal: Refusal, *, flash: bool = False) -> str:
    return render_to_string("refusal.html", {"refusal": refusal, "flash": flash})


def flash(request: HttpRequest, refusal: Refusal) -> None:
    """Carry ``refusal`` across a redirect: an error message rendered by ``refusal.html``."""
    messages.error(request, mark_safe(render(refusal, flash=True)))  # noqa: S308 (autoescaped)
