"""Admin for contracts: a guarded view of contracts, and the registrations of the
catalogue (``admin_plans``) and of the audit rows (``admin_records``).

Contracts are written only through contracts.services: a draft can be created and edited
here (the services keep totals and write events), anything past draft is read only, and
status changes are admin actions that call the transition services (``admin_actions``).
Nothing that carries money, a signature or a consent can be deleted.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError

# Django loads only <app>.admin: importing the sibling admin modules runs their registrations.
from . import admin_plans as admin_plans
from .admin_actions import CONTRACT_STATUS_ACTIONS
from .admin_records import AutoRenewConsentInline, ContractEventInline
from .models import Contract, ContractLine, ContractStatus
from .services import LineSpec, contract_create_draft, contract_update_draft

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
    actions = CONTRACT_STATUS_ACTIONS

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

    @admin.display(description=_("signed document"))
    def signed_document_link(self, obj):
        # MEDIA_ROOT is not served: the file goes out through the staff view that checks
        # the contract is in the user's book.
        if not (obj and obj.pk and obj.signed_document):
            return "—"
        url = reverse("staff-contract-signed-document", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.signed_document.name)

    @admin.display(description=_("renewed by"))
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
