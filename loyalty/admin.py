"""Admin for loyalty: rules, levels with their privileges and rewards are data edited
here; the ledger, redemptions, referrals and quote benefits are read-only records (a
correction is a new adjustment row, made on the staff page or below with its reason)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    EarnRule,
    Level,
    PointsEntry,
    Privilege,
    QuoteBenefit,
    Redemption,
    Referral,
    Reward,
)


@admin.register(EarnRule)
class EarnRuleAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "name_en",
        "trigger",
        "points",
        "per_amount",
        "expiry_months",
        "is_active",
    )
    list_filter = ("trigger", "is_active")
    search_fields = ("code", "name", "name_en")


class PrivilegeInline(admin.TabularInline):
    """A level's privileges. An extra service names its product and quantity (the
    model's ``clean`` refuses one without, and a product on any other kind)."""

    model = Privilege
    extra = 0
    fields = (
        "kind",
        "discount_percent",
        "response_hours",
        "plan",
        "quantity",
        "description",
        "description_en",
    )


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "min_points")
    inlines = [PrivilegeInline]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "name_en",
        "kind",
        "points_cost",
        "discount_percent",
        "is_active",
    )
    list_filter = ("kind", "is_active")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledger-like records: never added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "customer",
        "kind",
        "points",
        "on",
        "expires_on",
        "rule",
        "reason",
        "actor",
        "created_at",
    )
    list_filter = ("kind", "rule")
    search_fields = ("customer__code", "customer__name", "dedupe_key", "reason")
    list_select_related = ("customer", "rule", "actor")
    date_hierarchy = "on"


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ("customer", "reward", "points", "created_at", "created_by", "used_quote_ref")
    search_fields = ("customer__code", "customer__name", "used_quote_ref")
    list_select_related = ("customer", "reward", "created_by")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = (
        "token",
        "referrer",
        "contact_name",
        "contact_email",
        "referred_customer",
        "signed_at",
    )
    search_fields = ("token", "contact_email", "referrer__code", "referrer__name")
    list_select_related = ("referrer", "referred_customer")


@admin.register(QuoteBenefit)
class QuoteBenefitAdmin(ReadOnlyAdmin):
    list_display = (
        "quote_ref",
        "contract_ref",
        "customer",
        "level",
        "redemption",
        "discount_percent",
        "plan",
        "quantity",
        "created_at",
    )
    search_fields = ("quote_ref", "contract_ref", "customer__code")
