from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import MoneyTotals, sum_by_currency, sums_by_currency

from .forms import RetentionOfferAdminForm
from .models import (
    CancellationRequest,
    ContactLogEntry,
    OfferGrant,
    OfferResponse,
    RequestEvent,
    RetentionOffer,
)


@admin.register(RetentionOffer)
class RetentionOfferAdmin(admin.ModelAdmin):
    """The save-offer catalogue, with how each offer performs."""

    form = RetentionOfferAdminForm
    list_display = [
        "code",
        "title",
        "kind",
        "valid_from",
        "valid_until",
        "is_active",
        "priority",
        "shown",
        "accepted",
        "revenue_saved",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "title"]
    fieldsets = [
        (None, {"fields": ["code", "title", "description", "kind", "priority", "is_active"]}),
        (
            _("What the customer gets"),
            {
                "fields": [
                    "discount_percent",
                    "terms_count",
                    "months",
                    "downgrade_plan",
                    "installments",
                    "added_service",
                ]
            },
        ),
        (
            _("Targeting and validity"),
            {"fields": ["reasons", "tiers", "valid_from", "valid_until"]},
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_shown=Count("requests", filter=Q(requests__offer_shown_at__isnull=False)),
                n_accepted=Count(
                    "requests", filter=Q(requests__offer_response=OfferResponse.ACCEPTED)
                ),
            )
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # Revenue kept per currency (the contracts'), for the offers on this page in one
        # query: a Sum over the requests would add USD to CNY.
        # The totals ride on this request's row objects (the template iterates the same
        # evaluated result list), not on the admin instance that every request shares.
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            offers = list(changelist.result_list)
            saved = sums_by_currency(
                CancellationRequest.objects.filter(offer__in=offers).exclude(revenue_saved=0),
                "offer",
                "revenue_saved",
                currency="contract__currency",
            )
            for offer in offers:
                offer.saved_totals = saved.get(offer.pk, MoneyTotals())
        return response

    @admin.display(description=_("shown"), ordering="n_shown")
    def shown(self, obj):
        return obj.n_shown

    @admin.display(description=_("accepted"), ordering="n_accepted")
    def accepted(self, obj):
        return obj.n_accepted

    @admin.display(description=_("revenue kept"))
    def revenue_saved(self, obj):
        totals = getattr(obj, "saved_totals", None)
        if totals is None:  # a row shown outside the change list
            totals = sum_by_currency(
                obj.requests.exclude(revenue_saved=0),
                "revenue_saved",
                currency="contract__currency",
            )
        return totals.text()


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "from_status", "to_status", "actor", "note", "internal")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ContactLogInline(admin.TabularInline):
    model = ContactLogEntry
    extra = 0
    can_delete = False
    fields = ("at", "channel", "by", "summary")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CancellationRequest)
class CancellationRequestAdmin(admin.ModelAdmin):
    """Read-only here: every change goes through the staff UI's services (with events)."""

    list_display = [
        "id",
        "contract",
        "customer",
        "kind",
        "status",
        "reason",
        "submitted_at",
        "sla_due_at",
        "effective_date",
    ]
    list_filter = ["status", "kind", "reason", "channel"]
    search_fields = ["contract__number", "customer__name", "customer__code"]
    date_hierarchy = "submitted_at"
    inlines = [RequestEventInline, ContactLogInline]
    actions = ["complete_due_now"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Complete confirmed requests due today"))
    def complete_due_now(self, request, queryset):
        from .services import cancellations_complete_due

        n = cancellations_complete_due(as_of=timezone.localdate())
        self.message_user(
            request, _("%(n)s request(s) completed.") % {"n": n}, level=messages.SUCCESS
        )


@admin.register(OfferGrant)
class OfferGrantAdmin(admin.ModelAdmin):
    list_display = ["contract", "offer", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["contract__number"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
