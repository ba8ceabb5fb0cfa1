"""Puts the program dashboard in the admin index for staff who may see it."""

from django.contrib import admin
from django.shortcuts import redirect

from participants.admin.base import ReadOnlyMixin
from reports.models import ProgramReport
from reports.views import DASHBOARD_PERMISSION


@admin.register(ProgramReport)
class ProgramReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.has_perm(DASHBOARD_PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(DASHBOARD_PERMISSION)

    def changelist_view(self, request, extra_context=None):
        return redirect("reports:dashboard")
