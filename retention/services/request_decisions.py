"""The decisions on a cancellation request: confirm it (effective date, fee and refund,
auto-renewal switched off in the consent ledger, the confirmation letter after commit),
reject an invalid one, and the staff's contact log. Submitting, continuing and
withdrawing are in ``requests``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import services as contract_services
from contracts.models import ConsentChannel, Contract, ContractStatus
from core.errors import DomainError, InvalidTransition

from .. import messaging, policy, selectors
from ..documents import confirmation_document_create
from ..models import (
    AWAITING_STAFF,
    CancellationRequest,
    Channel,
    ContactLogEntry,
    Kind,
    OfferResponse,
    Status,
)
from ..request_states import request_status_change
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
)


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
