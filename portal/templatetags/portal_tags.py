"""``{% portal_slot "name" %}``: where other apps plug sections into portal pages.

A slot renders every template listed for it in SLOTS that exists, with the page's
context; an app that is not built yet simply renders nothing. To add a section, create
the template named here in your app (e.g. renewals/templates/renewals/portal/
_contract_renewal.html); it receives ``contract`` (already scoped to the customer) and
``request``.
"""

from __future__ import annotations

from django import template
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

register = template.Library()

SLOTS: dict[str, list[str]] = {
    "dashboard": ["renewals/portal/_dashboard.html", "retention/portal/_dashboard.html"],
    "renewal": [
        "renewals/portal/_contract_renewal.html",
        "payments/mandate/_contract_mandate.html",
    ],
    "cancellation": ["retention/portal/_contract_cancellation.html"],
    "billing": [
        "renewals/portal/_contract_billing.html",
        "contracts/portal/_contract_billing.html",
        "relations/portal/_contract_service_levels.html",
        "lifecycle/portal/_contract_credit_notes.html",
    ],
}


@register.simple_tag(takes_context=True)
def portal_slot(context, name: str) -> str:
    parts = []
    for template_name in SLOTS.get(name, []):
        try:
            tpl = get_template(template_name)
        except TemplateDoesNotExist:
            continue
        parts.append(tpl.render(context.flatten(), context.get("request")))
    from django.utils.safestring import mark_safe

    return mark_safe("".join(parts))  # noqa: S308 - rendered templates are already escaped
