from django.apps import AppConfig


class TrainingsConfig(AppConfig):
    name = "trainings"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Pelatihan"

    def ready(self) -> None:
        # The money-path admin (payments, vouchers, credentials, ledger) lives in its own module.
        from trainings import admin_partner  # noqa: F401
