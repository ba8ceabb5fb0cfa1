"""Uploaded files are data, never code.

Every file field names what it accepts (:data:`SCREENSHOT`: PNG or JPEG; :data:`VIDEO`: MP4 or
WebM). An upload is accepted only when its extension *and* its first bytes both say one of those
types, the same one (:func:`check`); the uploaded name is never kept. What is served is checked
again (:func:`serve`): a stored file that fails (an old row, a restore, a file written around
the form) is not served at all, and a file that passes goes out with the type of its content,
``X-Content-Type-Options: nosniff`` and a ``default-src 'none'; style-src 'unsafe-inline';
sandbox`` policy, so no browser runs it as a page or a script from the portal's origin.

A body larger than its route allows is refused with 413 from its ``Content-Length`` before it
is read (:class:`BodySizeLimitMiddleware`): Django would otherwise stream a 300 MB "screenshot"
to a temporary file before the form's size check ever ran.
"""

import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

logger = logging.getLogger(__name__)

HEAD_BYTES = 64


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]  # the first one names stored and served files
    signature: re.Pattern[bytes]  # matched against the first HEAD_BYTES bytes

    def matches(self, head: bytes) -> bool:
        return self.signature.match(head) is not None


PNG = FileType("image/png", ("png",), re.compile(rb"\x89PNG\r\n\x1a\n"))
JPEG = FileType("image/jpeg", ("jpg", "jpeg"), re.compile(rb"\xff\xd8\xff"))
# ISO base media: a box size, then the "ftyp" box. WebM: an EBML header whose DocType is "webm".
MP4 = FileType("video/mp4", ("mp4",), re.compile(rb"....ftyp", re.DOTALL))
WEBM = FileType(
    "video/webm", ("webm",), re.compile(rb"\x1a\x45\xdf\xa3.{0,40}?\x42\x82.webm", re.DOTALL)
)


@dataclass(frozen=True)
class Accepted:
    """What one file field accepts, its size limit (a setting) and its refusal."""

    types: tuple[FileType, ...]
    max_bytes_setting: str
    wrong_type: str

    def max_bytes(self) -> int:
        return getattr(settings, self.max_bytes_setting)


SCREENSHOT = Accepted(
    (PNG, JPEG),
    "COMPLAINT_ATTACHMENT_MAX_BYTES",
    _lazy("Tangkapan layar harus berupa gambar PNG atau JPEG."),
)
VIDEO = Accepted(
    (MP4, WEBM), "ORIENTATION_VIDEO_MAX_BYTES", _lazy("Video harus berupa berkas MP4 atau WebM.")
)
ACCEPTED = {"screenshot": SCREENSHOT, "video": VIDEO}


def _read_head(file) -> bytes:
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    return head


def sniff(head: bytes, accepted: Accepted) -> FileType | None:
    """The accepted type the first bytes ``head`` show, or ``None``."""
    return next((kind for kind in accepted.types if kind.matches(head)), None)


def check(upload, accepted: Accepted) -> FileType:
    """The type of ``upload`` (a Django ``UploadedFile``) when it is within the size limit and its
    extension and content both name the same accepted type. Raises ``ValidationError``
    (Indonesian, codes ``upload_too_large`` and ``upload_wrong_type``)."""
    limit = accepted.max_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("Ukuran berkas maksimal %(limit)s.") % {"limit": filesizeformat(limit)},
            code="upload_too_large",
        )
    extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
    kind = sniff(_read_head(upload), accepted)
    if kind is None or extension not in kind.extensions:
        raise ValidationError(accepted.wrong_type, code="upload_wrong_type")
    return kind


def stored_name(folder: str, upload_name: str) -> str:
    """A fresh name under ``folder`` with the (already checked) extension: the uploaded name
    may carry a path or words meant to mislead, so it is never kept."""
    extension = PurePath(upload_name).suffix.lower()
    return f"{folder}/{uuid.uuid4().hex}{extension}"


@deconstructible
class AcceptedUpload:
    """Model field validator: ``validators=[AcceptedUpload("video")]`` (see :data:`ACCEPTED`).
    A file already stored is checked again when it is served, not on every save."""

    def __init__(self, accepted: str):
        self.accepted = accepted

    def __call__(self, value) -> None:
        if getattr(value, "_committed", True):
            return
        check(value.file, ACCEPTED[self.accepted])

    def __eq__(self, other) -> bool:
        return isinstance(other, AcceptedUpload) and other.accepted == self.accepted


def serve(fieldfile, accepted: Accepted, *, filename: str) -> FileResponse:
    """Serve a stored upload as data (see the module text). ``filename`` is the name the
    browser is given, without extension. Raises ``Http404`` when the file is missing or its
    content is not an accepted type."""
    if not fieldfile:
        raise Http404
    handle = fieldfile.open("rb")
    kind = sniff(_read_head(handle), accepted)
    if kind is None:
        handle.close()
        logger.warning(
            "upload: a stored file failed the content check", extra={"file": fieldfile.name}
        )
        raise Http404
    response = FileResponse(handle, content_type=kind.content_type)
    # Every accepted type is one the browser shows (an image, a video), never runs.
    response["Content-Disposition"] = f'inline; filename="{filename}.{kind.extensions[0]}"'
    response["X-Content-Type-Options"] = "nosniff"
    # The browser shows an image or video opened alone in a document of its own making, styled
    # inline; inline style is all this allows (the body is never HTML: checked above, nosniff).
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- request bodies -----------------------------------------------------------------------------

# Form fields and multipart headers around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


class BodySizeLimitMiddleware:
    """413 for a request whose ``Content-Length`` exceeds its route's limit, before Django reads
    the body: ``UPLOAD_ROUTES`` pairs a path pattern with the setting of the file it carries
    (plus :data:`FORM_OVERHEAD_BYTES`); every other request may carry at most
    ``REQUEST_MAX_BODY_BYTES``. The partner API checks its own limit (a JSON 413)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.routes = [
            (re.compile(pattern), setting) for pattern, setting in settings.UPLOAD_ROUTES
        ]

    def limit_for(self, path: str) -> tuple[int, int]:
        """(the largest body allowed on ``path``, the file size a person is told)."""
        for pattern, setting in self.routes:
            if pattern.match(path):
                file_limit = getattr(settings, setting)
                return file_limit + FORM_OVERHEAD_BYTES, file_limit
        return settings.REQUEST_MAX_BODY_BYTES, settings.REQUEST_MAX_BODY_BYTES

    def __call__(self, request):
        path = request.path_info
        if not path.startswith("/api/partner/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0  # Django reads nothing from a body of unknown length
            allowed, shown = self.limit_for(path)
            if length > allowed:
                return _too_large(request, shown)
        return self.get_response(request)


def _too_large(request, limit: int) -> HttpResponse:
    from participants import refusals

    refusal = refusals.resolve("upload_too_large", context={"limit": filesizeformat(limit)})
    html = render_to_string("413.html", {"refusal": refusal}, request=request)
    # The body is never read; the server closes the connection after this answer.
    return HttpResponse(html, status=413)
