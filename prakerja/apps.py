from django.apps import AppConfig, apps
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the staff site (second factor, visibility policy) as ``admin.site``,
    so every ``admin.register`` in every app registers there."""

    default = False  # PrakerjaConfig stays this module's default
    default_site = "prakerja.admin_site.StaffAdminSite"


class PrakerjaConfig(AppConfig):
    name = "prakerja"

    def ready(self) -> None:
        from django.contrib import admin
        from django.core.signals import request_finished

        from prakerja import login_limits  # noqa: F401  (connects its signal receiver)
        from prakerja.logcontext import forget_request
        from prakerja.permissions import on_post_migrate

        request_finished.connect(forget_request, dispatch_uid="prakerja_forget_request")

        # Connected after django.contrib.auth's own handler (INSTALLED_APPS order), so the
        # permissions it creates exist when they are renamed.
        post_migrate.connect(on_post_migrate, dispatch_uid="prakerja_permission_names")
        # The beat schedule is code (CELERY_BEAT_SCHEDULE; prakerja/beat.py): an edit made in the
        # admin would be overwritten at beat's next start, and staff run jobs by operator
        # commands, so django-celery-beat's English admin pages are not shown. The admin's own
        # ready() (first in INSTALLED_APPS) has already registered them.
        for model in apps.get_app_config("django_celery_beat").get_models():
            if admin.site.is_registered(model):
                admin.site.unregister(model)
