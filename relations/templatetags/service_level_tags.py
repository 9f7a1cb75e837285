"""Service levels on pages of other apps, which may not import relations: the renewal
case page and the portal's renewal offer (``{% quote_service_levels quote %}``), the quote
PDF (``{% quote_service_levels quote pdf=True %}``) and the portal's contract page
(``{% contract_service_levels_link contract %}``, through the "billing" portal slot)."""

from __future__ import annotations

from typing import Any

from django import template

from relations.service_level_models import ServiceIndicator
from relations.service_levels import indicators_for_contract

register = template.Library()


@register.inclusion_tag("relations/_quote_service_levels.html")
def quote_service_levels(quote: Any, staff: bool = False, pdf: bool = False) -> dict[str, Any]:
    indicators = list(ServiceIndicator.objects.filter(quote=quote)) if quote else []
    case = getattr(quote, "case", None)
    return {
        "quote": quote,
        "indicators": indicators,
        "staff": staff,
        "pdf": pdf,
        "successor": getattr(case, "successor", None) if staff else None,
    }


@register.inclusion_tag("relations/portal/_service_levels_link.html")
def contract_service_levels_link(contract: Any) -> dict[str, Any]:
    return {"contract": contract, "count": indicators_for_contract(contract).count()}
