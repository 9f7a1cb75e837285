"""``{% quote_benefits quote as benefits %}``: the loyalty benefits applied to a renewal
quote, each with its reason (``benefit.reason``), for the quote's staff page, portal page
and PDF."""

from __future__ import annotations

from typing import Any

from django import template

from loyalty.models import QuoteBenefit

register = template.Library()


@register.simple_tag
def quote_benefits(quote: Any) -> list[QuoteBenefit]:
    number = getattr(quote, "number", "")
    if not number:
        return []
    return list(
        QuoteBenefit.objects.filter(quote_ref=number).select_related("level", "redemption__reward")
    )
