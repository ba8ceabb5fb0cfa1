"""Mounted at /admin/laporan/; every view goes through admin_view (staff login, never cached)."""

from django.contrib import admin
from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="dashboard"),
    path(
        "ekspor/peserta/<int:number>/",
        admin.site.admin_view(views.export_wave_participants),
        name="export_wave_participants",
    ),
    path(
        "ekspor/cicilan/",
        admin.site.admin_view(views.export_installments),
        name="export_installments",
    ),
    path(
        "ekspor/pengaduan/",
        admin.site.admin_view(views.export_complaints),
        name="export_complaints",
    ),
]
