"""What the customer can do in the portal under the compliance rules (included under
/portal/ by portal/urls.py, namespace "portal"; docs/compliance.md, "What the customer
can do"):

- switch automatic renewal on (reading the disclosure the rules ask for, ticking to
  accept) or off, on one screen each (``auto_renewal_view``);
- undo an automatic renewal within its window, seeing the refund first
  (``renewal_undo_view``);
- withdraw from a contract within the withdrawal period: the "Withdraw from contract
  here" button on the contract page, then this confirmation page (``withdrawal_view``);
- "Cancel contracts here" (Germany's button, on every portal page): the contracts that
  can be cancelled, each leading to the cancellation flow (``cancel_contracts_view``);
- the customer's credit notes (the refund of an undo or a withdrawal, and any other):
  a list and one page each, with what was set against an invoice and what was paid back
  (``credit_notes_view``, ``credit_note_view``; billing renders no credit note PDF).

Every contract is fetched through portal.access (404 for another customer's). GET shows,
only POST changes anything, with the customer's own IP and user agent.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from billing.models import CreditNote, PaymentKind
from contracts.models import ContractStatus
from core.errors import DomainError
from core.money import money_text
from customers.models import Customer
from portal.access import (
    contract_get_for_customer,
    contracts_for_customer,
    portal_customer,
    portal_login_required,
    scoped_get_or_404,
)

from .auto_renew_choice import auto_renew_disclosure, auto_renew_switch, can_switch
from .contract_withdrawal import (
    contract_withdraw,
    withdrawal_available,
    withdrawal_preview,
    withdrawal_text,
)
from .renewal_undo import renewal_undo, undo_available, undo_consent_text, undo_preview

CANCELLABLE = (ContractStatus.ACTIVE, ContractStatus.SCHEDULED)


def _ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: forwarded headers can be forged by the client.
    return request.META.get("REMOTE_ADDR") or None


def _ua(request: HttpRequest) -> str:
    return request.headers.get("User-Agent", "")[:500]


def _amount(value: str | None) -> Decimal | None:
    """The refund amount the page showed, sent back with the confirmation."""
    try:
        return Decimal(value or "")
    except (InvalidOperation, ValueError):
        return None


@portal_login_required
@require_http_methods(["GET", "POST"])
def auto_renewal_view(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_customer(customer=portal_customer(request), pk=pk)
    today = timezone.localdate()
    disclosure = auto_renew_disclosure(contract, today=today)
    if request.method == "POST":
        if disclosure.enabled and request.POST.get("accept") != "on":
            messages.error(request, _("Tick the box to switch automatic renewal on."))
        else:
            try:
                auto_renew_switch(
                    contract=contract,
                    disclosure=disclosure,
                    digest=request.POST.get("digest", ""),
                    by=request.user,
                    ip_address=_ip(request),
                    user_agent=_ua(request),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("portal:auto-renewal", pk=contract.pk)
            if disclosure.enabled:
                messages.success(
                    request,
                    _("Automatic renewal is on. We have sent you a confirmation."),
                )
            else:
                messages.success(
                    request,
                    _("Automatic renewal is off. We have sent you a confirmation."),
                )
            return redirect("portal:contract-detail", pk=contract.pk)
    return render(
        request,
        "lifecycle/portal/auto_renewal.html",
        {
            "contract": contract,
            "disclosure": disclosure,
            "can_switch": can_switch(contract),
            "portal_section": "home",
        },
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def renewal_undo_view(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_customer(customer=portal_customer(request), pk=pk)
    today = timezone.localdate()
    window = undo_available(contract, today=today)
    preview = undo_preview(contract, today=today) if window else None
    if window is None or preview is None:
        messages.error(request, _("This automatic renewal can no longer be undone online."))
        return redirect("portal:contract-detail", pk=contract.pk)
    if request.method == "POST":
        try:
            result = renewal_undo(
                successor=contract,
                today=today,
                by=request.user,
                expected_refund=_amount(request.POST.get("refund")),
                ip_address=_ip(request),
                user_agent=_ua(request),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:renewal-undo", pk=contract.pk)
        messages.success(
            request,
            _(
                "The automatic renewal is undone. %(refund)s will be refunded; we have sent "
                "you a confirmation."
            )
            % {"refund": money_text(result.refund, preview.currency)},
        )
        return redirect("portal:contract-detail", pk=window.predecessor.pk)
    return render(
        request,
        "lifecycle/portal/renewal_undo.html",
        {
            "contract": contract,
            "window": window,
            "preview": preview,
            "settlement": preview.settlement,
            "text": undo_consent_text(window),
            "portal_section": "home",
        },
    )


@portal_login_required
@require_http_methods(["GET", "POST"])
def withdrawal_view(request: HttpRequest, pk: int) -> HttpResponse:
    contract = contract_get_for_customer(customer=portal_customer(request), pk=pk)
    today = timezone.localdate()
    window = withdrawal_available(contract, today=today)
    preview = withdrawal_preview(contract, today=today) if window else None
    if window is None or preview is None:
        messages.error(request, _("The withdrawal period of this contract is over."))
        return redirect("portal:contract-detail", pk=contract.pk)
    if request.method == "POST":
        try:
            result = contract_withdraw(
                contract=contract,
                today=today,
                by=request.user,
                expected_refund=_amount(request.POST.get("refund")),
                ip_address=_ip(request),
                user_agent=_ua(request),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("portal:contract-withdraw", pk=contract.pk)
        messages.success(
            request,
            _(
                "You have withdrawn from contract %(number)s. %(refund)s will be refunded; "
                "we have sent you a confirmation."
            )
            % {"number": contract.number, "refund": money_text(result.refund, preview.currency)},
        )
        return redirect("portal:contract-detail", pk=contract.pk)
    return render(
        request,
        "lifecycle/portal/withdrawal.html",
        {
            "contract": contract,
            "window": window,
            "preview": preview,
            "settlement": preview.settlement,
            "text": withdrawal_text(contract),
            "portal_section": "home",
        },
    )


@portal_login_required
@require_GET
def cancel_contracts_view(request: HttpRequest) -> HttpResponse:
    """Germany's "Verträge hier kündigen": the customer's contracts that can be cancelled,
    each leading to the cancellation flow's confirmation page (retention)."""
    customer = portal_customer(request)
    today = timezone.localdate()
    contracts = list(
        contracts_for_customer(customer=customer)
        .filter(status__in=CANCELLABLE)
        .order_by("end_date", "number")
    )
    rows = [{"contract": c, "withdrawal": withdrawal_available(c, today=today)} for c in contracts]
    return render(
        request,
        "lifecycle/portal/cancel_contracts.html",
        {"rows": rows, "portal_section": "home"},
    )


def _credit_notes(customer: Customer) -> QuerySet[CreditNote]:
    # Scoped to the logged-in customer: another customer's credit note is a 404.
    return (
        CreditNote.objects.filter(customer=customer)
        .select_related("contract", "invoice")
        .prefetch_related("refunds")
        .order_by("-issue_date", "-id")
    )


@portal_login_required
@require_GET
def credit_notes_view(request: HttpRequest) -> HttpResponse:
    notes = list(_credit_notes(portal_customer(request))[:100])
    return render(
        request,
        "lifecycle/portal/credit_notes.html",
        {"notes": notes, "portal_section": "credit_notes"},
    )


@portal_login_required
@require_GET
def credit_note_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = portal_customer(request)
    note = scoped_get_or_404(_credit_notes(customer), customer=customer, pk=pk)
    refunds = [p for p in note.refunds.all() if p.kind == PaymentKind.REFUND]
    return render(
        request,
        "lifecycle/portal/credit_note.html",
        {"note": note, "refunds": refunds, "portal_section": "credit_notes"},
    )
