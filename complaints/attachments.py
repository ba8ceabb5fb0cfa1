"""Checking complaint screenshots by their content, not by the name or type the browser sends."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def sniff_image_type(head: bytes) -> str | None:
    """The MIME type of a PNG or JPEG from its first bytes, or ``None`` for anything else."""
    if head.startswith(PNG_MAGIC):
        return "image/png"
    if head.startswith(JPEG_MAGIC):
        return "image/jpeg"
    return None


def check_attachment(upload) -> str:
    """Return the sniffed MIME type of an uploaded screenshot.

    Raises ``ValidationError`` (Indonesian) when it is larger than
    ``COMPLAINT_ATTACHMENT_MAX_BYTES`` or is not a PNG or JPEG image by content.
    """
    limit = settings.COMPLAINT_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("Ukuran berkas maksimal %(limit)s.") % {"limit": filesizeformat(limit)},
            code="attachment_too_big",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff_image_type(head)
    if kind is None:
        raise ValidationError(
            _("Tangkapan layar harus berupa gambar PNG atau JPEG."), code="attachment_wrong_type"
        )
    return kind
