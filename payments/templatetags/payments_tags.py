"""``{% invoice_payment_attempts invoice %}``: the online payment attempts of an invoice on
the staff invoice page, mismatches first in view."""

from __future__ import annotations

from typing import Any

from django import template

from payments.providers import providers_configured
from payments.selectors import attempts_for_invoice

register = template.Library()


@register.inclusion_tag("payments/staff/_invoice_attempts.html")
def invoice_payment_attempts(invoice: Any) -> dict[str, Any]:
    return {"attempts": list(attempts_for_invoice(invoice=invoice)[:20]), "invoice": invoice}


@register.simple_tag
def payment_methods_offered() -> list[str]:
    """The codes of the configured providers, in the order customers see them."""
    return [p.code for p in providers_configured()]
