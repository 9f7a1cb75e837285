"""The customer's side of cancelling: thin views over retention.services.

Access goes through portal.access (everything scoped to the logged-in customer).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from contracts.models import ContractStatus
from core.errors import DomainError
from portal.access import contract_get_for_customer, portal_customer, portal_login_required
from portal.access import scoped_get_or_404 as _scoped

from . import selectors, services
from .forms import CancelForm, new_submission_token
from .models import CancellationRequest, Kind


def _request_for_customer(request: HttpRequest, pk: int) -> CancellationRequest:
    customer = portal_customer(request)
    return _scoped(
        CancellationRequest.objects.select_related("contract", "offer", "confirmation_document"),
        customer=customer,
        pk=pk,
    )


def _client(request: HttpRequest) -> dict[str, str | None]:
    return {
        # REMOTE_ADDR only (forwarded headers can be forged); stored in the consent ledger.
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500],
    }


@portal_login_required
@require_http_methods(["GET", "POST"])
def cancel_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose non-renewal or early termination, with the preview of both, then submit."""
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    if contract.status == ContractStatus.DRAFT:
        raise Http404  # drafts are staff work, invisible in the portal
    open_request = selectors.open_request_for_contract(contract)
    if open_request is not None:
        return redirect("portal:cancellation-detail", pk=open_request.pk)
    preview = selectors.cancellation_preview(contract=contract)
    available = [k for k in (Kind.NON_RENEWAL, Kind.EARLY_TERMINATION) if preview.for_kind(k)]
    if request.method == "POST":
        form = CancelForm(request.POST, available_kinds=available)
        if form.is_valid():
            try:
                cancellation = services.cancellation_submit(
                    contract=contract,
                    kind=form.cleaned_data["kind"],
                    reason=form.cleaned_data["reason"],
                    reason_text=form.cleaned_data["reason_text"],
                    by=request.user,
                    token=form.cleaned_data["token"] or None,
                    **_client(request),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("portal:cancellation-detail", pk=cancellation.pk)
    else:
        initial_kind = request.GET.get("kind")
        form = CancelForm(
            available_kinds=available,
            initial={
                "token": new_submission_token(),
                "kind": initial_kind if initial_kind in available else None,
            },
        )
    return render(
        request,
        "retention/portal/cancel_start.html",
        {
            "contract": contract,
            "form": form,
            "preview": preview,
            "available": available,
            "kinds": Kind,
        },
    )


@portal_login_required
def cancellation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress with timestamps; the offer (if one is waiting) next to "continue to cancel"."""
    cancellation = _request_for_customer(request, pk)
    events = cancellation.events.filter(internal=False).order_by("at", "id")
    return render(
        request,
        "retention/portal/request_detail.html",
        {
            "cancellation": cancellation,
            "contract": cancellation.contract,
            "events": events,
            "preview": cancellation.preview,
        },
    )


def _act(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    cancellation = _request_for_customer(request, pk)
    try:
        action(cancellation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("portal:cancellation-detail", pk=cancellation.pk)


@portal_login_required
@require_POST
def cancellation_continue(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda c: services.cancellation_continue(request=c, by=request.user, **_client(request)),
        _("Your cancellation goes ahead."),
    )


@portal_login_required
@require_POST
def cancellation_accept_offer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda c: services.cancellation_offer_accept(request=c, by=request.user),
        _("Thank you for staying. The offer has been applied and your request withdrawn."),
    )


@portal_login_required
@require_POST
def cancellation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda c: services.cancellation_withdraw(request=c, by=request.user),
        _("Your cancellation request has been withdrawn. Your contract continues."),
    )
