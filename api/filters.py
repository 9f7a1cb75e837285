"""Query-string filters. Every list also takes ``ordering`` and ``page`` / ``page_size``."""

from __future__ import annotations

import django_filters as df
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from contracts.models import Contract, ContractEvent, ContractStatus
from customers.models import Contact, Customer, Tier


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(df.NumberFilter):
    """An integer id (a NumberFilter would accept 1.5 and round it)."""

    field_class = forms.IntegerField


class CustomerFilter(df.FilterSet):
    manager = df.CharFilter(
        field_name="account_manager__username", help_text=_("Account manager's username.")
    )
    tier = df.ChoiceFilter(choices=Tier.choices, help_text=_("Computed tier."))
    code = df.CharFilter(field_name="code", help_text=_("Exact customer code."))
    updated_since = df.IsoDateTimeFilter(
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
    updated_since = df.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

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
    updated_since = df.IsoDateTimeFilter(
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
    since = df.IsoDateTimeFilter(
        field_name="at", lookup_expr="gte", help_text=_("Events at or after this time.")
    )

    class Meta:
        model = ContractEvent
        fields: list[str] = []
