from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Peserta"

    def ready(self) -> None:
        from django.apps import apps
        from django.utils.translation import gettext_lazy as _

        # The admin by topic: region reference data (the autocomplete), waves and selection,
        # the blacklist, corrections, the staff second factor, each in its own module.
        from participants import (  # noqa: F401
            admin_blacklist,
            admin_corrections,
            admin_eligibility,
            admin_regions,
            admin_staff_otp,
            admin_waves,
        )

        admin_staff_otp.install()
        # Third-party apps' names on staff pages (not model state: no migration).
        apps.get_app_config("axes").verbose_name = _("Percobaan masuk staf dan peserta")
