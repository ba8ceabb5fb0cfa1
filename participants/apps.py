from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Peserta"

    def ready(self) -> None:
        # The admin by topic: region reference data (the autocomplete), waves and selection,
        # the blacklist, each in its own module.
        from participants import (  # noqa: F401
            admin_blacklist,
            admin_corrections,
            admin_eligibility,
            admin_regions,
            admin_waves,
        )
