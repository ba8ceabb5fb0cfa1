"""Canned replies ("balasan siap pakai") for the common complaint categories.

Data, not a model: the texts change with the program's rules, through a reviewed commit. Each
entry is ``(key, label for the menu, text sent to the complainant)``; keys are stable. A reply
written for one sub-category (``SUBCATEGORY_OF``) is offered only on tickets of that
sub-category; the others of a category fit any of its tickets.
"""

from django.utils.translation import gettext_lazy as _

CANNED_REPLIES: dict[str, list[tuple[str, str, str]]] = {
    "registrasi": [
        (
            "registrasi_nik_terdaftar",
            _("NIK sudah terdaftar: verifikasi kepemilikan"),
            _(
                "Terima kasih atas laporan Anda. NIK Anda tercatat pada akun lain. Mohon balas "
                "email ini dengan foto KTP dan swafoto sambil memegang KTP agar kami dapat "
                "memverifikasi kepemilikan NIK tersebut. Kami tidak pernah meminta OTP atau kata "
                "sandi Anda."
            ),
        ),
        (
            "registrasi_gagal_akun",
            _("Gagal buat akun: coba lagi"),
            _(
                "Terima kasih atas laporan Anda. Gangguan pada pembuatan akun sudah kami "
                "perbaiki. Silakan coba mendaftar kembali dengan email yang sama. Jika masih "
                "gagal, balas email ini dengan tangkapan layar pesan yang muncul."
            ),
        ),
        (
            "registrasi_ktp",
            _("Gagal unggah KTP: ketentuan foto"),
            _(
                "Terima kasih atas laporan Anda. Pastikan foto KTP berformat JPG atau PNG, "
                "berukuran paling besar 2 MB, tidak buram dan seluruh sisi KTP terlihat. Silakan "
                "unggah kembali melalui halaman profil Anda."
            ),
        ),
        (
            "registrasi_langkah",
            _("Registrasi: lanjutkan langkah di dasbor"),
            _(
                "Terima kasih atas laporan Anda. Silakan masuk ke akun Anda dan selesaikan "
                "langkah pendaftaran yang belum dicentang di dasbor. Jika masih gagal, balas "
                "email ini dengan tangkapan layar pesan yang muncul."
            ),
        ),
    ],
    "pembelian": [
        (
            "pembelian_voucher_terbit",
            _("Voucher sudah terbit"),
            _(
                "Terima kasih atas laporan Anda. Pembayaran Anda sudah kami terima dan voucher "
                "pelatihan sudah terbit. Silakan buka halaman Pelatihan Saya atau halaman "
                "platform digital tempat Anda membeli pelatihan."
            ),
        ),
        (
            "pembelian_saldo_kembali",
            _("Pembayaran gagal: saldo dikembalikan"),
            _(
                "Terima kasih atas laporan Anda. Pembayaran tersebut tidak berhasil dan saldo "
                "pelatihan Anda tidak terpotong. Silakan ulangi pembelian melalui platform "
                "digital."
            ),
        ),
    ],
    "insentif": [
        (
            "insentif_jadwal",
            _("Insentif: jadwal pencairan"),
            _(
                "Terima kasih atas laporan Anda. Insentif dicairkan setelah Anda menyelesaikan "
                "pelatihan pertama dan memberi ulasan, lalu dijadwalkan setiap bulan. Jadwal dan "
                "status setiap pembayaran dapat Anda lihat di halaman Riwayat Insentif."
            ),
        ),
        (
            "insentif_rekening",
            _("Insentif gagal: periksa rekening"),
            _(
                "Terima kasih atas laporan Anda. Pencairan insentif Anda gagal karena data "
                "rekening atau e-wallet tidak sesuai. Silakan perbarui nomor rekening pada halaman "
                "Riwayat Insentif; pencairan akan dicoba lagi secara otomatis."
            ),
        ),
    ],
    "kelayakan": [
        (
            "kelayakan_diperiksa",
            _("Keberatan data instansi: sedang diperiksa ke instansi"),
            _(
                "Terima kasih atas keberatan Anda. Kami sedang memeriksa data Anda ke instansi "
                "pemilik daftar. Jika terbukti keliru, kami mencatat pengecualian sehingga daftar "
                "tersebut tidak lagi diterapkan pada Anda, dan Anda dapat bergabung ke gelombang "
                "berikutnya. Kami akan memberi kabar melalui email ini."
            ),
        ),
        (
            "kelayakan_pengecualian",
            _("Keberatan data instansi: pengecualian dicatat"),
            _(
                "Keberatan Anda kami terima: instansi pemilik daftar mengonfirmasi bahwa data Anda "
                "keliru. Kami sudah mencatat pengecualian, sehingga daftar tersebut tidak lagi "
                "diterapkan pada Anda. Silakan bergabung ke gelombang berikutnya dari dasbor."
            ),
        ),
    ],
    "lainnya": [
        (
            "lainnya_diteruskan",
            _("Diteruskan ke tim terkait"),
            _(
                "Terima kasih atas laporan Anda. Pengaduan Anda sudah kami teruskan ke tim "
                "terkait. Kami akan memberi kabar melalui email ini."
            ),
        ),
    ],
}


# Replies written for one sub-category of their category.
SUBCATEGORY_OF = {
    "registrasi_nik_terdaftar": "nik_sudah_terdaftar",
    "registrasi_gagal_akun": "gagal_buat_akun",
    "registrasi_ktp": "gagal_unggah_ktp",
}


def _fitting(category: str, subcategory: str = "") -> list[tuple[str, str, str]]:
    return [
        entry
        for entry in CANNED_REPLIES.get(category, [])
        if SUBCATEGORY_OF.get(entry[0], subcategory) == subcategory
    ]


def canned_choices(category: str, subcategory: str = "") -> list[tuple[str, str]]:
    """The menu for a ticket of ``category`` (and ``subcategory``): (key, label)."""
    return [(key, label) for key, label, _text in _fitting(category, subcategory)]


def canned_text(category: str, key: str, subcategory: str = "") -> str:
    """The text for ``key`` if it fits a ticket of ``category`` (and ``subcategory``); ``""``
    when it does not."""
    for candidate, _label, text in _fitting(category, subcategory):
        if candidate == key:
            return str(text)
    return ""
