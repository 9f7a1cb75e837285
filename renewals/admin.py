"""Admin for renewals. Read-mostly: stage changes and signatures go through the services
(the actions below), never through editable fields."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

from . import services
from .models import Quote, QuoteLine, QuoteStatus, RenewalCase, Signature


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0
    can_delete = False
    readonly_fields = ["plan", "source_line", "description", "quantity", "unit_price"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RenewalCase)
class RenewalCaseAdmin(admin.ModelAdmin):
    list_display = ["contract", "owner", "stage", "intent", "opened_at", "closed_at", "flag"]
    list_filter = ["stage", "intent", "loss_reason"]
    search_fields = ["contract__number", "contract__customer__name", "contract__customer__code"]
    raw_id_fields = ["contract", "owner", "successor", "intent_by"]
    readonly_fields = [
        "contract",
        "stage",
        "opened_at",
        "closed_at",
        "intent",
        "intent_note",
        "intent_at",
        "intent_channel",
        "intent_by",
        "loss_reason",
        "loss_note",
        "successor",
    ]
    fields = [*readonly_fields, "owner", "next_action", "next_action_date", "flag"]
    actions = ["open_due_cases"]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Open cases for contracts ending soon (as the daily sweep)"))
    def open_due_cases(self, request, queryset):
        opened = services.renewal_cases_open_due()
        self.message_user(request, _("%(n)s case(s) opened.") % {"n": opened})


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ["number", "case", "status", "revision", "total", "installments", "sent_at"]
    list_filter = ["status"]
    search_fields = ["number", "case__contract__number"]
    inlines = [QuoteLineInline]
    readonly_fields = [
        "case",
        "number",
        "status",
        "revision",
        "start_date",
        "end_date",
        "billing_period",
        "currency",
        "terms_version",
        "discount_percent",
        "installments",
        "note",
        "subtotal",
        "discount_amount",
        "total",
        "sent_at",
        "document",
        "contract_document",
    ]
    actions = ["send_quotes"]

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send the selected draft quotes to the customer"))
    def send_quotes(self, request, queryset):
        for quote in queryset.filter(status=QuoteStatus.DRAFT):
            try:
                services.quote_send(quote=quote, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{quote}: {exc.message}", messages.ERROR)


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["quote", "method", "signer_name", "signed_at", "ip_address", "sha256"]
    list_filter = ["method"]
    search_fields = ["quote__number", "signer_name", "sha256"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
