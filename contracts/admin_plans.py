"""Admin for the catalogue: plans, their prices over time, and the terms versions contracts
are sent and signed under. Registered by importing this module from ``contracts/admin.py``."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ContractStatus, Plan, PlanPrice, TermsVersion

S = ContractStatus


class PlanPriceInline(admin.TabularInline):
    model = PlanPrice
    fields = ("effective_from", "price")
    extra = 0
    # A price that quotes were made from stays in the history; correct it instead.
    can_delete = False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "price",
        "currency",
        "billing_period",
        "default_term_months",
        "default_auto_renew",
        "etf_kind",
        "is_active",
    )
    list_filter = ("is_active", "billing_period", "currency", "default_auto_renew", "etf_kind")
    search_fields = ("code", "name", "description")
    inlines = [PlanPriceInline]
    actions = ["activate_plans", "deactivate_plans"]
    fieldsets = (
        (None, {"fields": ("code", "name", "description", "is_active")}),
        (_("Price"), {"fields": ("price", "billing_period", "currency")}),
        (
            _("Defaults for new contracts"),
            {"fields": ("default_term_months", "default_auto_renew", "default_notice_days")},
        ),
        (
            _("Cancellation policy"),
            {
                "fields": ("etf_kind", "etf_value", "refund_policy"),
                "description": _(
                    "Copied onto a contract when it is signed: changing it here never "
                    "rewrites a signed contract."
                ),
            },
        ),
    )

    def has_delete_permission(self, request, obj=None):
        # Contracts and quotes refer to plans: retire a plan by deactivating it.
        return False

    @admin.action(description=_("Activate the selected plans"))
    def activate_plans(self, request, queryset):
        n = queryset.update(is_active=True)
        self.message_user(request, ngettext("%d plan activated.", "%d plans activated.", n) % n)

    @admin.action(description=_("Deactivate the selected plans (no new contracts)"))
    def deactivate_plans(self, request, queryset):
        n = queryset.update(is_active=False)
        self.message_user(request, ngettext("%d plan deactivated.", "%d plans deactivated.", n) % n)


@admin.register(PlanPrice)
class PlanPriceAdmin(admin.ModelAdmin):
    list_display = ("plan", "price", "effective_from")
    list_filter = ("effective_from", "plan")
    list_select_related = ("plan",)
    search_fields = ("plan__code", "plan__name")
    date_hierarchy = "effective_from"
    autocomplete_fields = ("plan",)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "title", "effective_from", "contract_count", "created_at")
    list_filter = ("effective_from",)
    search_fields = ("version", "title", "body")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_contract_count=Count("contracts"))

    @admin.display(description=_("contracts"), ordering="_contract_count")
    def contract_count(self, obj):
        return obj._contract_count

    def _in_use(self, obj) -> bool:
        # A text that a contract was sent or signed under is what the customer agreed to.
        return obj is not None and obj.contracts.exclude(status=S.DRAFT).exists()

    def get_readonly_fields(self, request, obj=None):
        if self._in_use(obj):
            return ("version", "title", "body", "effective_from", "created_at")
        return ("created_at",)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and not obj.contracts.exists()
