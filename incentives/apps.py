from django.apps import AppConfig


class IncentivesConfig(AppConfig):
    name = "incentives"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Insentif"

    def ready(self) -> None:
        # Registers the tasks that lower apps enqueue by name (``incentives.plan_for_participant``)
        # in every process, not only in workers that autodiscover them.
        from incentives import tasks  # noqa: F401
