"""The error every rule of the program raises, with a stable code and an Indonesian message."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the program refused an action.

    ``code`` is stable (API responses, tests); ``message`` is Indonesian (for people).
    """

    code = "domain_error"
    message = _("Permintaan tidak dapat diproses.")

    def __init__(self, message: str | None = None, *, code: str | None = None, **context):
        if code is not None:
            self.code = code
        if message is not None:
            self.message = message
        self.context = context
        super().__init__(str(self.message))


class InvalidTransition(DomainError):
    code = "invalid_transition"
    message = _("Perubahan status ini tidak diizinkan.")
