from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrakerjaConfig(AppConfig):
    name = "prakerja"

    def ready(self) -> None:
        from prakerja.permissions import on_post_migrate

        # Connected after django.contrib.auth's own handler (INSTALLED_APPS order), so the
        # permissions it creates exist when they are renamed.
        post_migrate.connect(on_post_migrate, dispatch_uid="prakerja_permission_names")
