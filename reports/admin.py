"""Puts the program dashboard in the admin index for staff who may see it."""

from django.contrib import admin
from django.shortcuts import redirect

from reports.models import ProgramReport
from reports.views import DASHBOARD_PERMISSION


@admin.register(ProgramReport)
class ProgramReportAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.has_perm(DASHBOARD_PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(DASHBOARD_PERMISSION)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return redirect("reports:dashboard")
