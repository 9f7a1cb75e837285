"""Query-string filters. Every list also takes ``ordering`` and ``page`` / ``page_size``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as df
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod
from contracts.models import Contract, ContractEvent, ContractStatus
from customers.models import Contact, Customer, Tier
from renewals.models import RenewalCase, Stage
from retention.models import CancellationRequest, Kind
from retention.models import Status as CancellationStatus


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(df.NumberFilter):
    """An integer id (a NumberFilter would accept 1.5 and round it)."""

    field_class = forms.IntegerField


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value: Any) -> dt.datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        # PostgreSQL refuses UTC offsets beyond ±15:59 that ISO 8601 allows; normalise.
        try:
            return result.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValidationError(_("Date and time out of range."), code="invalid") from exc


class DateTimeFilter(df.IsoDateTimeFilter):
    """An ISO 8601 date and time with any offset (compared in UTC)."""

    field_class = UtcIsoDateTimeField


class CustomerFilter(df.FilterSet):
    manager = df.CharFilter(
        field_name="account_manager__username", help_text=_("Account manager's username.")
    )
    tier = df.ChoiceFilter(choices=Tier.choices, help_text=_("Computed tier."))
    code = df.CharFilter(field_name="code", help_text=_("Exact customer code."))
    updated_since = DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_("Only customers changed at or after this ISO 8601 time."),
    )

    class Meta:
        model = Customer
        fields = ["kind", "language"]


class ContactFilter(df.FilterSet):
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    email = df.CharFilter(field_name="email", lookup_expr="iexact")
    updated_since = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Contact
        fields = ["is_primary"]


class ContractFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(
        choices=ContractStatus.choices, help_text=_("One or more statuses (repeat the parameter).")
    )
    ending_before = df.DateFilter(
        field_name="end_date", lookup_expr="lte", help_text=_("End date on or before.")
    )
    ending_after = df.DateFilter(
        field_name="end_date", lookup_expr="gte", help_text=_("End date on or after.")
    )
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    customer_code = df.CharFilter(field_name="customer__code", help_text=_("Customer code."))
    manager = df.CharFilter(
        field_name="owner__username", help_text=_("Account manager's username.")
    )
    plan = df.CharFilter(field_name="plan__code", help_text=_("Plan code."))
    number = df.CharFilter(field_name="number", help_text=_("Exact contract number."))
    updated_since = DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_("Only contracts changed at or after this ISO 8601 time."),
    )

    class Meta:
        model = Contract
        fields = ["auto_renew"]


class ContractEventFilter(df.FilterSet):
    contract = IdFilter(field_name="contract_id", help_text=_("Contract id."))
    kind = df.CharFilter(field_name="kind", help_text=_("Event kind, e.g. renewed."))
    since = DateTimeFilter(
        field_name="at", lookup_expr="gte", help_text=_("Events at or after this time.")
    )

    class Meta:
        model = ContractEvent
        fields: list[str] = []


class RenewalCaseFilter(df.FilterSet):
    stage = df.MultipleChoiceFilter(
        choices=Stage.choices, help_text=_("One or more stages (repeat the parameter).")
    )
    contract = IdFilter(field_name="contract_id", help_text=_("Contract id."))
    customer = IdFilter(field_name="contract__customer_id", help_text=_("Customer id."))
    manager = df.CharFilter(
        field_name="owner__username", help_text=_("Account manager's username.")
    )
    ending_before = df.DateFilter(
        field_name="contract__end_date",
        lookup_expr="lte",
        help_text=_("Contract ends on or before."),
    )
    ending_after = df.DateFilter(
        field_name="contract__end_date",
        lookup_expr="gte",
        help_text=_("Contract ends on or after."),
    )
    updated_since = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = RenewalCase
        fields: list[str] = []


class CancellationRequestFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(
        choices=CancellationStatus.choices,
        help_text=_("One or more statuses (repeat the parameter)."),
    )
    kind = df.ChoiceFilter(choices=Kind.choices)
    contract = IdFilter(field_name="contract_id", help_text=_("Contract id."))
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    manager = df.CharFilter(
        field_name="contract__owner__username", help_text=_("Account manager's username.")
    )
    updated_since = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = CancellationRequest
        fields: list[str] = []


class InvoiceFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(choices=InvoiceStatus.choices)
    kind = df.ChoiceFilter(choices=InvoiceKind.choices)
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    contract = IdFilter(field_name="contract_id", help_text=_("Contract id."))
    number = df.CharFilter(field_name="number")
    due_before = df.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = df.DateFilter(field_name="due_date", lookup_expr="gte")
    manager = df.CharFilter(
        field_name="customer__account_manager__username",
        help_text=_("Account manager's username."),
    )
    updated_since = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Invoice
        fields: list[str] = []


class PaymentFilter(df.FilterSet):
    invoice = IdFilter(field_name="invoice_id", help_text=_("Invoice id."))
    customer = IdFilter(field_name="customer_id", help_text=_("Customer id."))
    method = df.ChoiceFilter(choices=PaymentMethod.choices)
    reference = df.CharFilter(field_name="reference")
    received_since = DateTimeFilter(field_name="received_at", lookup_expr="gte")
    updated_since = DateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Payment
        fields: list[str] = []
