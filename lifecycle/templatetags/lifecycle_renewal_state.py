"""``{% auto_renewal_state contract as renewal_state %}``: whether the contract's automatic
renewal was held or turned it into an open-ended contract (lifecycle/auto_renewal_state.py),
for the notice blocks of the staff and portal contract pages
(lifecycle/templates/lifecycle/renewal_state/) and their notice period (an open-ended
contract has none of its own: the customer may end it at any time with the rules'
notice, ``renewal_state.notice_months``)."""

from __future__ import annotations

from django import template

from contracts.models import Contract
from lifecycle.auto_renewal_state import AutoRenewalState
from lifecycle.auto_renewal_state import auto_renewal_state as state_read

register = template.Library()


_CACHE_ATTR = "_lifecycle_renewal_state"


@register.simple_tag
def auto_renewal_state(contract: Contract) -> AutoRenewalState | None:
    # Read once per contract object: the notice block and the notice period both ask.
    if not hasattr(contract, _CACHE_ATTR):
        setattr(contract, _CACHE_ATTR, state_read(contract))
    state: AutoRenewalState | None = getattr(contract, _CACHE_ATTR)
    return state
