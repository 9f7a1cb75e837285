"""Retention offers: make one, accept it (apply its effect), mark grants used."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import services as contract_services
from contracts.models import Contract, ContractLine
from core.errors import DomainError
from core.models import TaskKind
from core.services import in_language_of, task_create

from .. import messaging, policy, selectors
from ..models import (
    AWAITING_STAFF,
    CancellationRequest,
    GrantStatus,
    Kind,
    OfferGrant,
    OfferKind,
    OfferResponse,
    RetentionOffer,
    Status,
)
from ..request_states import request_status_change
from .request_steps import _locked, _message_context, _refresh, _refuse, _task_close, request_event

log = logging.getLogger(__name__)

# --- offers ------------------------------------------------------------------------------


def cancellation_offer_make(
    *, request: CancellationRequest, offer: RetentionOffer, by: Any, today: dt.date | None = None
) -> CancellationRequest:
    """Staff put one offer in front of the customer (if none was shown yet)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        _contract, locked = _locked(request)
        if locked.status not in AWAITING_STAFF:
            raise _refuse(locked, _("given an offer"))
        if locked.offer_id is not None:
            raise DomainError(
                _("This request already had its one retention offer."), code="offer_used"
            )
        if not offer.is_valid_on(today):
            raise DomainError(_("This offer is not valid today."))
        now = timezone.now()
        locked.offer = offer
        locked.offer_shown_at = now
        locked.offer_response = OfferResponse.NONE
        locked.first_response_at = locked.first_response_at or now
        locked.save(
            update_fields=[
                "offer",
                "offer_shown_at",
                "offer_response",
                "first_response_at",
                "updated_at",
            ]
        )
        request_event(request=locked, kind="offer_made", by=by, payload={"offer": offer.code})
        messaging.message_to_customer(
            kind="cancellation_offer",
            customer=locked.customer,
            contract=locked.contract,
            context=_message_context(locked),
            dedupe_key=f"cancellation-offer-{locked.pk}",
        )
    return _refresh(request)


def cancellation_offer_accept(
    *, request: CancellationRequest, by: Any, today: dt.date | None = None
) -> CancellationRequest:
    """The customer stays: apply the offer to the contract and withdraw the request."""
    today = today or timezone.localdate()
    with transaction.atomic():
        contract, locked = _locked(request)
        if locked.status == Status.RETAINED:
            return _refresh(request)
        _offer_accept_locked(contract=contract, locked=locked, by=by, today=today)
    return _refresh(request)


def _offer_accept_locked(
    *, contract: Contract, locked: CancellationRequest, by: Any, today: dt.date
) -> None:
    """Accept the request's offer, with the contract and the request locked by the caller."""
    if locked.status not in AWAITING_STAFF or locked.offer_id is None:
        raise _refuse(locked, _("kept with an offer"))
    if locked.offer_response == OfferResponse.DECLINED:
        raise DomainError(_("This offer was declined."))
    offer = locked.offer
    assert offer is not None
    if not offer.is_valid_on(today):
        raise DomainError(_("This offer has expired."), code="offer_expired")
    # Valued on the contract as it was: applying the offer may move its end date.
    saved = revenue_saved(contract=contract, request=locked, offer=offer)
    grant = _offer_apply(contract=contract, request=locked, offer=offer, by=by, today=today)
    answered_at = timezone.now()
    request_status_change(
        locked,
        Status.RETAINED,
        by=by,
        note=offer.title,
        payload={"offer": offer.code, "grant": grant.pk, "revenue_saved": str(saved)},
        updates={
            "offer_response": OfferResponse.ACCEPTED,
            "offer_responded_at": answered_at,
            "withdrawn_at": answered_at,
            "revenue_saved": saved,
        },
    )
    _task_close(locked, by=by)
    messaging.message_to_customer(
        kind="cancellation_offer_accepted",
        customer=locked.customer,
        contract=contract,
        context=_message_context(locked),
        dedupe_key=f"cancellation-offer-accepted-{locked.pk}",
    )


def revenue_saved(
    *, contract: Contract, request: CancellationRequest, offer: RetentionOffer
) -> Decimal:
    """Revenue kept by an accepted offer: what the cancellation would have lost, less what
    the offer gives away. A non-renewal puts the next term (the annual value) at risk; an
    early termination the remaining value less the fee it would have brought in."""
    if request.kind == Kind.NON_RENEWAL:
        at_risk = contract.annual_value
    else:
        at_risk = Decimal(request.preview.get("remaining_value", "0")) - Decimal(
            request.preview.get("fee", "0")
        )
    months = policy.months_in_term(contract.start_date, contract.end_date)
    monthly = contract.total_amount / Decimal(months)
    cost = Decimal("0")
    if offer.kind == OfferKind.DISCOUNT:
        cost = contract.total_amount * offer.discount_percent / 100 * max(offer.terms_count, 1)
    elif offer.kind == OfferKind.FREE_MONTHS:
        cost = monthly * offer.months
    elif offer.kind == OfferKind.DOWNGRADE and offer.downgrade_plan is not None:
        plan = offer.downgrade_plan
        per = policy.PERIOD_MONTHS.get(plan.billing_period, 1)
        cost = max(
            contract.total_amount - plan.price * Decimal(months) / Decimal(per), Decimal("0")
        )
    return policy.to_money(max(at_risk - cost, Decimal("0")))


def _offer_apply(
    *,
    contract: Contract,
    request: CancellationRequest,
    offer: RetentionOffer,
    by: Any,
    today: dt.date,
) -> OfferGrant:
    """Give the customer what the offer says, with an event on the contract."""
    grant = OfferGrant(
        request=request,
        contract=contract,
        offer=offer,
        kind=offer.kind,
        status=GrantStatus.PENDING,
        discount_percent=offer.discount_percent,
        terms_count=offer.terms_count,
        months=offer.months,
        plan=offer.downgrade_plan,
        installments=offer.installments,
    )
    if offer.kind in (OfferKind.FREE_MONTHS, OfferKind.PAUSE):
        old_end = contract.end_date
        new_end = policy.add_months(old_end, offer.months)
        contract.end_date = new_end
        # Free months and pauses move the end date; the fee for the term stays the same.
        days = (new_end - contract.start_date).days + 1
        contract.annual_value = policy.to_money(contract.total_amount * 365 / Decimal(days))
        contract.save(update_fields=["end_date", "annual_value", "updated_at"])
        details: dict[str, Any] = {
            "old_end_date": old_end.isoformat(),
            "new_end_date": new_end.isoformat(),
        }
        if offer.kind == OfferKind.PAUSE:
            details["pause_from"] = today.isoformat()
            details["pause_until"] = (
                policy.add_months(today, offer.months) - policy.ONE_DAY
            ).isoformat()
        grant.status = GrantStatus.APPLIED
        grant.details = details
        contract_services.event_record(
            contract=contract,
            kind="extended" if offer.kind == OfferKind.FREE_MONTHS else "paused",
            by=by,
            reason=offer.title,
            payload={"offer": offer.code, "request": request.pk, **details},
        )
    elif offer.kind == OfferKind.ADDED_SERVICE:
        position = contract.lines.count()
        line = ContractLine.objects.create(
            contract=contract,
            description=offer.added_service or offer.title,
            quantity=Decimal("1"),
            unit_price=Decimal("0"),
            position=position,
        )
        grant.status = GrantStatus.APPLIED
        grant.details = {"line": line.pk, "description": line.description}
        contract_services.event_record(
            contract=contract,
            kind="line_added",
            by=by,
            reason=offer.title,
            payload={"offer": offer.code, "request": request.pk, "line": line.description},
        )
    else:
        # Discount, downgrade and installment plan shape the next quote (renewals reads
        # selectors.pending_grants_for_next_quote); a downgrade is recorded as an amendment.
        details = {}
        if offer.kind == OfferKind.DOWNGRADE and offer.downgrade_plan is not None:
            details = {
                "from_plan": contract.plan.code if contract.plan else "",
                "to_plan": offer.downgrade_plan.code,
            }
        grant.details = details
        contract_services.event_record(
            contract=contract,
            kind="amendment_recorded" if offer.kind == OfferKind.DOWNGRADE else "offer_granted",
            by=by,
            reason=offer.title,
            payload={"offer": offer.code, "request": request.pk, "kind": offer.kind, **details},
        )
        owner = contract.owner or contract.customer.account_manager
        if owner is not None:
            with in_language_of(owner):
                task_create(
                    assignee=owner,
                    kind=TaskKind.FOLLOW_UP,
                    title=_("Apply the accepted offer “%(offer)s” to %(contract)s")
                    % {"offer": offer.title, "contract": contract.number},
                    due_date=today,
                    customer=contract.customer,
                    contract=contract,
                    dedupe_key=f"retention-grant-{request.pk}",
                )
    grant.save()
    # A pending grant shapes the next quote, or the open one through the lifecycle's
    # reaction to the "offer accepted" event (lifecycle/cancellation_renewals.py).
    return grant


def grant_mark_used(*, grant: OfferGrant, by: Any = None, quote_ref: str = "") -> OfferGrant:
    """A renewal quote (``quote_ref``) applied this grant: the use is recorded on the
    grant (``details["uses"]``) and as an ``offer_used`` event on its contract, with the
    use's number. The grant is used up after the last quote it allows (a discount for N
    terms: N successive renewal quotes; anything else: one) and waits for the next quote
    until then. The same quote counts once (a quote revised with the grant again)."""
    with transaction.atomic():
        locked = OfferGrant.objects.select_for_update().select_related("offer").get(pk=grant.pk)
        uses = selectors.grant_uses(locked)
        if locked.status != GrantStatus.PENDING or (
            quote_ref and any(u.get("quote") == quote_ref for u in uses)
        ):
            grant.refresh_from_db()
            return grant
        allowed = selectors.grant_quotes_allowed(locked)
        uses.append({"quote": quote_ref, "on": timezone.localdate().isoformat()})
        locked.details = {**(locked.details or {}), "uses": uses}
        if len(uses) >= allowed:
            locked.status = GrantStatus.USED
        locked.save(update_fields=["details", "status", "updated_at"])
        contract_services.event_record(
            contract=locked.contract,
            kind="offer_used",
            by=by,
            payload={
                "offer": locked.offer.code,
                "quote": quote_ref,
                "terms_used": f"{len(uses)}/{allowed}",
            },
        )
    grant.refresh_from_db()
    return grant
