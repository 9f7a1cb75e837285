"""Admin for the contract audit rows (lines, events, auto-renewal consents): listed and
viewed, never added, changed or deleted. Registered by importing this module from
``contracts/admin.py``, which also shows the events and consents inline on a contract."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.event_admin import ReactionStateFilter, reactions_retry_action

from .exports import consents_csv_response
from .models import AutoRenewConsent, ContractEvent, ContractLine


class ReadOnlyAdminMixin:
    """For audit rows: listed and viewed, never added, changed or deleted in admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ContractEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ContractEvent
    fields = ("at", "kind", "from_status", "to_status", "actor", "reason", "payload")
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("timeline")


class AutoRenewConsentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AutoRenewConsent
    fields = ("at", "enabled", "channel", "text_version", "actor", "ip_address")
    readonly_fields = fields
    extra = 0


@admin.register(ContractLine)
class ContractLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("contract", "description", "plan", "quantity", "unit_price")
    list_filter = ("plan",)
    list_select_related = ("contract", "plan")
    search_fields = ("description", "contract__number")


@admin.register(ContractEvent)
class ContractEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("contract", "at", "kind", "from_status", "to_status", "actor", "reason")
    list_filter = (ReactionStateFilter, "kind", "to_status", "from_status", "at")
    actions = [reactions_retry_action]
    list_select_related = ("contract", "actor")
    search_fields = ("contract__number", "contract__customer__code", "reason", "kind")
    date_hierarchy = "at"


@admin.register(AutoRenewConsent)
class AutoRenewConsentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "contract",
        "customer",
        "enabled",
        "channel",
        "text_version",
        "at",
        "actor",
        "ip_address",
    )
    list_filter = ("enabled", "channel", "text_version", "at")
    list_select_related = ("contract", "customer", "actor")
    search_fields = ("contract__number", "customer__code", "customer__name", "ip_address")
    date_hierarchy = "at"
    actions = ["export_csv"]

    @admin.action(description=_("Export the selected consents (CSV)"))
    def export_csv(self, request, queryset):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return consents_csv_response(consents=queryset, filename=f"auto-renew-consents-{stamp}.csv")
