from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.access import contracts_visible_to
from contracts.models import Contract
from retention.models import CancellationRequest, Kind, Reason


def _money(help_text: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text=help_text
    )


class SettlementSerializer(serializers.Serializer):
    """The numbers shown before a cancellation is confirmed (retention.policy.Settlement)."""

    kind = serializers.ChoiceField(choices=Kind.choices, read_only=True)
    effective_date = serializers.DateField(
        read_only=True, help_text=_("Earliest date the contract can end this way.")
    )
    last_service_day = serializers.DateField(read_only=True)
    currency = serializers.CharField(read_only=True)
    used_value = _money(_("Value of the service used up to the effective date."))
    remaining_value = _money(_("Value of the term after the effective date."))
    fee = _money(_("Early-termination fee."))
    paid = _money(_("Money received for this term."))
    unused_prepaid = _money(_("Prepaid value not yet used."))
    refund = _money(_("What the customer gets back."))
    fee_to_invoice = _money(_("Part of the fee not covered by the prepayment: invoiced."))
    owed_for_used_service = _money(_("Service used but not yet paid for."))


class CancellationPreviewSerializer(serializers.Serializer):
    contract = serializers.IntegerField(read_only=True)
    today = serializers.DateField(read_only=True)
    paid_known = serializers.BooleanField(
        read_only=True,
        help_text=_("False when no term invoice exists and the term is assumed prepaid."),
    )
    non_renewal = SettlementSerializer(read_only=True, allow_null=True)
    early_termination = SettlementSerializer(read_only=True, allow_null=True)


class CancellationRequestSerializer(serializers.ModelSerializer):
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    customer_code = serializers.CharField(source="customer.code", read_only=True)
    offer: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    preview = serializers.SerializerMethodField()

    class Meta:
        model = CancellationRequest
        fields = [
            "id",
            "contract",
            "contract_number",
            "customer",
            "customer_code",
            "kind",
            "status",
            "reason",
            "reason_text",
            "channel",
            "submitted_at",
            "sla_due_at",
            "requested_effective_date",
            "preview",
            "currency",
            "effective_date",
            "fee_amount",
            "refund_amount",
            "fee_to_invoice",
            "confirmed_at",
            "completed_at",
            "withdrawn_at",
            "rejected_at",
            "rejection_reason",
            "offer",
            "offer_shown_at",
            "offer_response",
            "offer_responded_at",
            "revenue_saved",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SettlementSerializer(allow_null=True))
    def get_preview(self, obj: CancellationRequest) -> dict | None:
        """The numbers the request was submitted with."""
        return SettlementSerializer(obj.preview).data if obj.preview else None


class CancellationCreateSerializer(serializers.Serializer):
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.none(), help_text=_("The contract's id.")
    )
    kind = serializers.ChoiceField(choices=Kind.choices)
    reason = serializers.ChoiceField(choices=Reason.choices)
    reason_text = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            contract_field = fields["contract"]
            assert isinstance(contract_field, serializers.RelatedField)
            contract_field.queryset = contracts_visible_to(request.user)
        return fields
