"""Loyalty on other apps' pages.

- ``{% quote_benefits quote as benefits %}``: the loyalty benefits applied to a renewal
  quote, each with its reason (``benefit.reason``), for the quote's staff page, portal
  page and PDF (a complimentary service only while its line is on the quote);
- ``{% contract_member_benefits contract as benefits %}``: the benefits an automatic
  renewal gave the contract it made (no quote to show them on), each with its reason,
  for the contract's staff and portal pages;
- ``{% customer_loyalty_card customer %}``: the customer's points available today and
  member level, with a link to their loyalty page, for the staff customer page (two
  queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from loyalty.models import QuoteBenefit
from loyalty.selectors import member_badge
from loyalty.services import complimentary_matches, contract_benefits

register = template.Library()


@register.simple_tag
def quote_benefits(quote: Any) -> list[QuoteBenefit]:
    number = getattr(quote, "number", "")
    if not number:
        return []
    benefits = list(
        QuoteBenefit.objects.filter(quote_ref=number).select_related(
            "level", "redemption__reward", "privilege__plan", "plan"
        )
    )
    if not any(b.plan_id is not None for b in benefits):
        return benefits
    # A complimentary service's reason only while its line is on the quote: staff who
    # removed (or priced) the line on purpose took the benefit off.
    shown = complimentary_matches(benefits=benefits, lines=list(quote.lines.all())).values()
    return [b for b in benefits if b.plan_id is None or any(b is s for s in shown)]


@register.simple_tag
def contract_member_benefits(contract: Any) -> list[QuoteBenefit]:
    number = getattr(contract, "number", "")
    return contract_benefits(contract_ref=number) if number else []


@register.inclusion_tag("loyalty/_customer_card.html")
def customer_loyalty_card(customer: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "badge": member_badge(customer=customer, on=timezone.localdate()),
    }
