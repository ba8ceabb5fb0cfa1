"""URL configuration: wires the apps together and nothing else."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from prakerja import views
from prakerja.metrics import views as metrics_views
from trainings.api import api as partner_api

# admin.site is prakerja.admin_site.StaffAdminSite (prakerja.apps.StaffAdminConfig): every staff
# login asks for a TOTP token or a recovery code (django-otp).

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics_views.metrics, name="metrics"),
    path("admin/laporan/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("", include("participants.urls")),
    path("", include("trainings.urls")),
    path("", include("incentives.urls")),
    path("api/partner/v1/", partner_api.urls),
    path("", include("complaints.urls")),
]

if settings.SANDBOX:
    urlpatterns.append(path("sandbox/", include("sandbox.urls")))
