"""Template tags of the portal's compliance sections (lifecycle/portal_views.py):

- ``{% customer_rights contract as rights %}``: on the contract page, whether automatic
  renewal can be switched, and the undo and withdrawal windows open today;
- ``{% cancel_button_shown as show %}``: on every portal page, whether the logged-in
  customer's rules ask for a "cancel contracts here" button (Germany). Read once per
  request.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from compliance.selectors import ruleset_for
from contracts.models import Contract
from lifecycle.auto_renew_choice import can_switch
from lifecycle.auto_renewal_state import auto_renewal_state
from lifecycle.contract_withdrawal import withdrawal_available
from lifecycle.renewal_undo import undo_available

register = template.Library()

_CACHE_ATTR = "_lifecycle_cancel_button"


@register.simple_tag
def customer_rights(contract: Contract) -> dict[str, Any]:
    today = timezone.localdate()
    state = auto_renewal_state(contract) if contract.auto_renew else None
    return {
        "held": bool(state and state.held),
        "can_switch": can_switch(contract),
        "undo": undo_available(contract, today=today),
        "withdrawal": withdrawal_available(contract, today=today),
    }


@register.simple_tag(takes_context=True)
def cancel_button_shown(context: Any) -> bool:
    customer = context.get("portal_customer")
    if customer is None:
        return False
    request = context.get("request")
    if request is not None and hasattr(request, _CACHE_ATTR):
        return bool(getattr(request, _CACHE_ATTR))
    shown = ruleset_for(customer, on=timezone.localdate()).requires_cancel_button
    if request is not None:
        setattr(request, _CACHE_ATTR, shown)
    return shown
