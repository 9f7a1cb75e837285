"""Builders for the service-level tests: a renewal whose quote carries indicators and
whose successor contract is in force, with fixed dates (no clock is read)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from contracts.models import ContractStatus
from relations.service_levels import IndicatorSpec, indicator_add
from renewals.models import Quote, QuoteStatus, RenewalCase
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

_numbers = iter(range(1, 1_000_000))


def uptime_spec(**overrides: Any) -> IndicatorSpec:
    """Uptime at least 99.9% a month; a breach credits 10% of the month's fee, at most
    1,000 over the term."""
    values: dict[str, Any] = {
        "kind": "uptime_percent",
        "target": Decimal("99.9"),
        "period": "monthly",
        "compensation_rule": "percent_of_fee",
        "compensation_value": Decimal("10"),
        "compensation_cap": Decimal("1000"),
    }
    values.update(overrides)
    return IndicatorSpec(**values)


def renewal(
    *,
    start: dt.date = dt.date(2028, 1, 1),
    end: dt.date = dt.date(2028, 12, 31),
    total: Decimal = Decimal("36600.00"),
    successor_status: str = ContractStatus.ACTIVE,
    customer: Any = None,
) -> dict[str, Any]:
    """A predecessor, its renewal case with a draft quote, and the successor contract the
    quote became (in ``successor_status``). 36,600 over the 366 days of 2028 is 100 a day."""
    manager = StaffFactory()
    customer = customer or CustomerFactory(account_manager=manager)
    predecessor = ContractFactory(
        customer=customer, status=ContractStatus.RENEWED, end_date=start - dt.timedelta(days=1)
    )
    successor = ContractFactory(
        customer=customer,
        status=successor_status,
        start_date=start,
        end_date=end,
        total_amount=total,
    )
    case = RenewalCase.objects.create(
        contract=predecessor,
        owner=customer.account_manager,
        opened_at=timezone.make_aware(dt.datetime.combine(start, dt.time(9))),
        successor=successor,
    )
    quote = Quote.objects.create(
        case=case,
        number=f"BJ-SLA-{next(_numbers):06d}",
        start_date=start,
        end_date=end,
        billing_period="monthly",
    )
    return {
        "manager": customer.account_manager,
        "customer": customer,
        "predecessor": predecessor,
        "successor": successor,
        "case": case,
        "quote": quote,
    }


def sign(quote: Quote) -> None:
    """The quote as the signing service leaves it (the status writers are not under test)."""
    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.SIGNED)
    quote.refresh_from_db()


def agreed(world: dict[str, Any], spec: IndicatorSpec | None = None) -> Any:
    """An indicator added to the draft quote, which is then signed."""
    indicator = indicator_add(quote=world["quote"], spec=spec or uptime_spec(), by=world["manager"])
    sign(world["quote"])
    return indicator
