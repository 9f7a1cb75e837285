"""Admin for the catalogue (plans, prices, terms) and a guarded view of contracts.

Contracts are written only through contracts.services: a draft can be created and edited
here (the services keep totals and write events), anything past draft is read only, and
status changes are admin actions that call the transition services. Nothing that carries
money, a signature or a consent can be deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.event_admin import ReactionStateFilter, reactions_retry

from .exports import consents_csv_response
from .models import (
    AutoRenewConsent,
    Contract,
    ContractEvent,
    ContractLine,
    ContractStatus,
    Plan,
    PlanPrice,
    TermsVersion,
)
from .services import (
    LineSpec,
    contract_activate,
    contract_create_draft,
    contract_expire,
    contract_return_to_draft,
    contract_send_for_signature,
    contract_update_draft,
    contract_void,
)

S = ContractStatus

# The draft fields contract_update_draft accepts; customer and predecessor only on creation.
DRAFT_FIELDS = (
    "plan",
    "owner",
    "start_date",
    "end_date",
    "billing_period",
    "currency",
    "terms_version",
    "notice_period_days",
)


class ReadOnlyAdminMixin:
    """For audit rows: listed and viewed, never added, changed or deleted in admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- catalogue ------------------------------------------------------------------------------


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


# --- contracts ------------------------------------------------------------------------------


class ContractLineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        kept = [
            f
            for f in self.forms
            if getattr(f, "cleaned_data", None)
            and not f.cleaned_data.get("DELETE")
            and (f.instance.pk or f.has_changed())
        ]
        if not kept:
            raise ValidationError(_("A contract needs at least one line."))

    def line_specs(self) -> list[LineSpec]:
        specs = []
        for f in self.forms:
            data = getattr(f, "cleaned_data", None)
            if not data or data.get("DELETE") or not (f.instance.pk or f.has_changed()):
                continue
            specs.append(
                LineSpec(
                    description=data["description"],
                    quantity=data["quantity"],
                    unit_price=data["unit_price"],
                    plan=data.get("plan"),
                )
            )
        return specs


class ContractLineInline(admin.TabularInline):
    model = ContractLine
    formset = ContractLineFormSet
    fields = ("plan", "description", "quantity", "unit_price")
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0


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


class EndingWithinFilter(admin.SimpleListFilter):
    """ "Expiring" is a query, not a status: active and ending within N days."""

    title = _("ending within")
    parameter_name = "ending_within"

    def lookups(self, request, model_admin):
        return [(str(n), _("%(n)d days") % {"n": n}) for n in (30, 60, 90)]

    def queryset(self, request, queryset):
        if self.value() in {"30", "60", "90"}:
            today = timezone.localdate()
            return queryset.filter(
                status=S.ACTIVE,
                end_date__gte=today,
                end_date__lte=today + dt.timedelta(days=int(self.value())),
            )
        return queryset


class ContractAdminForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ("customer", "predecessor", *DRAFT_FIELDS)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must not be before the start date."))
        return cleaned


def _transition_action(
    name: str,
    description: Any,
    call: Callable[[Contract, Any], Any],
    done_message: Any,
    guard: Callable[[Contract], str | None] | None = None,
):
    def action(modeladmin, request, queryset):
        done = 0
        for contract in queryset.order_by("number"):
            problem = guard(contract) if guard else None
            if problem:
                modeladmin.message_user(
                    request, f"{contract.number}: {problem}", level=messages.WARNING
                )
                continue
            try:
                call(contract, request.user)
                done += 1
            except DomainError as exc:
                modeladmin.message_user(
                    request, f"{contract.number}: {exc.message}", level=messages.WARNING
                )
        modeladmin.message_user(request, str(done_message % {"n": done}))

    action.__name__ = name
    return admin.action(description=description)(action)


def _not_ended_yet(contract: Contract) -> str | None:
    # Ending a term early is a cancellation (with its fee and refund), not an expiry.
    if contract.end_date >= timezone.localdate():
        return gettext("Its term has not ended yet; use a cancellation to end it early.")
    return None


def _not_started_yet(contract: Contract) -> str | None:
    if contract.start_date > timezone.localdate():
        return gettext("Its term starts on %(date)s.") % {"date": contract.start_date}
    return None


def _admin_reason(user: Any) -> str:
    return gettext("In the admin by %(user)s") % {"user": user.get_username()}


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    form = ContractAdminForm
    list_display = (
        "number",
        "customer",
        "plan",
        "status",
        "start_date",
        "end_date",
        "total_amount",
        "currency",
        "auto_renew",
        "owner",
    )
    list_filter = (
        "status",
        EndingWithinFilter,
        "auto_renew",
        "billing_period",
        "currency",
        "plan",
        "owner",
        "terms_version",
    )
    list_select_related = ("customer", "plan", "owner")
    search_fields = ("number", "customer__code", "customer__name")
    date_hierarchy = "end_date"
    autocomplete_fields = ("customer", "owner", "plan")
    raw_id_fields = ("predecessor",)
    inlines = [ContractLineInline, AutoRenewConsentInline, ContractEventInline]
    readonly_fields = (
        "number",
        "status",
        "auto_renew",
        "total_amount",
        "annual_value",
        "etf_kind",
        "etf_value",
        "refund_policy",
        "successor_link",
        "signed_document_link",
        "signed_at",
        "ended_at",
        "created_at",
        "updated_at",
    )
    actions = [
        _transition_action(
            "send_for_signature",
            _("Send for signature"),
            lambda c, user: contract_send_for_signature(contract=c, by=user),
            ngettext_lazy(
                "%(n)d contract sent for signature.",
                "%(n)d contracts sent for signature.",
                "n",
            ),
        ),
        _transition_action(
            "return_to_draft",
            _("Return to draft"),
            lambda c, user: contract_return_to_draft(
                contract=c, by=user, reason=_admin_reason(user)
            ),
            ngettext_lazy(
                "%(n)d contract returned to draft.",
                "%(n)d contracts returned to draft.",
                "n",
            ),
        ),
        _transition_action(
            "activate",
            _("Activate (scheduled or paid contracts whose term has started)"),
            lambda c, user: contract_activate(contract=c, by=user, reason=_admin_reason(user)),
            ngettext_lazy(
                "%(n)d contract activated.",
                "%(n)d contracts activated.",
                "n",
            ),
            guard=_not_started_yet,
        ),
        _transition_action(
            "expire",
            _("Expire (active contracts whose term has ended)"),
            lambda c, user: contract_expire(contract=c, by=user, reason=_admin_reason(user)),
            ngettext_lazy(
                "%(n)d contract expired.",
                "%(n)d contracts expired.",
                "n",
            ),
            guard=_not_ended_yet,
        ),
        _transition_action(
            "void",
            _("Void (abandon before it becomes active)"),
            lambda c, user: contract_void(contract=c, by=user, reason=_admin_reason(user)),
            ngettext_lazy(
                "%(n)d contract voided.",
                "%(n)d contracts voided.",
                "n",
            ),
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        main: tuple[str, ...]
        if obj is None:
            main = ("customer", "predecessor", *DRAFT_FIELDS)
        else:
            main = ("number", "status", "customer", "predecessor", *DRAFT_FIELDS)
        return (
            (None, {"fields": main}),
            (
                _("Amounts"),
                {"fields": ("total_amount", "annual_value", "auto_renew")},
            ),
            (
                _("Cancellation policy (copied from the plan when signed)"),
                {"fields": ("etf_kind", "etf_value", "refund_policy")},
            ),
            (
                _("Signature and history"),
                {
                    "fields": (
                        "signed_document_link",
                        "signed_at",
                        "ended_at",
                        "successor_link",
                        "created_at",
                        "updated_at",
                    )
                },
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return (*self.readonly_fields, "customer", "predecessor")

    @admin.display(description=_("renewed by"))
    @admin.display(description=_("signed document"))
    def signed_document_link(self, obj):
        # MEDIA_ROOT is not served: the file goes out through the staff view that checks
        # the contract is in the user's book.
        if not (obj and obj.pk and obj.signed_document):
            return "—"
        url = reverse("staff-contract-signed-document", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.signed_document.name)

    def successor_link(self, obj):
        successor = getattr(obj, "successor", None) if obj and obj.pk else None
        return successor.number if successor else "—"

    def has_change_permission(self, request, obj=None):
        # Only a draft is edited; from awaiting signature on, the contract is what was
        # sent or signed, and it changes only by the actions (services).
        if obj is not None and obj.status != S.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    # Saving goes through contract_create_draft / contract_update_draft, which need the
    # lines, so the work is done in save_related, once the line formset is available.
    def save_model(self, request, obj, form, change):
        pass

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        lines_formset = next(f for f in formsets if isinstance(f, ContractLineFormSet))
        data = form.cleaned_data
        obj = form.instance
        try:
            if not change:
                contract = contract_create_draft(
                    customer=data["customer"],
                    by=request.user,
                    lines=lines_formset.line_specs(),
                    predecessor=data.get("predecessor"),
                    **{name: data.get(name) for name in DRAFT_FIELDS},
                )
            else:
                fields = {name: data[name] for name in form.changed_data if name in DRAFT_FIELDS}
                lines = lines_formset.line_specs() if lines_formset.has_changed() else None
                if not fields and lines is None:
                    return
                contract = contract_update_draft(
                    contract=obj, by=request.user, lines=lines, **fields
                )
        except DomainError as exc:
            request._contract_admin_error = exc.message
            return
        # Django's admin keeps working with form.instance (log entry, redirect).
        obj.pk = contract.pk
        obj.number = contract.number
        obj._state.adding = False
        obj._state.db = contract._state.db

    def _failed(self, request) -> str | None:
        return getattr(request, "_contract_admin_error", None)

    def log_addition(self, request, obj, message):
        if not self._failed(request):
            super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if not self._failed(request):
            super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        error = self._failed(request)
        if error:
            self.message_user(request, error, level=messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        error = self._failed(request)
        if error:
            self.message_user(request, error, level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:contracts_contract_change", args=[obj.pk]))
        return super().response_change(request, obj)


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
    actions = [reactions_retry]
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
