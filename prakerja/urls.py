"""URL configuration: wires the apps together and nothing else."""

from django.contrib import admin
from django.urls import include, path

from prakerja import views

admin.site.site_header = "Administrasi Prakerja"
admin.site.site_title = "Prakerja"
admin.site.index_title = "Pengelolaan program"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/laporan/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("", include("participants.urls")),
    path("", include("trainings.urls")),
    path("", include("incentives.urls")),
    path("", include("complaints.urls")),
]
