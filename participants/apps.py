from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Peserta"

    def ready(self) -> None:
        from django.apps import apps
        from django.utils.translation import gettext_lazy as _

        # The admin by topic (participants/admin/): each module registers its model admins.
        from participants.admin import (  # noqa: F401
            blacklist,
            corrections,
            eligibility,
            people,
            regions,
            selection,
            staff_otp,
            waves,
        )

        staff_otp.install()
        # Third-party apps' names on staff pages (not model state: no migration).
        apps.get_app_config("axes").verbose_name = _("Percobaan masuk staf dan peserta")
