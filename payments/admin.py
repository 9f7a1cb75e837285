"""Admin for online payments: read-only. Attempts, provider refunds and saved payment
methods change through the services only (the portal, the provider's notifications, the
sweeps); money through billing. Each row links to the invoice, credit note, customer and
contract it belongs to."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    AttemptEvent,
    MandateCharge,
    PaymentAttempt,
    PaymentMandate,
    ProviderNotification,
    ProviderRefund,
)


class _ReadOnly:
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # View only: the page shows every field, with no Save button.
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


def _admin_link(obj: Model | None) -> Any:
    """A link to ``obj``'s admin change page ("-" when there is none)."""
    if obj is None:
        return "-"
    meta = obj._meta
    try:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(obj)
    return format_html('<a href="{}">{}</a>', url, obj)


@admin.register(ProviderRefund)
class ProviderRefundAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "reference",
        "credit_note_link",
        "invoice_link",
        "customer_link",
        "provider",
        "amount",
        "currency",
        "status",
        "submit_attempts",
        "created_at",
        "closed_at",
    ]
    list_filter = ["status", "provider"]
    search_fields = [
        "reference",
        "provider_refund_id",
        "credit_note__number",
        "payment__reference",
        "credit_note__customer__code",
    ]
    list_select_related = [
        "credit_note__customer",
        "credit_note__invoice",
        "payment__invoice",
        "refund_payment",
    ]
    date_hierarchy = "created_at"

    @admin.display(description=_("credit note"), ordering="credit_note__number")
    def credit_note_link(self, obj: ProviderRefund) -> Any:
        return _admin_link(obj.credit_note)

    @admin.display(description=_("invoice"))
    def invoice_link(self, obj: ProviderRefund) -> Any:
        return _admin_link(obj.credit_note.invoice or obj.payment.invoice)

    @admin.display(description=_("customer"), ordering="credit_note__customer__code")
    def customer_link(self, obj: ProviderRefund) -> Any:
        return _admin_link(obj.credit_note.customer)


class MandateChargeInline(_ReadOnly, admin.TabularInline):
    model = MandateCharge
    fk_name = "mandate"
    extra = 0
    fields = ["claimed_at", "invoice", "attempt", "answer", "detail", "fallback_at"]


@admin.register(PaymentMandate)
class PaymentMandateAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "reference",
        "display",
        "customer_link",
        "contract_link",
        "provider",
        "status",
        "consent_link",
        "activated_at",
        "ended_at",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["reference", "display", "customer__code", "customer__name", "contract__number"]
    list_select_related = ["customer", "contract", "consent"]
    date_hierarchy = "created_at"
    inlines = [MandateChargeInline]

    @admin.display(description=_("customer"), ordering="customer__code")
    def customer_link(self, obj: PaymentMandate) -> Any:
        return _admin_link(obj.customer)

    @admin.display(description=_("contract"), ordering="contract__number")
    def contract_link(self, obj: PaymentMandate) -> Any:
        return _admin_link(obj.contract)

    @admin.display(description=_("consent given"), ordering="consent__at")
    def consent_link(self, obj: PaymentMandate) -> Any:
        return _admin_link(obj.consent)


class _AnsweredFilter(admin.SimpleListFilter):
    title = _("provider's answer")
    parameter_name = "answer"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("succeeded", _("Succeeded")),
            ("pending", _("Pending")),
            ("failed", _("Failed")),
            ("error", _("Error")),
            ("skipped", _("Skipped")),
        ]

    def queryset(self, request: Any, queryset: Any) -> Any:
        return queryset.filter(answer=self.value()) if self.value() else queryset


@admin.register(MandateCharge)
class MandateChargeAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "claimed_at",
        "invoice_link",
        "customer_link",
        "mandate_link",
        "provider",
        "answer",
        "fallback_at",
        "detail",
    ]
    list_filter = [_AnsweredFilter, "mandate__provider", "mandate__status"]
    search_fields = ["invoice__number", "mandate__reference", "mandate__customer__code"]
    list_select_related = ["invoice__customer", "mandate", "attempt"]
    date_hierarchy = "claimed_at"

    @admin.display(description=_("invoice"), ordering="invoice__number")
    def invoice_link(self, obj: MandateCharge) -> Any:
        return _admin_link(obj.invoice)

    @admin.display(description=_("customer"), ordering="invoice__customer__code")
    def customer_link(self, obj: MandateCharge) -> Any:
        return _admin_link(obj.invoice.customer)

    @admin.display(description=_("saved payment method"))
    def mandate_link(self, obj: MandateCharge) -> Any:
        return _admin_link(obj.mandate)

    @admin.display(description=_("provider"), ordering="mandate__provider")
    def provider(self, obj: MandateCharge) -> str:
        return obj.mandate.provider
