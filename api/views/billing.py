from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from billing.models import Payment, PaymentSource
from billing.selectors import invoices_visible_to
from billing.services import payment_record
from customers.access import customers_visible_to

from ..filters import InvoiceFilter, PaymentFilter
from ..serializers.billing import InvoiceSerializer, PaymentCreateSerializer, PaymentSerializer
from .base import ApiViewSet


@extend_schema_view(
    list=extend_schema(summary="List invoices", tags=["billing"]),
    retrieve=extend_schema(summary="Get an invoice", tags=["billing"]),
)
class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    ordering_fields = ["issue_date", "due_date", "number", "updated_at", "id"]
    ordering = ["-issue_date", "-id"]

    def get_queryset(self) -> QuerySet:
        return (
            invoices_visible_to(self.request.user)
            .select_related("customer", "contract")
            .prefetch_related("lines")
        )


@extend_schema_view(
    list=extend_schema(summary="List payments", tags=["billing"]),
    retrieve=extend_schema(summary="Get a payment", tags=["billing"]),
    create=extend_schema(
        summary="Record a payment against an invoice",
        description=(
            "The same service as the staff UI: a partial payment leaves the invoice open, "
            "paying a contract's first invoice starts the contract, an over-payment is kept "
            "as credit. A reference already recorded for the same method is refused "
            "(code duplicate_payment)."
        ),
        tags=["billing"],
        request=PaymentCreateSerializer,
        responses={201: PaymentSerializer},
    ),
)
class PaymentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet
):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    ordering_fields = ["received_at", "updated_at", "id"]
    ordering = ["-received_at", "-id"]

    def get_queryset(self) -> QuerySet:
        return Payment.objects.filter(
            customer__in=customers_visible_to(self.request.user)
        ).select_related("customer", "invoice", "recorded_by")

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = PaymentCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        payment = payment_record(
            invoice=data["invoice"],
            amount=data["amount"],
            method=data["method"],
            reference=data["reference"],
            received_at=data.get("received_at"),
            note=data["note"],
            by=request.user,
            source=PaymentSource.STAFF,
        )
        payment = self.get_queryset().get(pk=payment.pk)
        return Response(self.get_serializer(payment).data, status=status.HTTP_201_CREATED)
