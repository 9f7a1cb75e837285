"""Admin for online payments: read-only. Attempts change through the services only (the
portal, the provider's notifications, the sweep); money through billing."""

from __future__ import annotations

from django.contrib import admin

from .models import AttemptEvent, PaymentAttempt, ProviderNotification


class _ReadOnly:
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AttemptEventInline(_ReadOnly, admin.TabularInline):
    model = AttemptEvent
    extra = 0
    fields = ["at", "kind", "from_status", "to_status", "payload"]


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "reference",
        "invoice",
        "customer",
        "provider",
        "amount",
        "currency",
        "status",
        "mismatch_kind",
        "off_session",
        "created_at",
    ]
    list_filter = ["status", "provider", "mismatch_kind", "off_session"]
    search_fields = ["reference", "transaction_id", "provider_reference", "invoice__number"]
    list_select_related = ["invoice", "customer"]
    date_hierarchy = "created_at"
    inlines = [AttemptEventInline]


@admin.register(ProviderNotification)
class ProviderNotificationAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["received_at", "provider", "event_id", "kind", "outcome", "reference", "result"]
    list_filter = ["provider", "kind", "outcome"]
    search_fields = ["event_id", "reference"]
    date_hierarchy = "received_at"
