"""Where a cancellation meets a renewal in progress, and an accepted offer meets a quote.

Two reactions to a cancellation request's events (rows of ``lifecycle/subscriptions.py``):

- a confirmed cancellation withdraws the renewal in progress (what the customer and staff
  were told before confirming): the renewal case is closed as lost, its quote withdrawn
  and the unsigned successor voided;
- an offer accepted while the contract's renewal quote already exists (draft or sent) is
  applied to that quote (the renewal builds its quote once, so a grant left pending
  would wait for a quote that never comes).

Both run after the cancellation's own transaction has committed (not ``in_transaction``).
Renewals lock the renewal case first and the contracts second; the cancellation services
lock the contract first. Doing the renewal work inside the cancellation's transaction
would take the two locks in opposite orders and could deadlock with a signature. The
window is safe: while the cancellation request is open, renewals refuse to sign
(``renewal_blocked_by_cancellation`` under the predecessor's row lock). A failure never
undoes the cancellation: the reaction is tried again later (``lifecycle.reactions``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from contracts import services as contract_services
from renewals.models import Quote, QuoteStatus, RenewalCase
from renewals.services import case_lose, quote_apply_grant
from retention.models import CancellationRequest, GrantStatus, OfferGrant, RequestEvent, Status
from retention.selectors import UNSIGNED_SUCCESSOR, renewal_in_progress
from retention.services import grant_mark_used

# The renewal case's loss reason for each cancellation reason.
LOSS_REASON = {
    "price": "price",
    "budget": "budget",
    "low_usage": "no_longer_needed",
    "service_quality": "service",
    "competitor": "competitor",
    "business_closed": "no_longer_needed",
    "other": "other",
}


def renewal_withdraw_for_cancellation(*, request_id: int, by: Any = None) -> bool:
    """A confirmed cancellation withdraws the renewal in progress: its renewal case is
    closed as lost (the quote withdrawn, the unsigned successor voided). Returns whether
    anything changed."""
    request = CancellationRequest.objects.select_related("contract").get(pk=request_id)
    if request.status not in (Status.CONFIRMED, Status.COMPLETED):
        return False
    contract = request.contract
    successor = renewal_in_progress(contract)
    if successor is None:
        return False
    note = _("Cancellation request %(id)s confirmed") % {"id": request.pk}
    case = RenewalCase.objects.filter(contract=contract).first()
    if case is not None and case.is_open and case.successor_id in (None, successor.pk):
        case_lose(case=case, reason=LOSS_REASON.get(request.reason, "other"), by=by, note=note)
    successor.refresh_from_db()
    if successor.status in UNSIGNED_SUCCESSOR:
        # No open case holds it (or the case's quote was not draft/sent): void it directly.
        contract_services.contract_void(contract=successor, by=by, reason=note)
    contract_services.event_record(
        contract=contract,
        kind="renewal_withdrawn",
        by=by,
        reason=note,
        payload={"request": request.pk, "successor": successor.number},
    )
    return True


def grant_apply_to_open_quote(*, grant_id: int, by: Any = None) -> bool:
    """Apply a pending grant to the contract's open renewal quote, if there is one. A sent
    quote goes back to draft for the account manager to send again (their task says so).
    Returns whether it applied."""
    grant = OfferGrant.objects.select_related("offer", "plan").get(pk=grant_id)
    if grant.status != GrantStatus.PENDING:
        return False
    quote = (
        Quote.objects.filter(
            case__contract_id=grant.contract_id,
            status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT],
        )
        .order_by("-id")
        .first()
    )
    if quote is None:
        return False  # the next quote_create applies it
    if not quote_apply_grant(quote=quote, grant=grant, by=by):
        return False
    grant_mark_used(grant=grant, by=by, quote_ref=quote.number)
    return True


# --- the reactions (rows of lifecycle/subscriptions.py) ------------------------------------


def renewal_withdraw_on_confirmed(event: RequestEvent) -> None:
    """Retention → renewals: the request was confirmed."""
    renewal_withdraw_for_cancellation(request_id=event.request_id, by=event.actor)


def grant_apply_on_offer_accepted(event: RequestEvent) -> None:
    """Retention → renewals: the customer stayed with an offer; its grant (in the event's
    payload) shapes the quote already written, if any."""
    grant_id = event.payload.get("grant")
    if grant_id:
        grant_apply_to_open_quote(grant_id=grant_id, by=event.actor)
