"""What a renewal quote costs: its lines at today's price list, its totals after the
discount, what a retention grant and the member's loyalty benefits change in it, and the
successor contract's lines made from it. The quote's lifecycle (create, revise, send) is
in ``quotes``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import PERIOD_MONTHS, Contract, Plan
from contracts.services import LineSpec
from core.errors import DomainError
from core.money import money
from loyalty.services import quote_benefits_apply
from renewals.models import Quote, QuoteLine
from retention.selectors import pending_grants_for_next_quote


@dataclass(frozen=True)
class QuoteLineSpec:
    description: str
    quantity: Decimal
    unit_price: Decimal
    plan: Plan | None = None
    source_line_id: int | None = None


def price_per_term(*, plan: Plan, start: dt.date, months: int) -> Decimal:
    """The plan's price in force on ``start`` for a term of ``months`` months."""
    periods = Decimal(months) / Decimal(PERIOD_MONTHS[plan.billing_period])
    return money(plan.price_on(start) * periods)


def renewal_lines_at_current_prices(
    *, contract: Contract, start: dt.date, months: int
) -> list[QuoteLineSpec]:
    """The current contract's lines, repriced from today's price list where a line has a
    product (or the contract a plan and a single line); other lines keep their price."""
    lines = list(contract.lines.select_related("plan"))
    specs = []
    for line in lines:
        plan = line.plan or (contract.plan if len(lines) == 1 else None)
        unit = price_per_term(plan=plan, start=start, months=months) if plan else line.unit_price
        specs.append(
            QuoteLineSpec(
                description=line.description,
                quantity=line.quantity,
                unit_price=unit,
                plan=plan,
                source_line_id=line.pk,
            )
        )
    return specs


def quote_lines_write(quote: Quote, specs: Sequence[QuoteLineSpec]) -> None:
    if not specs:
        raise DomainError(_("A quote needs at least one line."))
    quote.lines.all().delete()
    rows = [
        QuoteLine(
            quote=quote,
            plan=spec.plan,
            source_line_id=spec.source_line_id,
            description=spec.description[:300],
            quantity=spec.quantity,
            unit_price=money(spec.unit_price),
            position=i,
        )
        for i, spec in enumerate(specs)
    ]
    for row in rows:
        if row.quantity <= 0:
            raise DomainError(_("Quantities must be greater than zero."))
        if row.unit_price < 0:
            raise DomainError(_("Prices cannot be negative."))
    QuoteLine.objects.bulk_create(rows)
    quote.subtotal = money(sum((r.amount for r in rows), Decimal("0")))
    quote.discount_amount = money(quote.subtotal * quote.discount_percent / Decimal(100))
    quote.total = quote.subtotal - quote.discount_amount


def quote_retention_grants_apply(
    quote: Quote, contract: Contract, specs: list[QuoteLineSpec], start: dt.date, months: int
) -> list[Any]:
    """Apply what a retention offer promised (discount, installments, downgrade) to the
    first quote. Returns the grants used."""
    used = []
    for grant in pending_grants_for_next_quote(contract=contract):
        changes = quote_grant_changes(
            grant,
            quote=quote,
            source_line_id=specs[0].source_line_id if specs else None,
            start=start,
            months=months,
        )
        if not changes:
            continue
        if "lines" in changes:
            specs[:] = changes.pop("lines")
        for field_name, value in changes.items():
            setattr(quote, field_name, value)
        used.append(grant)
    quote_member_benefits_apply(quote, contract)
    return used


def quote_member_benefits_apply(quote: Quote, contract: Contract) -> None:
    """The member's loyalty benefits on the first quote: the level's renewal discount and
    any renewal discount redeemed with points, added to the discount above. loyalty keeps
    one row per benefit with its reason, which the quote's pages and PDF show. A customer
    without a level or a redeemed reward keeps the quote as it was."""
    loyalty = quote_benefits_apply(
        customer=contract.customer, quote_ref=quote.number, on=timezone.localdate()
    )
    if loyalty.discount_percent:
        quote.discount_percent = min(
            Decimal(100), quote.discount_percent + loyalty.discount_percent
        )


def quote_grant_changes(
    grant: Any, *, quote: Quote, source_line_id: int | None, start: dt.date, months: int
) -> dict[str, Any]:
    """What a retention grant changes in a quote (the one rule, for the first quote and for
    one already written): discount_percent, installments or lines; {} when nothing."""
    if grant.kind == "discount" and grant.discount_percent:
        return {"discount_percent": max(quote.discount_percent, grant.discount_percent)}
    if grant.kind == "installments" and grant.installments:
        return {"installments": min(12, max(quote.installments, grant.installments))}
    if grant.kind == "downgrade" and grant.plan_id:
        plan = grant.plan
        return {
            "lines": [
                QuoteLineSpec(
                    description=plan.name,
                    quantity=Decimal(1),
                    unit_price=price_per_term(plan=plan, start=start, months=months),
                    plan=plan,
                    source_line_id=source_line_id,
                )
            ]
        }
    return {}


def quote_successor_lines(quote: Quote) -> list[LineSpec]:
    """The quote's lines as contract lines, with the renewal discount spread over them."""
    factor = (Decimal(100) - quote.discount_percent) / Decimal(100)
    return [
        LineSpec(
            description=ql.description,
            quantity=ql.quantity,
            unit_price=money(ql.unit_price * factor),
            plan=ql.plan,
        )
        for ql in quote.lines.all()
    ]
