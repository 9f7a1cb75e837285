"""A customer's ABC tier, recomputed from the annual value of its contracts in force.

The tier is the customers app's (Customer.tier, TierSettings); computing it reads contracts,
so it lives here: contracts build on customers, not the reverse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Customer, Tier, TierSettings

from .models import Contract, ContractStatus


@dataclass(frozen=True)
class TierRecomputeResult:
    as_of: dt.date
    changed: int
    counts: dict[str, int]
    overridden: int
    skipped_currencies: tuple[str, ...]


def customer_active_annual_value(*, as_of: dt.date, rates: dict[str, Decimal]) -> Subquery:
    """Per-customer sum of annual_value of contracts in force on ``as_of``, in the default
    currency, as a subquery usable in annotate() / alias() / update().

    Contracts in another currency count at ``rates``; one without a rate counts 0.
    Relies on the contract (customer, end_date) index.
    """
    default = django_settings.RENEWDESK["DEFAULT_CURRENCY"]
    converted = Case(
        When(currency=default, then=F("annual_value")),
        *[
            When(currency=code, then=F("annual_value") * Value(rate))
            for code, rate in sorted(rates.items())
            if code != default
        ],
        default=Value(Decimal("0")),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    per_customer = (
        Contract.objects.filter(
            customer=OuterRef("pk"),
            status=ContractStatus.ACTIVE,
            start_date__lte=as_of,
            end_date__gte=as_of,
        )
        .order_by()
        .values("customer")
        .annotate(total=Sum(converted))
        .values("total")
    )
    return Subquery(per_customer, output_field=DecimalField(max_digits=20, decimal_places=4))


@transaction.atomic
def customer_tiers_recompute(*, as_of: dt.date) -> TierRecomputeResult:
    """Recompute every customer's computed tier in three set-based UPDATEs.

    A manual override is kept as it is (the effective tier stays the override); the
    computed tier underneath is still refreshed so that clearing the override shows a
    current value.
    """
    tier_settings = TierSettings.objects.select_for_update().get(pk=TierSettings.load().pk)
    rates = tier_settings.fx_rate_map()
    value = Coalesce(
        customer_active_annual_value(as_of=as_of, rates=rates),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=20, decimal_places=4),
    )
    bands = [
        (Tier.A, Q(value__gte=tier_settings.a_min)),
        (Tier.B, Q(value__gte=tier_settings.b_min, value__lt=tier_settings.a_min)),
        (Tier.C, Q(value__lt=tier_settings.b_min)),
    ]
    changed = 0
    for tier, condition in bands:
        changed += (
            Customer.objects.alias(value=value)
            .filter(condition)
            .exclude(tier=tier)
            .update(tier=tier)
        )
    counts = {
        row["tier"]: row["n"]
        for row in Customer.objects.order_by().values("tier").annotate(n=Count("pk"))
    }
    default = django_settings.RENEWDESK["DEFAULT_CURRENCY"]
    skipped = tuple(
        sorted(
            set(
                Contract.objects.filter(
                    status=ContractStatus.ACTIVE, start_date__lte=as_of, end_date__gte=as_of
                )
                .exclude(currency__in=[default, *rates])
                .order_by()
                .values_list("currency", flat=True)
                .distinct()
            )
        )
    )
    tier_settings.last_recomputed_at = timezone.now()
    tier_settings.save(update_fields=["last_recomputed_at"])
    return TierRecomputeResult(
        as_of=as_of,
        changed=changed,
        counts={t.value: counts.get(t.value, 0) for t in Tier},
        overridden=Customer.objects.exclude(tier_override="").count(),
        skipped_currencies=skipped,
    )
