from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from renewals.models import Quote, RenewalCase


class QuoteSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Quote
        fields = [
            "number",
            "status",
            "revision",
            "start_date",
            "end_date",
            "billing_period",
            "currency",
            "discount_percent",
            "installments",
            "subtotal",
            "discount_amount",
            "total",
            "sent_at",
        ]
        read_only_fields = fields


class RenewalCaseSerializer(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    customer = serializers.IntegerField(source="contract.customer_id", read_only=True)
    customer_code = serializers.CharField(source="contract.customer.code", read_only=True)
    owner: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    successor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    quote = serializers.SerializerMethodField()

    class Meta:
        model = RenewalCase
        fields = [
            "id",
            "contract",
            "contract_number",
            "customer",
            "customer_code",
            "owner",
            "stage",
            "opened_at",
            "closed_at",
            "intent",
            "intent_note",
            "intent_at",
            "intent_channel",
            "last_contact_at",
            "next_action",
            "next_action_date",
            "flag",
            "loss_reason",
            "loss_note",
            "successor",
            "quote",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(QuoteSummarySerializer(allow_null=True))
    def get_quote(self, obj: RenewalCase) -> dict | None:
        quote = getattr(obj, "quote", None)
        return QuoteSummarySerializer(quote).data if quote is not None else None
