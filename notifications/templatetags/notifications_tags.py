from __future__ import annotations

from django import template

from notifications.selectors import message_kind_label, messages_for_contract, staff_unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def staff_bell(context):
    """The staff navbar bell: unread in-app notifications for the logged-in staff user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": staff_unread_count(user=user) if user else 0}


@register.simple_tag
def contract_messages(contract):
    return messages_for_contract(contract=contract).select_related("customer", "user")[:200]


@register.filter
def kind_label(kind: str) -> str:
    """``{{ m.kind|kind_label }}``: "Renewal reminder" for ``renewal_reminder``."""
    return message_kind_label(kind)
