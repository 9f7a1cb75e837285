"""``{% auto_renewal_state contract as renewal_state %}``: whether the contract's automatic
renewal was held or turned it into an open-ended contract (lifecycle/auto_renewal_state.py),
for the notice blocks of the staff and portal contract pages
(lifecycle/templates/lifecycle/renewal_state/)."""

from __future__ import annotations

from django import template

from contracts.models import Contract
from lifecycle.auto_renewal_state import AutoRenewalState
from lifecycle.auto_renewal_state import auto_renewal_state as state_read

register = template.Library()


@register.simple_tag
def auto_renewal_state(contract: Contract) -> AutoRenewalState | None:
    return state_read(contract)
