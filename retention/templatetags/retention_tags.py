"""Small read-only helpers for the portal slots and staff pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from retention import selectors
from retention.models import OPEN_STATUSES, CancellationRequest

register = template.Library()


@register.simple_tag
def cancellation_state(contract: Any) -> dict[str, Any]:
    """For the contract page: the open request (if any) and whether cancelling is possible."""
    if contract is None:
        return {}
    open_request = selectors.open_request_for_contract(contract)
    cancellable = any(contract.status in statuses for statuses in selectors.CANCELLABLE.values())
    past = list(
        CancellationRequest.objects.filter(contract=contract)
        .exclude(status__in=OPEN_STATUSES)
        .order_by("-submitted_at")[:5]
    )
    return {"open": open_request, "cancellable": cancellable, "past": past}


@register.simple_tag
def open_cancellations(customer: Any) -> list[CancellationRequest]:
    if customer is None:
        return []
    return list(
        selectors.requests_for_customer(customer=customer)
        .filter(status__in=OPEN_STATUSES)
        .order_by("-submitted_at")[:10]
    )


@register.filter
def sla_overdue(cancellation: CancellationRequest) -> bool:
    return cancellation.is_overdue(timezone.now())
