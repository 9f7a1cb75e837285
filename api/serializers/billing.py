from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.models import Invoice, InvoiceLine, Payment, PaymentMethod
from billing.selectors import invoices_visible_to


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvoiceLine
        fields = ["description", "quantity", "unit_price", "amount"]
        read_only_fields = fields


class InvoiceSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    contract_number: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        source="contract", slug_field="number", read_only=True, allow_null=True
    )
    balance = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "customer",
            "customer_code",
            "contract",
            "contract_number",
            "kind",
            "status",
            "description",
            "currency",
            "amount",
            "amount_paid",
            "amount_credited",
            "balance",
            "installment_no",
            "installment_count",
            "issue_date",
            "due_date",
            "paid_at",
            "dunning_level",
            "lines",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    invoice_number: serializers.SlugRelatedField[Invoice] = serializers.SlugRelatedField(
        source="invoice", slug_field="number", read_only=True, allow_null=True
    )
    recorded_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "number",
            "kind",
            "customer",
            "customer_code",
            "invoice",
            "invoice_number",
            "amount",
            "applied_amount",
            "currency",
            "method",
            "reference",
            "received_at",
            "source",
            "note",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    invoice = serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.none(), help_text=_("The invoice's id.")
    )
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(
        max_length=100,
        help_text=_("Bank or provider transaction id; recorded once per method."),
    )
    received_at = serializers.DateTimeField(
        required=False, help_text=_("When the money arrived; defaults to now.")
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            invoice_field = fields["invoice"]
            assert isinstance(invoice_field, serializers.RelatedField)
            invoice_field.queryset = invoices_visible_to(request.user)
        return fields

    def validate_received_at(self, value: Any) -> Any:
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise serializers.ValidationError(_("A payment cannot be received in the future."))
        return value
