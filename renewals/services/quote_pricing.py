"""What a renewal quote costs: its lines at today's price list, its totals after the
discount, what a retention grant and the member's loyalty benefits change in it (a
discount, a complimentary service line), and the successor contract's lines made from it.
The quote's lifecycle (create, revise, send) is in ``quotes``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import PERIOD_MONTHS, Contract, ContractLine, Plan
from contracts.services import LineSpec
from core.errors import DomainError
from core.money import money
from loyalty.services import (
    complimentary_line_description,
    complimentary_matches,
    may_be_complimentary,
    quote_benefits_apply,
    quote_services_given,
)
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
    product (or the contract a plan and a single line); other lines keep their price.

    A line a member privilege gave free on the quote this contract was made from is left
    out: repriced it would be charged in full, kept it would stay free for a customer who
    may no longer have the level. The new quote gets it again only through the privilege
    (``quote_member_benefits_apply``); an automatic renewal, which has no quote, through
    ``member_benefit_specs``."""
    lines = list(contract.lines.select_related("plan"))
    given = contract_complimentary_lines(contract=contract, lines=lines)
    lines = [line for line in lines if line.pk not in given]
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


def contract_complimentary_lines(
    *, contract: Contract, lines: Sequence[ContractLine] | None = None
) -> dict[int, Any]:
    """The contract's lines that a member privilege gave free on the quote the contract
    was made from (line id -> the loyalty benefit that marks it). The mark is loyalty's
    benefit row of that quote (product and quantity); see
    ``loyalty.services.complimentary_matches``. No query when no line is a product at
    price 0."""
    if lines is None:
        lines = list(contract.lines.all())
    if not may_be_complimentary(lines):
        return {}
    numbers = Quote.objects.filter(case__successor=contract).values("number")
    # A contract an automatic renewal made has no quote: its benefits name the contract.
    given = quote_services_given(quote_refs=numbers, contract_ref=contract.number)
    return complimentary_matches(benefits=given, lines=lines)


def quote_complimentary_specs(quote: Quote) -> list[QuoteLineSpec]:
    """The quote's complimentary lines as they are, for a change that rewrites the
    lines (a downgrade grant) to keep: only staff removing one loses it."""
    if quote.pk is None:
        return []
    lines = list(quote.lines.select_related("plan"))
    if not may_be_complimentary(lines):
        return []
    given = complimentary_matches(
        benefits=quote_services_given(quote_refs=[quote.number]), lines=lines
    )
    return [
        QuoteLineSpec(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            plan=line.plan,
            source_line_id=line.source_line_id,
        )
        for line in lines
        if line.pk in given
    ]


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
    quote_member_benefits_apply(quote, contract, specs)
    return used


def quote_member_benefits_apply(
    quote: Quote, contract: Contract, specs: list[QuoteLineSpec]
) -> None:
    """The member's loyalty benefits on the first quote: the level's renewal discount and
    any renewal discount redeemed with points, added to the discount above, and the
    level's extra services, each added to ``specs`` as a complimentary line (its product
    at price 0, described in the customer's language as a member privilege). loyalty keeps
    one row per benefit with its reason, which the quote's pages and PDF show. A customer
    without a level or a redeemed reward keeps the quote as it was. Applied again to the
    same quote it adds nothing more."""
    loyalty = quote_benefits_apply(
        customer=contract.customer, quote_ref=quote.number, on=timezone.localdate()
    )
    if loyalty.discount_percent:
        quote.discount_percent = min(
            Decimal(100), quote.discount_percent + loyalty.discount_percent
        )
    complimentary_specs_add(contract=contract, specs=specs, services=loyalty.services)


def complimentary_specs_add(
    *, contract: Contract, specs: list[QuoteLineSpec], services: Sequence[Any]
) -> None:
    """Add the level's extra services (loyalty benefits naming a product) to ``specs`` as
    complimentary lines: the product at price 0, described in the customer's language as
    a member privilege, once each, continuing the current contract's free line."""
    if not services:
        return
    # The free line of the current contract this one continues (the privilege given
    # again), so that the difference table shows it unchanged rather than removed and
    # added.
    continued = {
        benefit.plan_id: line_id
        for line_id, benefit in contract_complimentary_lines(contract=contract).items()
    }
    language = contract.customer.language
    for benefit in services:
        if any(
            spec.plan is not None and spec.plan.pk == benefit.plan_id and spec.unit_price == 0
            for spec in specs
        ):
            continue  # already on the quote
        specs.append(
            QuoteLineSpec(
                description=complimentary_line_description(benefit=benefit, language=language),
                quantity=benefit.quantity or Decimal(1),
                unit_price=Decimal("0"),
                plan=benefit.plan,
                source_line_id=continued.pop(benefit.plan_id, None),
            )
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
                ),
                # The downgrade replaces what is sold, not what the member is given.
                *quote_complimentary_specs(quote),
            ]
        }
    return {}


def member_benefit_specs(
    *, contract: Contract, specs: list[QuoteLineSpec], loyalty: Any
) -> list[QuoteLineSpec]:
    """An automatic renewal's lines with the member's benefits, as a quote would have
    them (``loyalty``: ``loyalty.services.renewal_benefits_due``): the level's extra
    services added free, and the renewal discounts spread over the lines the way
    :func:`quote_successor_lines` spreads a quote's."""
    specs = list(specs)
    complimentary_specs_add(contract=contract, specs=specs, services=loyalty.services)
    if not loyalty.discount_percent:
        return specs
    return [
        replace(spec, unit_price=discounted(spec.unit_price, loyalty.discount_percent))
        for spec in specs
    ]


def discounted(unit_price: Decimal, percent: Decimal) -> Decimal:
    """A unit price with a renewal discount spread over it (the one rounding rule for a
    signed quote's successor lines and an automatic renewal's)."""
    return money(unit_price * (Decimal(100) - percent) / Decimal(100))


def quote_successor_lines(quote: Quote) -> list[LineSpec]:
    """The quote's lines as contract lines, with the renewal discount spread over them."""
    return [
        LineSpec(
            description=ql.description,
            quantity=ql.quantity,
            unit_price=discounted(ql.unit_price, quote.discount_percent),
            plan=ql.plan,
        )
        for ql in quote.lines.all()
    ]
