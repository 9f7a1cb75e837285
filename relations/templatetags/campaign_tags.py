"""Template tags of campaigns: whether a customer opted out of marketing (the portal's
preferences page shows the one-click button that fits)."""

from __future__ import annotations

from django import template

from customers.models import Customer
from relations.marketing_choices import marketing_opted_out

register = template.Library()


@register.simple_tag
def marketing_opted_out_for(customer: Customer | None) -> bool:
    return customer is not None and marketing_opted_out(customer)
