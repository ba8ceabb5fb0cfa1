"""Kemendagri regions in the admin: read-only reference data, searchable so that region fields
elsewhere use autocomplete (a select of 7,278 districts made the participant page weigh 400 KB)."""

from django.contrib import admin

from participants.admin.base import ReadOnlyMixin
from participants.models import District, Province, Regency


class RegionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    search_fields = ["name", "code"]
    show_full_result_count = False


@admin.register(Province)
class ProvinceAdmin(RegionAdmin):
    list_display = ["code", "name"]


@admin.register(Regency)
class RegencyAdmin(RegionAdmin):
    list_display = ["code", "name", "province"]
    list_filter = ["province"]
    list_select_related = ["province"]


@admin.register(District)
class DistrictAdmin(RegionAdmin):
    list_display = ["code", "name", "regency"]
    list_select_related = ["regency"]
