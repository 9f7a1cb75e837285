"""The customer's side of cancelling: thin views over retention.services.

Access goes through portal.access (everything scoped to the logged-in customer).
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from contracts.models import Contract, ContractStatus
from core.errors import DomainError
from portal.access import contract_get_for_customer, portal_customer, portal_login_required
from portal.access import scoped_get_or_404 as _scoped

from . import selectors, services
from .forms import CancelForm, OfferAnswerForm, new_submission_token
from .models import CancellationRequest, Kind, OfferResponse, Reason, RetentionOffer, Status


def _request_for_customer(request: HttpRequest, pk: int) -> CancellationRequest:
    customer = portal_customer(request)
    return _scoped(
        CancellationRequest.objects.select_related("contract", "offer", "confirmation_document"),
        customer=customer,
        pk=pk,
    )


class _Client(TypedDict):
    ip_address: str | None
    user_agent: str


def _client(request: HttpRequest) -> _Client:
    return {
        # REMOTE_ADDR only (forwarded headers can be forged); stored in the consent ledger.
        "ip_address": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:500],
    }


# The customer's answers between the form and the final confirmation, kept in the session
# (server side) per contract: nothing is written to the database before the customer
# either accepts the offer or confirms on the last step.
def _draft_key(contract_pk: int) -> str:
    return f"retention.cancel.{contract_pk}"


def _draft(request: HttpRequest, contract_pk: int) -> dict[str, Any] | None:
    draft = request.session.get(_draft_key(contract_pk))
    return draft if isinstance(draft, dict) and draft.get("kind") else None


def _draft_save(request: HttpRequest, contract_pk: int, draft: dict[str, Any]) -> None:
    request.session[_draft_key(contract_pk)] = draft


def _draft_drop(request: HttpRequest, contract_pk: int) -> None:
    request.session.pop(_draft_key(contract_pk), None)


def _cancellable_contract(request: HttpRequest, pk: int) -> tuple[Contract, HttpResponse | None]:
    """The customer's contract, or a redirect to its open request (one per contract)."""
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    if contract.status == ContractStatus.DRAFT:
        raise Http404  # drafts are staff work, invisible in the portal
    open_request = selectors.open_request_for_contract(contract)
    if open_request is not None:
        return contract, redirect("portal:cancellation-detail", pk=open_request.pk)
    return contract, None


def _fitting_offer(contract: Contract, draft: dict[str, Any]) -> RetentionOffer | None:
    return selectors.offer_for(
        reason=draft["reason"],
        tier=contract.customer.effective_tier,
        today=timezone.localdate(),
    )


def _start_again(request: HttpRequest, contract: Contract) -> HttpResponse:
    messages.info(request, _("Please tell us again how and why you want to end the contract."))
    return redirect("portal:cancellation-start", pk=contract.pk)


@portal_login_required
@require_http_methods(["GET", "POST"])
def cancel_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1: choose non-renewal or early termination, with the preview of both.

    Next: the one save offer that fits (if any), then the final confirmation.
    """
    contract, elsewhere = _cancellable_contract(request, pk)
    if elsewhere is not None:
        return elsewhere
    preview = selectors.cancellation_preview(contract=contract)
    available = [k for k in (Kind.NON_RENEWAL, Kind.EARLY_TERMINATION) if preview.for_kind(k)]
    if request.method == "POST":
        form = CancelForm(request.POST, available_kinds=available)
        if form.is_valid():
            previous = _draft(request, contract.pk) or {}
            draft = {
                "kind": form.cleaned_data["kind"],
                "reason": form.cleaned_data["reason"],
                "reason_text": form.cleaned_data["reason_text"],
                "token": form.cleaned_data["token"] or new_submission_token(),
                # Back on the form after the offer: it stays the one offer of this
                # request (changing the reason does not bring up another one).
                "offer_id": previous.get("offer_id"),
            }
            _draft_save(request, contract.pk, draft)
            offer = _fitting_offer(contract, draft)
            if offer is not None and draft["offer_id"] in (None, offer.pk):
                return redirect("portal:cancellation-offer", pk=contract.pk)
            return redirect("portal:cancellation-review", pk=contract.pk)
    else:
        draft = _draft(request, contract.pk) or {}
        initial_kind = request.GET.get("kind") or draft.get("kind")
        form = CancelForm(
            available_kinds=available,
            initial={
                "token": draft.get("token") or new_submission_token(),
                "kind": initial_kind if initial_kind in available else None,
                "reason": draft.get("reason"),
                "reason_text": draft.get("reason_text", ""),
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
@require_http_methods(["GET", "POST"])
def cancel_offer(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2, only when an offer fits: the one offer, and "continue to cancel" beside it."""
    contract, elsewhere = _cancellable_contract(request, pk)
    if elsewhere is not None:
        return elsewhere
    draft = _draft(request, contract.pk)
    if draft is None:
        return _start_again(request, contract)
    offer = _fitting_offer(contract, draft)
    if request.method == "POST":
        form = OfferAnswerForm(request.POST)
        if request.POST.get("answer") == "accept":
            return _offer_accept(request, contract, draft, form)
        # "Continue to cancel" always goes on, whatever the form carries.
        return redirect("portal:cancellation-review", pk=contract.pk)
    if offer is None or draft.get("offer_id") not in (None, offer.pk):
        # No offer fits, or this request already had its one offer.
        return redirect("portal:cancellation-review", pk=contract.pk)
    # Remembered as shown: the final step records it as declined, and only this offer
    # can be accepted.
    if draft.get("offer_id") != offer.pk:
        draft["offer_id"] = offer.pk
        _draft_save(request, contract.pk, draft)
    return render(
        request,
        "retention/portal/cancel_offer.html",
        {"contract": contract, "offer": offer, "draft": draft},
    )


def _draft_submit(
    request: HttpRequest,
    contract: Contract,
    draft: dict[str, Any],
    *,
    answer: str,
    offer_id: int | None,
) -> CancellationRequest:
    """Submit the draft with the customer's answer to the offer; the draft is done."""
    cancellation = services.cancellation_submit(
        contract=contract,
        kind=draft["kind"],
        reason=draft["reason"],
        reason_text=draft.get("reason_text", ""),
        by=request.user,
        token=draft.get("token") or None,
        offer_answer=answer,
        offer_id=offer_id,
        **_client(request),
    )
    _draft_drop(request, contract.pk)
    return cancellation


def _offer_accept(
    request: HttpRequest, contract: Contract, draft: dict[str, Any], form: OfferAnswerForm
) -> HttpResponse:
    offer_id = form.cleaned_data["offer"] if form.is_valid() else None
    if offer_id is None or offer_id != draft.get("offer_id"):
        messages.error(request, _("This offer is no longer available."))
        return redirect("portal:cancellation-offer", pk=contract.pk)
    try:
        cancellation = _draft_submit(
            request, contract, draft, answer=OfferResponse.ACCEPTED, offer_id=offer_id
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:cancellation-offer", pk=contract.pk)
    messages.success(
        request,
        _("Thank you for staying. The offer has been applied and your request withdrawn."),
    )
    return redirect("portal:cancellation-detail", pk=cancellation.pk)


@portal_login_required
@require_http_methods(["GET", "POST"])
def cancel_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The last step: the effective date, fee, refund and what happens to the service (and
    to a renewal in progress), then "Confirm cancellation". Only this POST submits."""
    customer = portal_customer(request)
    contract = contract_get_for_customer(customer=customer, pk=pk)
    draft = _draft(request, contract.pk)
    if draft is None and request.method == "POST":
        # A second click after the first one went through (the draft is gone with it).
        done = CancellationRequest.objects.filter(
            customer=customer, contract=contract, submission_token=request.POST.get("token") or "-"
        ).first()
        if done is not None:
            return redirect("portal:cancellation-detail", pk=done.pk)
    contract, elsewhere = _cancellable_contract(request, pk)
    if elsewhere is not None:
        return elsewhere
    if draft is None:
        return _start_again(request, contract)
    settlement = selectors.cancellation_preview(contract=contract).for_kind(draft["kind"])
    if settlement is None:
        return _start_again(request, contract)
    if request.method == "POST":
        try:
            # The offer shown and not taken is recorded as declined (if it still fits).
            cancellation = _draft_submit(
                request,
                contract,
                draft,
                answer=OfferResponse.DECLINED,
                offer_id=draft.get("offer_id"),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if cancellation.status == Status.CONFIRMED:
                messages.success(request, _("Done: your contract will not renew."))
            else:
                messages.success(request, _("Your cancellation request has been sent."))
            return redirect("portal:cancellation-detail", pk=cancellation.pk)
    return render(
        request,
        "retention/portal/cancel_review.html",
        {
            "contract": contract,
            "s": settlement,
            "kind_label": Kind(draft["kind"]).label,
            "reason_label": Reason(draft["reason"]).label,
            "reason_text": draft.get("reason_text", ""),
            "renewal": selectors.renewal_in_progress(contract),
            "token": draft.get("token", ""),
            "action": reverse("portal:cancellation-review", args=[contract.pk]),
            "back": reverse("portal:cancellation-start", args=[contract.pk]),
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
@require_http_methods(["GET", "POST"])
def cancellation_continue(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Continue to cancel" on a request made for the customer (by staff) that still waits
    for their answer: GET is the final confirmation with the numbers, POST goes on."""
    if request.method == "GET":
        cancellation = _request_for_customer(request, pk)
        settlement = None
        if cancellation.status == Status.SUBMITTED:
            settlement = selectors.cancellation_preview(contract=cancellation.contract).for_kind(
                cancellation.kind
            )
        if settlement is None:
            return redirect("portal:cancellation-detail", pk=cancellation.pk)
        return render(
            request,
            "retention/portal/cancel_review.html",
            {
                "contract": cancellation.contract,
                "cancellation": cancellation,
                "s": settlement,
                "kind_label": cancellation.get_kind_display(),
                "reason_label": cancellation.get_reason_display(),
                "reason_text": cancellation.reason_text,
                "renewal": selectors.renewal_in_progress(cancellation.contract),
                "action": reverse("portal:cancellation-continue", args=[cancellation.pk]),
                "back": reverse("portal:cancellation-detail", args=[cancellation.pk]),
            },
        )
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
