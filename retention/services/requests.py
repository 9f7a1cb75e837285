"""The request workflow: submit, continue, withdraw, confirm, reject, contact log."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import services as contract_services
from contracts.models import ConsentChannel, Contract, ContractStatus
from core.errors import DomainError, InvalidTransition
from core.models import TaskKind
from core.services import task_create

from .. import messaging, policy, selectors
from ..models import (
    AWAITING_STAFF,
    CancellationRequest,
    Channel,
    ContactLogEntry,
    Kind,
    OfferResponse,
    Reason,
    Status,
)
from ..request_states import request_status_change
from .offers import _offer_accept_locked
from .request_steps import (
    CONSENT_TEXT_VERSION,
    _actor,
    _locked,
    _message_context,
    _offer_decline,
    _refresh,
    _refuse,
    _task_close,
    request_event,
    sla_due_at,
    task_key,
)

log = logging.getLogger(__name__)

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
    offer_answer: str | None = None,
    offer_id: int | None = None,
) -> CancellationRequest:
    """Record the customer's request and pick at most one save offer for it.

    The same form posted twice (same ``token``) returns the first request. When no offer
    fits, the request goes straight on as if the customer had pressed "continue".

    ``offer_answer`` is for a flow that showed the fitting offer *before* submitting (the
    portal: offer, then a final confirmation): ``"declined"`` records offer ``offer_id``
    as shown and declined (if it is still the one that fits) and goes on; ``"accepted"``
    keeps the customer with it at once (the request ends ``retained``), and is refused
    unless ``offer_id`` is the offer that fits this reason, tier and day. Without it the
    fitting offer waits on the request for the customer's answer (staff, API).
    """
    today = today or timezone.localdate()
    if offer_answer not in (None, OfferResponse.DECLINED, OfferResponse.ACCEPTED):
        raise ValueError(f"unknown offer answer {offer_answer!r}")
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
                offer_answer=offer_answer,
                offer_id=offer_id,
            )
            if offer_answer == OfferResponse.ACCEPTED:
                _offer_accept_locked(contract=locked, locked=request, by=by, today=today)
            elif request.offer_id is None or offer_answer == OfferResponse.DECLINED:
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
            if existing is not None and existing.contract_id == contract.pk:
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
    offer_answer: str | None = None,
    offer_id: int | None = None,
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
    if offer_answer and (offer is None or offer.pk != offer_id):
        # The customer answered an offer that no longer fits (it expired meanwhile, the
        # catalogue changed) or never did (a tampered form): accept nothing of the kind,
        # and record no offer for a decline.
        if offer_answer == OfferResponse.ACCEPTED:
            raise DomainError(_("This offer is no longer available."), code="offer_unavailable")
        offer = None
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
            dedupe_key=task_key(request),
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
        if locked.status == Status.IN_REVIEW:
            # Already going on (a second click), or an offer made by staff during the
            # review that the customer declines from the progress page.
            if locked.offer_id and locked.offer_response == OfferResponse.NONE:
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
    request_status_change(locked, Status.IN_REVIEW, by=by, expect_from=[Status.SUBMITTED])
    messaging.message_to_staff(
        kind="cancellation_submitted",
        user=contract.owner or contract.customer.account_manager,
        customer=contract.customer,
        contract=contract,
        context=_message_context(locked),
        dedupe_key=f"cancellation-submitted-{locked.pk}",
    )


def cancellation_withdraw(*, request: CancellationRequest, by: Any) -> CancellationRequest:
    """The customer changed their mind: before confirmation, or for a non-renewal until it
    takes effect. Auto-renewal is not switched back on by this: that needs the customer's
    explicit consent through the auto-renew switch."""
    with transaction.atomic():
        _contract, locked = _locked(request)
        if locked.status in (Status.WITHDRAWN, Status.RETAINED):
            return _refresh(request)
        if not locked.can_withdraw:
            raise InvalidTransition(
                _("A confirmed request can no longer be withdrawn online; contact us.")
            )
        request_status_change(
            locked, Status.WITHDRAWN, by=by, updates={"withdrawn_at": timezone.now()}
        )
        _task_close(locked, by=by)
        messaging.message_to_customer(
            kind="cancellation_withdrawn",
            customer=locked.customer,
            contract=locked.contract,
            context=_message_context(locked),
            dedupe_key=f"cancellation-withdrawn-{locked.pk}",
        )
    return _refresh(request)


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
        _task_close(locked, by=by)
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
        if locked.kind == Kind.NON_RENEWAL:
            message = _("A non-renewal takes effect the day after the term ends, on %(date)s.") % {
                "date": earliest
            }
        else:
            message = _("The effective date must be between %(earliest)s and %(end)s.") % {
                "earliest": earliest,
                "end": terms.end_date,
            }
        raise DomainError(message, code="bad_effective_date") from exc
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
    updates: dict[str, Any] = {
        "effective_date": settlement.effective_date,
        "fee_amount": settlement.fee,
        "refund_amount": settlement.refund,
        "fee_to_invoice": settlement.fee_to_invoice,
        "confirmed_at": now,
        "confirmed_by": _actor(by),
    }
    if getattr(by, "is_staff", False):
        updates["first_response_at"] = locked.first_response_at or now
    request_status_change(
        locked,
        Status.CONFIRMED,
        by=by,
        updates=updates,
        payload={
            "effective_date": settlement.effective_date.isoformat(),
            "fee": str(settlement.fee),
            "refund": str(settlement.refund),
        },
    )
    request_id = locked.pk

    def send_confirmation() -> None:
        from ..documents import confirmation_document_create

        fresh = CancellationRequest.objects.select_related("contract", "customer").get(
            pk=request_id
        )
        document = confirmation_document_create(request=fresh)
        messaging.send_to_customer_now(
            kind="cancellation_confirmed",
            customer=fresh.customer,
            contract=fresh.contract,
            context={
                **_message_context(fresh),
                "document_id": document.pk,
                "document_path": f"/portal/documents/{document.pk}/",
                "document_sha256": document.sha256,
            },
            dedupe_key=f"cancellation-confirmed-{fresh.pk}",
            attachments=[document],
        )

    # After commit, robust: a PDF or outbox hiccup never undoes the confirmation.
    # (The renewal in progress, if any, is withdrawn by the lifecycle's reaction to the
    # "confirmed" event: lifecycle/cancellation_renewals.py.)
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
        now = timezone.now()
        request_status_change(
            locked,
            Status.REJECTED,
            by=by,
            note=note,
            payload={"ground": ground},
            updates={
                "rejected_at": now,
                "rejection_reason": (note or ground)[:300],
                "first_response_at": locked.first_response_at or now,
            },
        )
        _task_close(locked, by=by)
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
