"""Where a cancellation meets a renewal in progress, and an accepted offer meets a quote.

Both writes run after the cancellation's own transaction has committed, through the
renewals app's services. Renewals lock the renewal case first and the contracts second;
the cancellation services lock the contract first. Doing the renewal work inside the
cancellation's transaction would take the two locks in opposite orders and could
deadlock with a signature, so it waits for the commit. The window is safe: while the
cancellation request is open, renewals refuse to sign (``renewal_blocked_by_cancellation``
under the predecessor's row lock).
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from contracts import services as contract_services

from ..models import CancellationRequest, GrantStatus, OfferGrant, Status
from ..selectors import UNSIGNED_SUCCESSOR, renewal_in_progress

log = logging.getLogger(__name__)

# A successor in these statuses is a renewal in progress: prepared or sent, not signed.

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
    closed as lost (the quote withdrawn, the unsigned successor voided). What the
    customer and staff were told before confirming. Returns whether anything changed."""
    from renewals.models import RenewalCase
    from renewals.services import case_lose

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
    """An offer accepted while the contract's renewal quote already exists (draft or sent)
    is applied to that quote now: the renewal builds its quote once, so a grant left
    pending would wait for a quote that never comes. A sent quote goes back to draft for
    the account manager to send again (their task says so). Returns whether it applied."""
    from renewals.models import Quote, QuoteStatus
    from renewals.services import quote_apply_grant

    from .offers import grant_mark_used

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


def _after_commit(fn: Any, what: str, **kwargs: Any) -> None:
    """Run ``fn(**kwargs)`` after the commit; a failure is logged, never undoes the
    cancellation (the account manager's task for the request still shows it)."""
    from django.db import transaction

    def run() -> None:
        try:
            fn(**kwargs)
        except Exception:  # noqa: BLE001 - the cancellation stands; staff finish by hand
            log.exception("%s failed for %s", what, kwargs)

    transaction.on_commit(run)


def schedule_renewal_withdraw(*, request: CancellationRequest, by: Any) -> None:
    _after_commit(
        renewal_withdraw_for_cancellation,
        "withdrawing the renewal in progress",
        request_id=request.pk,
        by=by,
    )


def schedule_grant_apply(*, grant: OfferGrant, by: Any) -> None:
    if grant.status == GrantStatus.PENDING:
        _after_commit(grant_apply_to_open_quote, "applying the grant", grant_id=grant.pk, by=by)
