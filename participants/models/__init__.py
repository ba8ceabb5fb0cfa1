"""The person, waves, selection, the card and its balance ledger, and the blacklist: one module
a topic (errors, regions, waves, participant, selection, records, challenges, learning, outbox),
every model importable from here. Accounts stay in this module: migrations name
``participants.models.UserManager``.

Models hold data and invariants (enforced by the database where possible); every write and
state transition lives in ``participants.services``.
"""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from participants.models.challenges import OtpChallenge, PhoneOTP
from participants.models.eligibility import (
    AgencyList,
    EligibilityReview,
    EligibilityReviewEvent,
    ListException,
    RegistryCheck,
)
from participants.models.errors import DomainError, InvalidTransition
from participants.models.learning import (
    BasicTestAttempt,
    BasicTestQuestion,
    OrientationVideo,
    VideoProgress,
)
from participants.models.outbox import PendingRegistrationMail
from participants.models.participant import Participant
from participants.models.records import (
    BlacklistEntry,
    LedgerEntry,
    ParticipantEvent,
    ProfileCorrection,
)
from participants.models.regions import District, Province, Regency
from participants.models.selection import Application, SelectionRun
from participants.models.staff import StaffAuthenticator, StaffRecoveryCodes
from participants.models.waves import Wave, WaveProvinceQuota

__all__ = [
    "AgencyList",
    "Application",
    "BasicTestAttempt",
    "BasicTestQuestion",
    "BlacklistEntry",
    "District",
    "DomainError",
    "EligibilityReview",
    "EligibilityReviewEvent",
    "InvalidTransition",
    "LedgerEntry",
    "ListException",
    "OrientationVideo",
    "OtpChallenge",
    "Participant",
    "ParticipantEvent",
    "PendingRegistrationMail",
    "PhoneOTP",
    "ProfileCorrection",
    "Province",
    "Regency",
    "RegistryCheck",
    "SelectionRun",
    "StaffAuthenticator",
    "StaffRecoveryCodes",
    "User",
    "UserManager",
    "VideoProgress",
    "Wave",
    "WaveProvinceQuota",
]


# --- accounts -----------------------------------------------------------------------------------


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """An account: participants and staff alike log in with their email address."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("nama lengkap"), max_length=150)
    email_verified_at = models.DateTimeField(_("email terverifikasi"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("akun")
        verbose_name_plural = _("akun")
        permissions = [
            ("view_full_nik", _("Dapat melihat NIK lengkap")),
            ("search_full_nik", _("Dapat mencari peserta dengan NIK lengkap")),
        ]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email
