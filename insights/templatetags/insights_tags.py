"""Blocks the insights app adds to other apps' pages (one include line each)."""

from __future__ import annotations

from typing import Any

from django import template

from insights.forms import InteractionForm
from insights.models import Interaction, Survey

register = template.Library()


@register.inclusion_tag("insights/_customer_relationship.html", takes_context=True)
def customer_relationship(context: dict[str, Any], customer: Any) -> dict[str, Any]:
    """The relationship log of a customer, with the form to add to it."""
    interactions = list(
        Interaction.objects.filter(customer=customer)
        .select_related("by", "follow_up_task")
        .order_by("-at", "-id")[:20]
    )
    return {
        "customer": customer,
        "interactions": interactions,
        # A form refused by insights.views.interaction_add comes back bound, with its errors.
        "interaction_form": context.get("interaction_form") or InteractionForm(),
        "surveys": list(
            Survey.objects.filter(customer=customer, answered_at__isnull=False).order_by(
                "-answered_at"
            )[:5]
        ),
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
    }
