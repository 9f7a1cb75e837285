"""What the automatic renewal of a contract will do if nobody acts
(``lifecycle.auto_renewal_outlook``), for the portal's renewal page and dashboard and the
staff renewal case page:

- ``{% auto_renewal_outlook contract as outlook %}``: one contract's outlook, or None when
  no automatic renewal is coming;
- ``{% signed_renewal contract as successor %}``: the signed renewal that takes over from
  the contract at the end of its term (its automatic renewal will not run), or None;
- ``{% auto_renewal_offer_outlooks contracts as outlooks %}`` and
  ``{{ outlooks|outlook_for:contract }}``: on the dashboard, the outlook of each listed
  contract whose renewal offer waits for the signature (no query without one).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from contracts.models import Contract
from lifecycle.auto_renewal_outlook import (
    AutoRenewalOutlook,
    auto_renewal_outlook,
    auto_renewal_outlooks_for_offers,
    signed_successor,
)

register = template.Library()


@register.simple_tag(name="auto_renewal_outlook")
def auto_renewal_outlook_tag(contract: Contract | None) -> AutoRenewalOutlook | None:
    if contract is None:
        return None
    return auto_renewal_outlook(contract, today=timezone.localdate())


@register.simple_tag
def signed_renewal(contract: Contract | None) -> Contract | None:
    return signed_successor(contract) if contract is not None else None


@register.simple_tag
def auto_renewal_offer_outlooks(contracts: Any) -> dict[int, AutoRenewalOutlook]:
    return auto_renewal_outlooks_for_offers(list(contracts or []), today=timezone.localdate())


@register.filter
def outlook_for(outlooks: dict[int, AutoRenewalOutlook], contract: Contract) -> Any:
    return (outlooks or {}).get(contract.pk)
