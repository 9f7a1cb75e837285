"""Admin: contact cadences are data (per tier, per customer); planned contacts and
escalations are shown read-only (the sweeps and the staff pages write them)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import ComplaintEscalation, ContactCadence, PlannedContact


@admin.register(ContactCadence)
class ContactCadenceAdmin(admin.ModelAdmin):
    list_display = ("tier", "customer", "kind", "every", "unit", "lead_days", "active")
    list_filter = ("tier", "kind", "unit", "active")
    search_fields = ("customer__name", "customer__code")
    autocomplete_fields = ("customer",)


@admin.register(PlannedContact)
class PlannedContactAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "due_date", "opens_on", "status", "done_at")
    list_filter = ("status", "kind")
    search_fields = ("customer__name", "customer__code")
    date_hierarchy = "due_date"
    readonly_fields = [f.name for f in PlannedContact._meta.fields] + ["status"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ComplaintEscalation)
class ComplaintEscalationAdmin(admin.ModelAdmin):
    list_display = ("feedback", "escalated_to", "at", "task")
    readonly_fields = ("feedback", "escalated_to", "at", "task")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
