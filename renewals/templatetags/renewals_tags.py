"""Template tags used by the sections renewals plugs into other apps' pages (the staff
contract page, the portal contract page and dashboard)."""

from __future__ import annotations

from typing import Any

from django import template

from billing.selectors import invoices_for_contract, invoices_for_customer

register = template.Library()


@register.simple_tag
def renewal_case_for(contract: Any) -> Any:
    """The renewal case of this contract, or of the contract it renews (for a successor)."""
    from renewals.models import RenewalCase

    if contract is None:
        return None
    return (
        RenewalCase.objects.filter(contract=contract).select_related("successor").first()
        or RenewalCase.objects.filter(successor=contract).select_related("contract").first()
    )


@register.simple_tag
def renewal_progress_for(contract: Any) -> Any:
    """The renewal of this contract in the customer's words (steps and next step)."""
    from renewals.portal_progress import renewal_progress_for_customer

    return renewal_progress_for_customer(contract=contract) if contract is not None else None


@register.simple_tag
def invoices_for(contract: Any) -> Any:
    if contract is None:
        return []
    return list(invoices_for_contract(contract=contract).exclude(status="void"))


@register.simple_tag
def customer_invoices(customer: Any) -> Any:
    if customer is None:
        return []
    return list(invoices_for_customer(customer=customer)[:50])


@register.simple_tag
def open_renewals_for(customer: Any) -> Any:
    """Open renewal cases of the customer's contracts, for the portal dashboard, each with
    its ``progress`` in the customer's words."""
    from renewals.models import OPEN_STAGES, RenewalCase

    if customer is None:
        return []
    from renewals.portal_progress import renewal_progress_for_cases

    # Each case carries its progress for the page (not a model attribute).
    cases: list[Any] = list(
        RenewalCase.objects.filter(contract__customer=customer, stage__in=OPEN_STAGES)
        .select_related("contract", "successor")
        .order_by("contract__end_date")
    )
    # Each with its progress, fetched for all of them at once (one query per kind of row,
    # not per case: a customer may have hundreds of contracts).
    progress = renewal_progress_for_cases(cases=cases)
    for case in cases:
        case.progress = progress.get(case.pk)
    return cases


@register.filter
def action_text(text: str) -> str:
    """A case's next action in the reader's language. The services store their own next
    actions as the English source text (gettext_noop), so that a Chinese reader does not
    see the English of whoever acted last, or the other way round; what staff typed has no
    catalogue entry and is shown as typed."""
    from django.utils.translation import gettext

    return gettext(text) if text else text
