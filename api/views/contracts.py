from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts.access import contracts_visible_to
from contracts.models import ContractEvent, Plan
from contracts.services import contract_create_draft, contract_update_draft
from retention.selectors import cancellation_preview

from ..filters import ContractEventFilter, ContractFilter
from ..pagination import EventCursorPagination
from ..serializers.contracts import (
    ContractDraftSerializer,
    ContractEventSerializer,
    ContractSerializer,
    PlanSerializer,
    with_serializer_relations,
)
from ..serializers.retention import CancellationPreviewSerializer
from .base import FILTERS_WITH_SEARCH, ApiViewSet


@extend_schema_view(
    list=extend_schema(summary="List plans", tags=["plans"]),
    retrieve=extend_schema(summary="Get a plan", tags=["plans"]),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """The product catalogue (the same for every staff user)."""

    serializer_class = PlanSerializer
    queryset = Plan.objects.prefetch_related("prices")
    filterset_fields = ["is_active", "billing_period", "currency", "code"]
    ordering_fields = ["code", "name", "price", "id"]
    ordering = ["code"]


@extend_schema_view(
    list=extend_schema(summary="List contracts", tags=["contracts"]),
    retrieve=extend_schema(summary="Get a contract", tags=["contracts"]),
    create=extend_schema(
        summary="Create a draft contract",
        tags=["contracts"],
        request=ContractDraftSerializer,
        responses={201: ContractSerializer},
    ),
    partial_update=extend_schema(
        summary="Update a draft contract",
        description="Only a contract in status draft can be edited (409 otherwise). "
        "Sending lines replaces all lines.",
        tags=["contracts"],
        request=ContractDraftSerializer(partial=True),
        responses={200: ContractSerializer},
    ),
)
class ContractViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ApiViewSet
):
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    filter_backends = FILTERS_WITH_SEARCH
    search_fields = ["number", "customer__code", "customer__name"]
    ordering_fields = ["end_date", "start_date", "number", "created_at", "updated_at", "id"]
    ordering = ["end_date", "number"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet:
        return with_serializer_relations(contracts_visible_to(self.request.user))

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = ContractDraftSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        lines = ContractDraftSerializer.line_specs(data.pop("lines"))
        contract = contract_create_draft(by=request.user, lines=lines, **data)
        contract = self.get_queryset().get(pk=contract.pk)
        return Response(self.get_serializer(contract).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        contract = self.get_object()
        serializer = ContractDraftSerializer(
            contract, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        lines = data.pop("lines", None)
        contract_update_draft(
            contract=contract,
            by=request.user,
            lines=ContractDraftSerializer.line_specs(lines) if lines is not None else None,
            **data,
        )
        contract = self.get_queryset().get(pk=contract.pk)
        return Response(self.get_serializer(contract).data)

    @extend_schema(
        summary="Preview the numbers of a cancellation",
        description=(
            "What ending this contract would cost today, both ways: not renewing (ends at "
            "the term end) and early termination (earliest effective date, fee, refund). "
            "A way that is not possible for this contract's status is null."
        ),
        tags=["cancellations"],
        responses={200: CancellationPreviewSerializer},
    )
    @action(detail=True, methods=["get"], url_path="cancellation-preview")
    def cancellation_preview(self, request: Any, pk: str | None = None) -> Response:
        contract = self.get_object()
        preview = cancellation_preview(contract=contract)
        data = {
            "contract": contract.pk,
            "today": preview.today,
            "paid_known": preview.paid_known,
            "non_renewal": preview.non_renewal.as_dict() if preview.non_renewal else None,
            "early_termination": (
                preview.early_termination.as_dict() if preview.early_termination else None
            ),
        }
        return Response(CancellationPreviewSerializer(data).data)


@extend_schema_view(
    list=extend_schema(
        summary="Contract events feed",
        description=(
            "Every audit event of the contracts you can see, oldest first, for incremental "
            "sync: follow `next` until it is null and store the last cursor; later, resume "
            "from it. Events younger than a few seconds are held back so that an event "
            "committed late never slips behind a cursor."
        ),
        tags=["events"],
    ),
)
class ContractEventViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = ContractEventSerializer
    filterset_class = ContractEventFilter
    pagination_class = EventCursorPagination
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self) -> QuerySet:
        settle = getattr(settings, "API_EVENT_FEED_SETTLE_SECONDS", 5)
        horizon = timezone.now() - dt.timedelta(seconds=settle)
        return ContractEvent.objects.filter(
            contract__in=contracts_visible_to(self.request.user), at__lte=horizon
        ).select_related("contract", "actor")
