"""Admin for billing: money rows are never edited or deleted here; new money goes
through the services (staff pages or the actions)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import CreditNote, Invoice, InvoiceLine, Payment, WebhookEvent


class ReadOnlyMixin:
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InvoiceLineInline(ReadOnlyMixin, admin.TabularInline):
    model = InvoiceLine
    extra = 0


class PaymentInline(ReadOnlyMixin, admin.TabularInline):
    model = Payment
    fk_name = "invoice"
    extra = 0
    fields = ["number", "amount", "method", "reference", "received_at", "source"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "customer",
        "contract",
        "kind",
        "amount",
        "amount_paid",
        "due_date",
        "status",
        "dunning_level",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["number", "customer__name", "contract__number"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, PaymentInline]
    actions = ["run_dunning"]

    @admin.action(description=_("Run today's dunning sweep (as the scheduler does)"))
    def run_dunning(self, request, queryset):
        sent = services.dunning_sweep(as_of=timezone.localdate())
        self.message_user(request, _("%(n)s reminder(s) sent.") % {"n": sent})


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "kind",
        "customer",
        "invoice",
        "amount",
        "method",
        "reference",
        "source",
        "received_at",
    ]
    list_filter = ["kind", "method", "source"]
    search_fields = ["number", "reference", "customer__name", "invoice__number"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "customer", "invoice", "amount", "applied_amount", "issue_date"]
    search_fields = ["number", "customer__name"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["event_id", "event_type", "received_at", "result"]
    search_fields = ["event_id"]

    def has_change_permission(self, request, obj=None):
        return False
