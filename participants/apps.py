from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Peserta"

    def ready(self) -> None:
        # Region reference data for the admin's autocomplete lives in its own module.
        from participants import admin_regions  # noqa: F401
