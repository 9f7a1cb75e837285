"""Ending a contract at once because the customer used a right the law (or the company)
gives them: undoing an automatic renewal (lifecycle/renewal_undo.py) or withdrawing within
the withdrawal period (lifecycle/contract_withdrawal.py).

Both take the same steps, through the apps that own them:

- the money is the cancellation policy's (retention/policy.py ``settlement_compute``,
  an early termination taking effect today with no notice and no fee, pro-rata refund of
  what was paid for the days not used; a term not started yet is refunded in full);
- the contract ends: an active term is terminated, one not started yet is voided;
- a renewal it was the successor of is undone too: the old term, ``renewed``, becomes
  ``expired`` (as it would have ended without the renewal), and a term still running
  stops renewing automatically;
- open invoices keep only what is owed for the days used (retention's
  ``open_invoices_reduce``), and the refund is a credit note (billing) sent back through
  the provider that took an online payment (payments' ``credit_note_refunds_start``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import CreditNote
from billing.services import credit_note_issue
from contracts import contract_states
from contracts.auto_renew_consent import contract_set_auto_renew
from contracts.models import ConsentChannel, Contract, ContractStatus
from contracts.services import event_record
from core.models import TaskKind
from core.services import in_language_of, task_create
from payments.services.refunds import credit_note_refunds_start
from renewals.services import case_lose_undone_renewal
from retention import policy
from retention.selectors import contract_paid_amount, contract_terms
from retention.termination_settlement import open_invoices_reduce

S = ContractStatus
# A contract in one of these can be ended by the customer's right (a term running, or
# signed and not started yet).
ENDABLE = (S.ACTIVE, S.SCHEDULED, S.AWAITING_PAYMENT)
# The callers' reasons by exit kind, for the manager's task: the caller words ``reason``
# in the active language (the customer's, who acted in the portal); the task is worded
# in the manager's.
EXIT_REASONS = {
    "withdrawn": gettext_noop("Withdrawal by the customer within the withdrawal period"),
    "auto_renewal_undone": gettext_noop("Automatic renewal undone by the customer"),
}


@dataclass(frozen=True)
class ExitPreview:
    """What the customer sees before confirming: the policy's settlement."""

    settlement: policy.Settlement
    paid_known: bool

    @property
    def refund(self) -> Decimal:
        return self.settlement.refund

    @property
    def currency(self) -> str:
        return self.settlement.currency


def exit_terms(contract: Contract) -> policy.ContractTerms:
    """The contract's policy terms, as a right of the customer changes them: effective at
    once (no notice), no fee, a pro-rata refund of what was paid for the days not used."""
    return dataclasses.replace(
        contract_terms(contract),
        notice_days=0,
        fee_kind=policy.FEE_NONE,
        fee_value=Decimal("0"),
        refund_policy=policy.REFUND_PRO_RATA,
    )


def exit_preview(*, contract: Contract, today: dt.date) -> ExitPreview | None:
    """The settlement if the contract ended today, or None when it cannot (ended, or
    ``today`` after its last day)."""
    if contract.status not in ENDABLE:
        return None
    paid, known = contract_paid_amount(contract)
    if not known:
        # No invoice on record (imported): retention would assume it prepaid; a right the
        # customer uses alone refunds nothing unchecked, the account manager checks it.
        paid = Decimal("0")
    terms = exit_terms(contract)
    settlement = policy.settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=terms,
        # A term not started yet is valued from its start: everything paid comes back.
        today=today,
        paid=paid,
    )
    if settlement is None:
        return None
    return ExitPreview(settlement=settlement, paid_known=known)


@dataclass(frozen=True)
class ExitResult:
    status: str
    refund: Decimal
    credit_note: CreditNote | None
    provider_refunds: list[str]
    manual_refund: Decimal


def exit_result_url(result: ExitResult, *, contract: Contract) -> str:
    """Where the confirmation message links: the credit note in the portal (the message
    says it is there), or the contract's page when nothing is refunded."""
    if result.credit_note is not None:
        path = reverse("portal:credit-note", kwargs={"pk": result.credit_note.pk})
    else:
        path = reverse("portal:contract-detail", kwargs={"pk": contract.pk})
    return settings.SITE_URL + path


def contract_exit(
    *,
    contract: Contract,
    preview: ExitPreview,
    kind: str,
    reason: str,
    refund_reason: str,
    consent_text: str,
    text_version: str,
    by: Any,
    ip_address: str | None,
    user_agent: str,
) -> ExitResult:
    """End ``contract`` (locked by the caller, in the caller's transaction) as ``preview``
    says. ``kind`` names the event on the contract ("withdrawn", "auto_renewal_undone").
    Automatic renewal is switched off first with ``consent_text`` (the customer's own
    act, in the ledger), so nothing renews it again."""
    settlement = preview.settlement
    payload = {"kind": kind, **settlement.as_dict()}
    if contract.auto_renew:
        contract_set_auto_renew(
            contract=contract,
            enabled=False,
            by=by,
            channel=ConsentChannel.PORTAL,
            text=consent_text,
            text_version=text_version,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    if contract.status == S.ACTIVE:
        contract_states.contract_transition(
            contract=contract,
            change=contract_states.TERMINATE,
            by=by,
            reason=reason,
            payload=payload,
        )
    else:
        contract_states.contract_transition(
            contract=contract, change=contract_states.VOID, by=by, reason=reason, payload=payload
        )
    _predecessor_unrenew(
        contract=contract,
        by=by,
        reason=reason,
        consent_text=consent_text,
        text_version=text_version,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    open_invoices_reduce(
        contract=contract,
        owed_for_used_service=settlement.owed_for_used_service,
    )
    note = None
    provider_refunds: list[str] = []
    manual = Decimal("0")
    if settlement.refund > 0:
        note = credit_note_issue(
            customer=contract.customer,
            contract=contract,
            amount=settlement.refund,
            reason=refund_reason,
            by=by,
        )
        plan = credit_note_refunds_start(credit_note=note, by=by)
        provider_refunds = [r.reference for r in plan.refunds]
        manual = plan.manual_amount
    if not preview.paid_known:
        manager = contract.owner or contract.customer.account_manager
        if manager is not None:
            with in_language_of(manager):
                task_create(
                    assignee=manager,
                    kind=TaskKind.CANCELLATION,
                    title=_(
                        "Check what was paid for contract %(number)s and refund the unused days"
                    )
                    % {"number": contract.number},
                    details=_(EXIT_REASONS[kind]) if kind in EXIT_REASONS else reason,
                    due_date=timezone.localdate(),
                    customer=contract.customer,
                    contract=contract,
                    dedupe_key=f"{kind}-paid-check:{contract.pk}",
                )
    event_record(
        contract=contract,
        kind=kind,
        by=by,
        reason=reason,
        payload={
            **payload,
            "credit_note": note.number if note else "",
            "provider_refunds": provider_refunds,
        },
    )
    return ExitResult(
        status=contract.status,
        refund=settlement.refund,
        credit_note=note,
        provider_refunds=provider_refunds,
        manual_refund=manual,
    )


def _predecessor_unrenew(
    *,
    contract: Contract,
    by: Any,
    reason: str,
    consent_text: str,
    text_version: str,
    ip_address: str | None,
    user_agent: str,
) -> None:
    """The term this contract renewed ends as it would have without the renewal."""
    if contract.predecessor_id is None:
        return
    previous = Contract.objects.select_for_update().get(pk=contract.predecessor_id)
    # The renewal did not happen after all: its case is lost, not won (the portal's
    # renewal card and the pipeline read it).
    case_lose_undone_renewal(predecessor=previous, successor=contract, note=reason, by=by)
    if previous.status == S.RENEWED:
        # An ended term cannot take a consent (contract_set_auto_renew refuses it): the
        # flag is cleared with the status change, its event saying so; the customer's
        # "off" is in the ledger on the successor, with the undo text naming both.
        contract_states.contract_transition(
            contract=previous,
            change=contract_states.RENEWAL_UNDONE,
            by=by,
            reason=reason,
            payload={"successor": contract.number, "auto_renew": False},
            updates={"auto_renew": False},
        )
    elif previous.status == S.ACTIVE and previous.auto_renew:
        contract_set_auto_renew(
            contract=previous,
            enabled=False,
            by=by,
            channel=ConsentChannel.PORTAL,
            text=consent_text,
            text_version=text_version,
            ip_address=ip_address,
            user_agent=user_agent,
        )
