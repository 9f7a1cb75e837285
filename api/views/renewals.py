from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from renewals.selectors import cases_visible_to
from retention import services as retention_services
from retention.models import Channel
from retention.selectors import requests_visible_to

from ..filters import CancellationRequestFilter, RenewalCaseFilter
from ..serializers.renewals import RenewalCaseSerializer
from ..serializers.retention import CancellationCreateSerializer, CancellationRequestSerializer
from .base import ApiViewSet


@extend_schema_view(
    list=extend_schema(summary="List renewal cases", tags=["renewals"]),
    retrieve=extend_schema(summary="Get a renewal case", tags=["renewals"]),
)
class RenewalCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Renewal cases of the contracts you can see, with their quote."""

    serializer_class = RenewalCaseSerializer
    filterset_class = RenewalCaseFilter
    ordering_fields = ["opened_at", "updated_at", "id"]
    ordering = ["-opened_at", "-id"]

    def get_queryset(self) -> QuerySet:
        return cases_visible_to(self.request.user).select_related(
            "contract__customer", "owner", "successor", "quote"
        )


@extend_schema_view(
    list=extend_schema(summary="List cancellation requests", tags=["cancellations"]),
    retrieve=extend_schema(summary="Get a cancellation request", tags=["cancellations"]),
    create=extend_schema(
        summary="Submit a cancellation request on the customer's behalf",
        description=(
            "Runs the same service as the portal (channel: staff). The response carries the "
            "numbers the request was submitted with in `preview` (effective date, fee, "
            "refund). If a retention offer fits, the request waits in status submitted with "
            "`offer` set; POST …/continue/ goes on without it. A non-renewal is confirmed "
            "at once; an early termination goes to staff review."
        ),
        tags=["cancellations"],
        request=CancellationCreateSerializer,
        responses={201: CancellationRequestSerializer},
    ),
    continue_=extend_schema(
        summary="Continue to cancel (decline the offer)",
        tags=["cancellations"],
        request=None,
        responses={200: CancellationRequestSerializer},
    ),
    withdraw=extend_schema(
        summary="Withdraw the request",
        tags=["cancellations"],
        request=None,
        responses={200: CancellationRequestSerializer},
    ),
)
class CancellationRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet
):
    serializer_class = CancellationRequestSerializer
    filterset_class = CancellationRequestFilter
    ordering_fields = ["submitted_at", "sla_due_at", "updated_at", "id"]
    ordering = ["-submitted_at", "-id"]

    def get_queryset(self) -> QuerySet:
        return requests_visible_to(self.request.user).select_related(
            "contract", "customer", "offer"
        )

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = CancellationCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        cancellation = retention_services.cancellation_submit(
            contract=data["contract"],
            kind=data["kind"],
            reason=data["reason"],
            reason_text=data["reason_text"],
            by=request.user,
            channel=Channel.STAFF,
        )
        cancellation = self.get_queryset().get(pk=cancellation.pk)
        return Response(self.get_serializer(cancellation).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="continue", url_name="continue")
    def continue_(self, request: Any, pk: str | None = None) -> Response:
        cancellation = retention_services.cancellation_continue(
            request=self.get_object(), by=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=cancellation.pk)).data)

    @action(detail=True, methods=["post"])
    def withdraw(self, request: Any, pk: str | None = None) -> Response:
        cancellation = retention_services.cancellation_withdraw(
            request=self.get_object(), by=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=cancellation.pk)).data)
