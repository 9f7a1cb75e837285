from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
                saved=Sum("requests__revenue_saved"),
            )
        )

    @admin.display(description=_("shown"), ordering="n_shown")
    def shown(self, obj):
        return obj.n_shown

    @admin.display(description=_("accepted"), ordering="n_accepted")
    def accepted(self, obj):
        return obj.n_accepted

    @admin.display(description=_("revenue kept"), ordering="saved")
    def revenue_saved(self, obj):
        return obj.saved or Decimal("0.00")


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "from_status", "to_status", "actor", "note", "internal"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ContactLogInline(admin.TabularInline):
    model = ContactLogEntry
    extra = 0
    can_delete = False
    fields = ["at", "channel", "by", "summary"]
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
