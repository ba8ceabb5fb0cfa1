"""Staff views of the catalog, payments and vouchers."""

from django.contrib import admin

from trainings.models import Offering, Platform, Provider, Training


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "is_active"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ["title", "category", "provider", "price_idr", "mode"]
    list_filter = ["category", "mode"]
    search_fields = ["title"]


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = ["code", "training", "platform", "price_idr", "is_active"]
    list_filter = ["platform"]
    search_fields = ["code", "training__title"]
