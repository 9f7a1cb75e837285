"""Online payments on the staff pages:

- ``{% invoice_payment_attempts invoice %}``: the attempts of an invoice, mismatches in view;
- ``{% invoice_provider_refunds invoice %}``: the refunds sent back through a provider for
  the invoice's credit notes or on its payments;
- ``{% provider_refunds_by_note notes as refunds %}`` then ``{% note_provider_refunds
  refunds note %}`` in each row: the same for a list of credit notes, in one query;
- ``{% customer_payment_methods customer %}``: the customer's saved payment methods
  (display text, status, consent date).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.db.models import Q

from payments.models import PaymentMandate, ProviderRefund
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


def _refunds() -> Any:
    return ProviderRefund.objects.select_related("credit_note", "refund_payment").order_by(
        "-created_at", "-id"
    )


@register.inclusion_tag("payments/staff/_provider_refunds.html")
def invoice_provider_refunds(invoice: Any) -> dict[str, Any]:
    refunds = _refunds().filter(Q(credit_note__invoice=invoice) | Q(payment__invoice=invoice))
    return {"refunds": list(refunds[:50]), "heading": True}


@register.simple_tag
def provider_refunds_by_note(notes: Iterable[Any]) -> dict[int, list[ProviderRefund]]:
    """The provider refunds of each credit note of ``notes``, by the note's id."""
    found: dict[int, list[ProviderRefund]] = defaultdict(list)
    ids = [n.pk for n in notes]
    if ids:
        for refund in _refunds().filter(credit_note_id__in=ids):
            found[refund.credit_note_id].append(refund)
    return dict(found)


@register.inclusion_tag("payments/staff/_note_refunds.html")
def note_provider_refunds(
    refunds: Mapping[int, list[ProviderRefund]] | None, note: Any
) -> dict[str, Any]:
    """One credit note's provider refunds, from ``provider_refunds_by_note``'s map."""
    key = getattr(note, "pk", None)
    found = list((refunds or {}).get(key, [])) if key is not None else []
    return {"refunds": found, "pending": any(r.status == "pending" for r in found)}


@register.inclusion_tag("payments/staff/_customer_mandates.html")
def customer_payment_methods(customer: Any) -> dict[str, Any]:
    mandates = (
        PaymentMandate.objects.filter(customer=customer)
        .select_related("contract", "consent", "revoke_consent")
        .order_by("-created_at", "-id")
    )
    return {"mandates": list(mandates[:20])}
