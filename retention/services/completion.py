"""Completion on the effective date: end the contract, settle the money."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts import services as contract_services
from contracts.models import Contract, ContractStatus
from payments.services.refunds import credit_note_refunds_start

from .. import messaging, policy, selectors, termination_settlement
from ..models import (
    CancellationRequest,
    Kind,
    Status,
)
from ..request_states import request_status_change
from .request_steps import _locked, _message_context

log = logging.getLogger(__name__)

# --- completion --------------------------------------------------------------------------


def cancellations_complete_due(*, as_of: dt.date) -> int:
    """Complete every confirmed cancellation whose effective date is on or before ``as_of``.

    Called by renewals' ``process_contract_ends`` (and so by the scheduler and the
    management command). Safe to run twice or in parallel: each request is claimed under
    its contract's row lock and re-checked, so a second run finds nothing left to do.
    One failing request is logged and does not stop the others.
    """
    # First, requests whose save offer was never answered go on as asked: an offer must
    # never hold a cancellation back (nor let the contract auto-renew meanwhile).
    cancellations_continue_unanswered(as_of=as_of)
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


OFFER_ANSWER_DAYS = 3


def cancellations_continue_unanswered(*, as_of: dt.date) -> int:
    """Continue requests still "submitted" after ``OFFER_ANSWER_DAYS`` days, or whose
    contract ends by ``as_of``: the customer asked to cancel and never took the offer."""
    from .requests import cancellation_continue

    cutoff = timezone.now() - dt.timedelta(days=OFFER_ANSWER_DAYS)
    ids = list(
        CancellationRequest.objects.filter(status=Status.SUBMITTED)
        .filter(Q(submitted_at__lte=cutoff) | Q(contract__end_date__lte=as_of))
        .order_by("id")
        .values_list("pk", flat=True)
    )
    done = 0
    for pk in ids:
        try:
            req = CancellationRequest.objects.get(pk=pk)
            before = req.status
            req = cancellation_continue(
                request=req, by=None, today=min(as_of, req.contract.end_date)
            )
            if req.status != before:
                done += 1
        except Exception:  # noqa: BLE001 - one bad row must not stop the sweep
            log.exception("cancellation request %s could not be continued", pk)
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
        request_status_change(
            locked,
            Status.COMPLETED,
            by=None,
            expect_from=[Status.CONFIRMED],
            payload={"contract_status": outcome, **settlement},
            updates={
                "completed_at": timezone.now(),
                # Written on the request by _settle.
                "final_invoice_ref": locked.final_invoice_ref,
                "credit_note_ref": locked.credit_note_ref,
                "settlement_note": locked.settlement_note,
            },
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
    """Hand the money to billing (retention/termination_settlement.py): reduce open
    invoices to the service used, issue the final fee invoice and the refund credit note.

    Each step that fails is logged and noted on the request for staff to settle by hand;
    the cancellation itself still completes (the customer asked for it and was told so).
    """
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
                touched = termination_settlement.open_invoices_reduce(
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
                invoice = termination_settlement.fee_invoice_issue(
                    contract=contract, request=request
                )
            request.final_invoice_ref = invoice.number
            result["final_invoice"] = invoice.number
        except Exception as exc:  # noqa: BLE001
            log.exception("fee invoice for cancellation %s not issued", request.pk)
            notes.append(f"fee invoice pending: {exc.__class__.__name__}")
    if request.refund_amount > 0 and not request.credit_note_ref:
        try:
            with transaction.atomic():
                note = termination_settlement.refund_credit_note_issue(
                    contract=contract, request=request
                )
            request.credit_note_ref = note.number
            result["credit_note"] = note.number
        except Exception as exc:  # noqa: BLE001
            log.exception("credit note for cancellation %s not issued", request.pk)
            notes.append(f"credit note pending: {exc.__class__.__name__}")
        else:
            try:
                # Back through the provider that took an online payment; the rest (bank
                # transfer) becomes the account manager's manual refund task.
                plan = credit_note_refunds_start(credit_note=note)
                if plan.refunds:
                    result["provider_refunds"] = ",".join(r.reference for r in plan.refunds)
            except Exception as exc:  # noqa: BLE001 - staff pay it out from the credit note
                log.exception("refund of cancellation %s not started", request.pk)
                notes.append(f"refund to pay by hand: {exc.__class__.__name__}")
    request.settlement_note = "; ".join(notes)[:300]
    return result
