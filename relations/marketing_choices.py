"""The marketing opt-out: a customer stops (or resumes) campaigns in one click in the
portal, from an e-mail's unsubscribe link (a confirmation page, then POST), or staff
record it on their behalf. Every choice is a ledger row (relations.MarketingChoice); the
latest one counts. Service messages (renewal notices, invoices) are not marketing and are
not affected."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.tokens import token_make, token_read
from customers.models import Customer

from .campaign_models import MarketingChoice, MarketingChoiceSource

UNSUBSCRIBE_PURPOSE = "marketing-optout"
UNSUBSCRIBE_MAX_AGE = 365 * 86400


def _latest_choice() -> Subquery:
    return Subquery(
        MarketingChoice.objects.filter(customer=OuterRef("pk"))
        .order_by("-at", "-id")
        .values("opted_out")[:1],
        output_field=BooleanField(),
    )


def with_marketing_opt_out(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """``qs`` annotated with ``marketing_opted_out`` (False when never chosen)."""
    return qs.annotate(marketing_opted_out=Coalesce(_latest_choice(), Value(False)))


def marketing_opted_out(customer: Customer) -> bool:
    latest = (
        MarketingChoice.objects.filter(customer=customer)
        .order_by("-at", "-id")
        .values_list("opted_out", flat=True)
        .first()
    )
    return bool(latest)


def marketing_choose(
    *,
    customer: Customer,
    opted_out: bool,
    source: str,
    by: Any = None,
    ip: str | None = None,
    user_agent: str = "",
) -> MarketingChoice | None:
    """Record a choice; nothing when it is already the customer's choice (a second click,
    a form sent twice). Returns the new row, or None."""
    if source not in MarketingChoiceSource.values:
        raise ValueError(source)
    if marketing_opted_out(customer) == opted_out:
        return None
    actor = by if (by is not None and getattr(by, "is_authenticated", False)) else None
    return MarketingChoice.objects.create(
        customer=customer,
        opted_out=opted_out,
        source=source,
        actor=actor,
        at=timezone.now(),
        ip=ip or None,
        user_agent=(user_agent or "")[:300],
    )


def unsubscribe_token(customer_id: int) -> str:
    return token_make(purpose=UNSUBSCRIBE_PURPOSE, obj_id=customer_id, max_age=UNSUBSCRIBE_MAX_AGE)


def unsubscribe_customer(token: str) -> Customer:
    """The customer an unsubscribe link names. Raises TokenInvalid / TokenExpired, or
    Customer.DoesNotExist."""
    return Customer.objects.get(pk=int(token_read(token=token, purpose=UNSUBSCRIBE_PURPOSE)))
