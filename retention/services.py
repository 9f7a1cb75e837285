"""Every write to cancellation requests goes through here.

Workflow (PRODUCT.md §5)::

    submitted ──(offer accepted)──────────────► retained  (request withdrawn, contract kept)
        │  └──(customer withdraws)────────────► withdrawn
        ▼ continue to cancel
    in_review ──(staff confirm, date fixed)───► confirmed ──(effective date)──► completed
        └──(staff reject: invalid request)────► rejected

A **non-renewal** needs no review: there is nothing to charge or refund, so "continue
to cancel" confirms it at once. It switches auto-renew off through the consent ledger
(``contracts.services.contract_set_auto_renew``) and the contract then simply expires at
its term end through the end-of-term processing; our completion sweep only closes the
request (and expires the contract itself if it runs first).

An **early termination** is confirmed by staff with an effective date; on that date
``cancellations_complete_due`` terminates the contract (``contract_terminate``) and
hands the fee and the refund to billing.

Locks are always taken in the same order, contract row first and request row second,
so two services working on the same contract queue instead of deadlocking.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import services as contract_services
from contracts.models import ConsentChannel, Contract, ContractLine, ContractStatus
from core.errors import DomainError, InvalidTransition
from core.models import TaskKind
from core.services import task_create

from . import messaging, policy, selectors
from .models import (
    AWAITING_STAFF,
    CancellationRequest,
    Channel,
    ContactLogEntry,
    GrantStatus,
    Kind,
    OfferGrant,
    OfferKind,
    OfferResponse,
    Reason,
    RequestEvent,
    RetentionOffer,
    Status,
)

log = logging.getLogger(__name__)

CONSENT_TEXT_VERSION = "retention-1"


def _actor(by: Any) -> Any:
    return by if (by is not None and getattr(by, "is_authenticated", False)) else None


def sla_business_days() -> int:
    return int(settings.RENEWDESK.get("CANCELLATION_SLA_BUSINESS_DAYS", 2))


def sla_due_at(submitted_at: dt.datetime) -> dt.datetime:
    """The answer deadline: N business days later, counted in the business time zone."""
    local = timezone.localtime(submitted_at)
    holidays = frozenset(settings.RENEWDESK.get("HOLIDAYS", ()))
    return policy.business_days_add(local, sla_business_days(), holidays=holidays)


def request_event(
    *,
    request: CancellationRequest,
    kind: str,
    by: Any = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    payload: Mapping[str, Any] | None = None,
    internal: bool = False,
    contract_event: bool = True,
) -> RequestEvent:
    """One row on the request's timeline and, unless internal, one on the contract's."""
    event = RequestEvent.objects.create(
        request=request,
        kind=kind,
        actor=_actor(by),
        from_status=from_status,
        to_status=to_status,
        note=note[:500],
        payload=dict(payload or {}),
        internal=internal,
    )
    if contract_event:
        contract_services.event_record(
            contract=request.contract,
            kind=f"cancellation_{kind}",
            by=by,
            reason=note,
            payload={"request": request.pk, "kind": request.kind, **(payload or {})},
        )
    return event


def _locked(request: CancellationRequest) -> tuple[Contract, CancellationRequest]:
    """Lock the contract, then the request (the fixed order every service uses)."""
    contract = Contract.objects.select_for_update().get(pk=request.contract_id)
    locked = CancellationRequest.objects.select_for_update().get(pk=request.pk)
    locked.contract = contract
    return contract, locked


def _refuse(locked: CancellationRequest, action: str) -> InvalidTransition:
    return InvalidTransition(
        _("A request that is “%(status)s” cannot be %(action)s.")
        % {"status": locked.get_status_display(), "action": action}
    )


def _refresh(request: CancellationRequest) -> CancellationRequest:
    request.refresh_from_db()
    return request


# --- submission --------------------------------------------------------------------------


def cancellation_submit(
    *,
    contract: Contract,
    kind: str,
    reason: str,
    by: Any,
    reason_text: str = "",
    channel: str = Channel.PORTAL,
    token: str | None = None,
    today: dt.date | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> CancellationRequest:
    """Record the customer's request and pick at most one save offer for it.

    The same form posted twice (same ``token``) returns the first request. When no offer
    fits, the request goes straight on as if the customer had pressed "continue".
    """
    today = today or timezone.localdate()
    if kind not in Kind.values:
        raise DomainError(_("Choose how you want to end the contract."))
    if reason not in Reason.values:
        raise DomainError(_("Choose a reason."))
    if token:
        existing = CancellationRequest.objects.filter(submission_token=token).first()
        if existing is not None and existing.contract_id == contract.pk:
            return existing
    try:
        with transaction.atomic():
            locked = Contract.objects.select_for_update().get(pk=contract.pk)
            if token:
                # A double click that waited on the lock behind the first submission.
                existing = CancellationRequest.objects.filter(submission_token=token).first()
                if existing is not None and existing.contract_id == contract.pk:
                    return existing
            request = _submit_locked(
                contract=locked,
                kind=kind,
                reason=reason,
                reason_text=reason_text,
                by=by,
                channel=channel,
                token=token,
                today=today,
            )
            if request.offer_id is None:
                _continue_locked(
                    contract=locked,
                    locked=request,
                    by=by,
                    today=today,
                    ip_address=ip_address,
                    user_agent=user_agent,
                )
    except IntegrityError as exc:
        # The database's one-open-request rule or the token caught a race the lock did not.
        if token:
            existing = CancellationRequest.objects.filter(submission_token=token).first()
            if existing is not None:
                return existing
        raise DomainError(
            _("There is already an open cancellation request for this contract."),
            code="duplicate",
        ) from exc
    return _refresh(request)


def _submit_locked(
    *,
    contract: Contract,
    kind: str,
    reason: str,
    reason_text: str,
    by: Any,
    channel: str,
    token: str | None,
    today: dt.date,
) -> CancellationRequest:
    if contract.status not in selectors.CANCELLABLE[kind]:
        raise InvalidTransition(
            _("This contract is “%(status)s” and can no longer be cancelled this way.")
            % {"status": contract.get_status_display()}
        )
    # A renewal signed for this contract wins: its successor takes over at the term end.
    if (
        Contract.objects.filter(predecessor=contract)
        .exclude(
            status__in=[
                ContractStatus.DRAFT,
                ContractStatus.AWAITING_SIGNATURE,
                ContractStatus.VOID,
            ]
        )
        .exists()
    ):
        raise DomainError(
            _(
                "A renewal of this contract has already been signed. Cancel the renewed "
                "contract instead, or contact your account manager."
            ),
            code="renewal_signed",
        )
    if selectors.contract_has_open_cancellation(contract_id=contract.pk):
        raise DomainError(
            _("There is already an open cancellation request for this contract."),
            code="duplicate",
        )
    preview = selectors.cancellation_preview(contract=contract, today=today).for_kind(kind)
    if preview is None:
        raise DomainError(
            _(
                "The notice period runs past the end of the term, so the contract ends "
                "sooner on its own: choose not to renew instead."
            ),
            code="notice_past_term",
        )
    now = timezone.now()
    offer = selectors.offer_for(reason=reason, tier=contract.customer.effective_tier, today=today)
    request = CancellationRequest.objects.create(
        contract=contract,
        customer_id=contract.customer_id,
        kind=kind,
        status=Status.SUBMITTED,
        reason=reason,
        reason_text=(reason_text or "").strip()[:4000],
        channel=channel,
        requested_by=_actor(by),
        submission_token=token or None,
        submitted_at=now,
        sla_due_at=sla_due_at(now),
        requested_effective_date=preview.effective_date,
        preview=preview.as_dict(),
        currency=contract.currency,
        offer=offer,
        offer_shown_at=now if offer else None,
    )
    request_event(
        request=request,
        kind="submitted",
        by=by,
        to_status=Status.SUBMITTED,
        note=request.get_reason_display(),
        payload={"reason": reason, "channel": channel},
    )
    if offer is not None:
        request_event(
            request=request,
            kind="offer_shown",
            by=None,
            payload={"offer": offer.code},
            contract_event=False,
        )
    owner = contract.owner or contract.customer.account_manager
    if owner is not None:
        task_create(
            assignee=owner,
            kind=TaskKind.CANCELLATION,
            title=_("Cancellation request: %(contract)s (%(kind)s)")
            % {"contract": contract.number, "kind": request.get_kind_display()},
            due_date=timezone.localtime(request.sla_due_at).date(),
            details=request.reason_text,
            customer=contract.customer,
            contract=contract,
            dedupe_key=f"cancellation-request-{request.pk}",
        )
    return request


# --- the customer goes on, or stops ---------------------------------------------------------


def cancellation_continue(
    *,
    request: CancellationRequest,
    by: Any,
    today: dt.date | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> CancellationRequest:
    """ "Continue to cancel": decline the offer if one is waiting, then go on.

    Early termination goes to staff review; a non-renewal is confirmed at once.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        contract, locked = _locked(request)
        if locked.status == Status.IN_REVIEW and locked.offer_response == OfferResponse.NONE:
            # An offer made by staff during the review, declined from the progress page.
            if locked.offer_id:
                _offer_decline(locked, by=by)
            return _refresh(request)
        if locked.status != Status.SUBMITTED:
            if locked.status in (Status.CONFIRMED, Status.COMPLETED):
                return _refresh(request)  # a second click on the same button
            raise _refuse(locked, _("continued"))
        _continue_locked(
            contract=contract,
            locked=locked,
            by=by,
            today=today,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return _refresh(request)


def _offer_decline(locked: CancellationRequest, *, by: Any) -> None:
    locked.offer_response = OfferResponse.DECLINED
    locked.offer_responded_at = timezone.now()
    locked.save(update_fields=["offer_response", "offer_responded_at", "updated_at"])
    request_event(
        request=locked,
        kind="offer_declined",
        by=by,
        payload={"offer": locked.offer.code if locked.offer else ""},
    )


def _continue_locked(
    *,
    contract: Contract,
    locked: CancellationRequest,
    by: Any,
    today: dt.date,
    ip_address: str | None,
    user_agent: str,
) -> None:
    if locked.offer_id and locked.offer_response == OfferResponse.NONE:
        _offer_decline(locked, by=by)
    if locked.kind == Kind.NON_RENEWAL:
        _confirm_locked(
            contract=contract,
            locked=locked,
            by=by,
            effective_date=None,
            today=today,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        return
    locked.status = Status.IN_REVIEW
    locked.save(update_fields=["status", "updated_at"])
    request_event(
        request=locked,
        kind="in_review",
        by=by,
        from_status=Status.SUBMITTED,
        to_status=Status.IN_REVIEW,
    )
    messaging.message_to_staff(
        kind="cancellation_submitted",
        user=contract.owner or contract.customer.account_manager,
        customer=contract.customer,
        contract=contract,
        context=_message_context(locked),
        dedupe_key=f"cancellation-submitted-{locked.pk}",
    )


def cancellation_withdraw(*, request: CancellationRequest, by: Any) -> CancellationRequest:
    """The customer changed their mind before the request was confirmed."""
    with transaction.atomic():
        _contract, locked = _locked(request)
        if locked.status in (Status.WITHDRAWN, Status.RETAINED):
            return _refresh(request)
        if locked.status not in AWAITING_STAFF:
            raise InvalidTransition(
                _("A confirmed request can no longer be withdrawn online; contact us.")
            )
        previous = locked.status
        locked.status = Status.WITHDRAWN
        locked.withdrawn_at = timezone.now()
        locked.save(update_fields=["status", "withdrawn_at", "updated_at"])
        request_event(
            request=locked,
            kind="withdrawn",
            by=by,
            from_status=previous,
            to_status=Status.WITHDRAWN,
        )
        messaging.message_to_customer(
            kind="cancellation_withdrawn",
            customer=locked.customer,
            contract=locked.contract,
            context=_message_context(locked),
            dedupe_key=f"cancellation-withdrawn-{locked.pk}",
        )
    return _refresh(request)


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
        if locked.status not in AWAITING_STAFF or locked.offer_id is None:
            raise _refuse(locked, _("kept with an offer"))
        if locked.offer_response == OfferResponse.DECLINED:
            raise DomainError(_("This offer was declined."))
        offer = locked.offer
        assert offer is not None
        if not offer.is_valid_on(today):
            raise DomainError(_("This offer has expired."), code="offer_expired")
        grant = _offer_apply(contract=contract, request=locked, offer=offer, by=by, today=today)
        previous = locked.status
        locked.status = Status.RETAINED
        locked.offer_response = OfferResponse.ACCEPTED
        locked.offer_responded_at = timezone.now()
        locked.withdrawn_at = locked.offer_responded_at
        locked.revenue_saved = revenue_saved(contract=contract, request=locked, offer=offer)
        locked.save(
            update_fields=[
                "status",
                "offer_response",
                "offer_responded_at",
                "withdrawn_at",
                "revenue_saved",
                "updated_at",
            ]
        )
        request_event(
            request=locked,
            kind="offer_accepted",
            by=by,
            from_status=previous,
            to_status=Status.RETAINED,
            note=offer.title,
            payload={
                "offer": offer.code,
                "grant": grant.pk,
                "revenue_saved": str(locked.revenue_saved),
            },
        )
        messaging.message_to_customer(
            kind="cancellation_offer_accepted",
            customer=locked.customer,
            contract=contract,
            context=_message_context(locked),
            dedupe_key=f"cancellation-offer-accepted-{locked.pk}",
        )
    return _refresh(request)


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
        cost = max(contract.total_amount - plan.price * Decimal(months) / Decimal(per), 0)
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
        details = {"old_end_date": old_end.isoformat(), "new_end_date": new_end.isoformat()}
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
        details: dict[str, Any] = {}
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
    return grant


def grant_mark_used(*, grant: OfferGrant, by: Any = None, quote_ref: str = "") -> OfferGrant:
    """The renewal quote applied this grant (one use per request)."""
    updated = OfferGrant.objects.filter(pk=grant.pk, status=GrantStatus.PENDING).update(
        status=GrantStatus.USED, updated_at=timezone.now()
    )
    grant.refresh_from_db()
    if updated:
        contract_services.event_record(
            contract=grant.contract,
            kind="offer_used",
            by=by,
            payload={"offer": grant.offer.code, "quote": quote_ref},
        )
    return grant


# --- staff decisions ---------------------------------------------------------------------


def cancellation_confirm(
    *,
    request: CancellationRequest,
    by: Any,
    effective_date: dt.date | None = None,
    today: dt.date | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> CancellationRequest:
    """Fix the effective date and the money, and send the confirmation (email + PDF)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        contract, locked = _locked(request)
        if locked.status == Status.CONFIRMED:
            return _refresh(request)
        if locked.status not in AWAITING_STAFF:
            raise _refuse(locked, _("confirmed"))
        if locked.offer_id and locked.offer_response == OfferResponse.NONE:
            _offer_decline(locked, by=by)
        _confirm_locked(
            contract=contract,
            locked=locked,
            by=by,
            effective_date=effective_date,
            today=today,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return _refresh(request)


def _confirm_locked(
    *,
    contract: Contract,
    locked: CancellationRequest,
    by: Any,
    effective_date: dt.date | None,
    today: dt.date,
    ip_address: str | None,
    user_agent: str,
) -> None:
    if contract.status not in selectors.CANCELLABLE[locked.kind]:
        raise InvalidTransition(
            _("This contract is “%(status)s” and can no longer be cancelled this way.")
            % {"status": contract.get_status_display()}
        )
    terms = selectors.contract_terms(contract)
    paid, _known = selectors.contract_paid_amount(contract)
    try:
        settlement = policy.settlement_compute(
            kind=locked.kind,
            terms=terms,
            today=today,
            paid=paid,
            effective_date=effective_date,
        )
    except ValueError as exc:
        earliest = policy.earliest_effective_date(
            kind=locked.kind, today=today, notice_days=terms.notice_days, term_end=terms.end_date
        )
        raise DomainError(
            _("The effective date must be between %(earliest)s and %(end)s.")
            % {"earliest": earliest, "end": terms.end_date},
            code="bad_effective_date",
        ) from exc
    if settlement is None:
        raise DomainError(
            _(
                "The notice period runs past the end of the term, so the contract ends "
                "sooner on its own: choose not to renew instead."
            ),
            code="notice_past_term",
        )
    if contract.auto_renew:
        # The consent ledger records the switch-off exactly as for the portal switch.
        contract_services.contract_set_auto_renew(
            contract=contract,
            enabled=False,
            by=by,
            channel=ConsentChannel.PORTAL
            if locked.channel == Channel.PORTAL and not getattr(by, "is_staff", False)
            else ConsentChannel.STAFF,
            text=consent_text_off(contract=contract, request=locked),
            text_version=CONSENT_TEXT_VERSION,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    now = timezone.now()
    previous = locked.status
    locked.status = Status.CONFIRMED
    locked.effective_date = settlement.effective_date
    locked.fee_amount = settlement.fee
    locked.refund_amount = settlement.refund
    locked.fee_to_invoice = settlement.fee_to_invoice
    locked.confirmed_at = now
    locked.confirmed_by = _actor(by)
    if getattr(by, "is_staff", False):
        locked.first_response_at = locked.first_response_at or now
    locked.save()
    request_event(
        request=locked,
        kind="confirmed",
        by=by,
        from_status=previous,
        to_status=Status.CONFIRMED,
        payload={
            "effective_date": settlement.effective_date.isoformat(),
            "fee": str(settlement.fee),
            "refund": str(settlement.refund),
        },
    )
    request_id = locked.pk

    def send_confirmation() -> None:
        from .documents import confirmation_document_create

        fresh = CancellationRequest.objects.select_related("contract", "customer").get(
            pk=request_id
        )
        document = confirmation_document_create(request=fresh)
        messaging._enqueue_now(
            kind="cancellation_confirmed",
            customer=fresh.customer,
            contract=fresh.contract,
            context={**_message_context(fresh), "document_id": document.pk},
            dedupe_key=f"cancellation-confirmed-{fresh.pk}",
            attachments=[document],
            documents=[document],
        )

    # After commit, robust: a PDF or outbox hiccup never undoes the confirmation.
    transaction.on_commit(send_confirmation, robust=True)


def consent_text_off(*, contract: Contract, request: CancellationRequest) -> str:
    return _(
        "I do not want contract %(number)s to renew automatically. It ends on %(end)s "
        "(cancellation request %(request)s)."
    ) % {"number": contract.number, "end": contract.end_date, "request": request.pk}


REJECTION_GROUNDS = {
    "already_ended": "already_ended",
    "not_customers": "not_customers",
}


def rejection_ground(request: CancellationRequest) -> str | None:
    """Why a request is invalid, or None: only invalid requests may be rejected."""
    contract = request.contract
    if contract.is_ended or contract.status == ContractStatus.VOID:
        return "already_ended"
    if contract.customer_id != request.customer_id:
        return "not_customers"
    return None


def cancellation_reject(
    *, request: CancellationRequest, by: Any, note: str = ""
) -> CancellationRequest:
    """Staff close an invalid request (contract already ended, or not this customer's).

    A valid request cannot be rejected: the customer has the right to cancel, and staff
    confirm it (with a later effective date if the notice period requires).
    """
    with transaction.atomic():
        _contract, locked = _locked(request)
        if locked.status not in AWAITING_STAFF:
            raise _refuse(locked, _("rejected"))
        ground = rejection_ground(locked)
        if ground is None:
            raise DomainError(
                _(
                    "Only an invalid request can be rejected (the contract has already "
                    "ended, or it is not this customer's). Confirm this one instead."
                ),
                code="valid_request",
            )
        previous = locked.status
        now = timezone.now()
        locked.status = Status.REJECTED
        locked.rejected_at = now
        locked.rejection_reason = (note or ground)[:300]
        locked.first_response_at = locked.first_response_at or now
        locked.save()
        request_event(
            request=locked,
            kind="rejected",
            by=by,
            from_status=previous,
            to_status=Status.REJECTED,
            note=note,
            payload={"ground": ground},
        )
        messaging.message_to_customer(
            kind="cancellation_rejected",
            customer=locked.customer,
            contract=locked.contract,
            context={**_message_context(locked), "ground": ground, "note": note},
            dedupe_key=f"cancellation-rejected-{locked.pk}",
        )
    return _refresh(request)


def contact_log_add(
    *, request: CancellationRequest, by: Any, channel: str, summary: str
) -> ContactLogEntry:
    summary = (summary or "").strip()
    if not summary:
        raise DomainError(_("Write what was said."))
    with transaction.atomic():
        _contract, locked = _locked(request)
        now = timezone.now()
        entry = ContactLogEntry.objects.create(
            request=locked, by=_actor(by), channel=channel, summary=summary, at=now
        )
        if locked.first_response_at is None:
            locked.first_response_at = now
            locked.save(update_fields=["first_response_at", "updated_at"])
        request_event(
            request=locked,
            kind="contact_logged",
            by=by,
            note=summary[:200],
            payload={"channel": channel},
            internal=True,
            contract_event=True,
        )
    return entry


# --- completion --------------------------------------------------------------------------


def cancellations_complete_due(*, as_of: dt.date) -> int:
    """Complete every confirmed cancellation whose effective date is on or before ``as_of``.

    Called by renewals' ``process_contract_ends`` (and so by the scheduler and the
    management command). Safe to run twice or in parallel: each request is claimed under
    its contract's row lock and re-checked, so a second run finds nothing left to do.
    One failing request is logged and does not stop the others.
    """
    ids = list(
        selectors.due_for_completion(as_of=as_of)
        .order_by("effective_date", "id")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in ids:
        try:
            if cancellation_complete(request_id=pk, as_of=as_of):
                done += 1
        except Exception:  # noqa: BLE001 - one bad row must not stop the sweep
            log.exception("cancellation request %s could not be completed", pk)
    return done


def cancellation_complete(*, request_id: int, as_of: dt.date) -> bool:
    """End the contract for one confirmed request. False if it was not (or no longer) due."""
    with transaction.atomic():
        request = CancellationRequest.objects.filter(pk=request_id).first()
        if request is None:
            return False
        contract, locked = _locked(request)
        # The claim: whoever holds the locks and still sees "confirmed" does the work.
        if locked.status != Status.CONFIRMED or not locked.effective_date:
            return False
        if locked.effective_date > as_of:
            return False
        outcome = _end_contract(contract=contract, request=locked, as_of=as_of)
        settlement = _settle(contract=contract, request=locked)
        locked.status = Status.COMPLETED
        locked.completed_at = timezone.now()
        locked.save()
        request_event(
            request=locked,
            kind="completed",
            by=None,
            from_status=Status.CONFIRMED,
            to_status=Status.COMPLETED,
            payload={"contract_status": outcome, **settlement},
        )
        messaging.message_to_customer(
            kind="cancellation_completed",
            customer=locked.customer,
            contract=contract,
            context=_message_context(locked),
            dedupe_key=f"cancellation-completed-{locked.pk}",
        )
    return True


def _end_contract(*, contract: Contract, request: CancellationRequest, as_of: dt.date) -> str:
    reason = _("Cancellation request %(id)s") % {"id": request.pk}
    if contract.status == ContractStatus.ACTIVE:
        if request.kind == Kind.EARLY_TERMINATION:
            contract_services.contract_terminate(
                contract=contract,
                reason=reason,
                payload={
                    "request": request.pk,
                    "effective_date": request.effective_date.isoformat()
                    if request.effective_date
                    else "",
                },
            )
        elif contract.end_date < as_of:
            # Normally the end-of-term processing has expired it already; if we run first
            # we do the same transition it would.
            contract_services.contract_expire(contract=contract, reason=reason)
    contract.refresh_from_db()
    return contract.status


def _settle(*, contract: Contract, request: CancellationRequest) -> dict[str, str]:
    """Hand the money to billing (retention/billing_hooks.py): reduce open invoices to the
    service used, issue the final fee invoice and the refund credit note.

    Each step that fails is logged and noted on the request for staff to settle by hand;
    the cancellation itself still completes (the customer asked for it and was told so).
    """
    from . import billing_hooks

    result: dict[str, str] = {}
    notes: list[str] = []
    if request.kind != Kind.EARLY_TERMINATION or request.effective_date is None:
        return result
    paid, known = selectors.contract_paid_amount(contract)
    if known:
        used, _remaining = policy.value_split(
            total=contract.total_amount,
            start=contract.start_date,
            end=contract.end_date,
            effective_date=max(request.effective_date, contract.start_date),
        )
        try:
            # A savepoint per step: a failed step leaves the transaction usable.
            with transaction.atomic():
                touched = billing_hooks.open_invoices_reduce(
                    contract=contract,
                    request=request,
                    owed_for_used_service=max(used - paid, Decimal("0")),
                )
            if touched:
                result["invoices_reduced"] = ",".join(touched)
        except Exception as exc:  # noqa: BLE001 - settle later by hand, keep the cancellation
            log.exception("open invoices of cancellation %s not reduced", request.pk)
            notes.append(f"open invoices not reduced: {exc.__class__.__name__}")
    if request.fee_to_invoice > 0 and not request.final_invoice_ref:
        try:
            with transaction.atomic():
                invoice = billing_hooks.fee_invoice_issue(contract=contract, request=request)
            request.final_invoice_ref = invoice.number
            result["final_invoice"] = invoice.number
        except Exception as exc:  # noqa: BLE001
            log.exception("fee invoice for cancellation %s not issued", request.pk)
            notes.append(f"fee invoice pending: {exc.__class__.__name__}")
    if request.refund_amount > 0 and not request.credit_note_ref:
        try:
            with transaction.atomic():
                note = billing_hooks.refund_credit_note_issue(contract=contract, request=request)
            request.credit_note_ref = note.number
            result["credit_note"] = note.number
        except Exception as exc:  # noqa: BLE001
            log.exception("credit note for cancellation %s not issued", request.pk)
            notes.append(f"credit note pending: {exc.__class__.__name__}")
    request.settlement_note = "; ".join(notes)[:300]
    return result


def _message_context(request: CancellationRequest) -> dict[str, Any]:
    contract = request.contract
    return {
        "request_id": request.pk,
        "contract_number": contract.number,
        "contract_id": contract.pk,
        "kind": request.kind,
        "kind_label": str(request.get_kind_display()),
        "status": request.status,
        "effective_date": request.effective_date.isoformat() if request.effective_date else "",
        "last_service_day": (request.effective_date - policy.ONE_DAY).isoformat()
        if request.effective_date
        else "",
        "fee": str(request.fee_amount),
        "refund": str(request.refund_amount),
        "fee_to_invoice": str(request.fee_to_invoice),
        "currency": request.currency,
        "offer_title": request.offer.title if request.offer_id and request.offer else "",
        "offer_description": request.offer.description
        if request.offer_id and request.offer
        else "",
        "progress_path": f"/portal/cancellations/{request.pk}/",
    }


# --- win-back ----------------------------------------------------------------------------


def winback_contract_offer(
    *, contract: Contract, by: Any, start_date: dt.date | None = None
) -> Contract:
    """Prepare a new contract for a customer whose contract ended: a draft linked to the
    old one, at today's plan price, which then goes through the renewal flow (quote,
    signature, payment)."""
    if contract.status not in (ContractStatus.TERMINATED, ContractStatus.EXPIRED):
        raise DomainError(_("Only an ended contract can be won back."))
    if Contract.objects.filter(predecessor=contract).exists():
        raise DomainError(_("A new contract has already been prepared for this one."))
    start = start_date or timezone.localdate()
    months = policy.months_in_term(contract.start_date, contract.end_date)
    end = policy.add_months(start, months) - policy.ONE_DAY
    lines = []
    for line in contract.lines.all():
        price = line.unit_price
        if line.plan is not None:
            per = policy.PERIOD_MONTHS.get(line.plan.billing_period, 1)
            price = line.plan.price_on(start) * Decimal(months) / Decimal(per)
        lines.append(
            contract_services.LineSpec(
                description=line.description,
                quantity=line.quantity,
                unit_price=policy.to_money(price),
                plan=line.plan,
            )
        )
    with transaction.atomic():
        Contract.objects.select_for_update().get(pk=contract.pk)
        new = contract_services.contract_create_draft(
            customer=contract.customer,
            by=by,
            start_date=start,
            end_date=end,
            lines=lines,
            plan=contract.plan,
            owner=contract.owner,
            billing_period=contract.billing_period,
            currency=contract.currency,
            terms_version=contract.terms_version,
            predecessor=contract,
        )
        contract_services.event_record(
            contract=contract, kind="winback_offered", by=by, payload={"new_contract": new.number}
        )
    return new
