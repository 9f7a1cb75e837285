"""Automatic renewal of one contract at the end of its term.

An active contract ending by the run's date, with auto-renew on, a valid consent and a
delivered renewal notice, renews into a successor at the then-current price, starting
the day after the end, invoiced and confirmed to the customer. Without a delivered
notice nothing renews silently: the renewal case is flagged and the customer told
(``BLOCKED``). A contract renewed by hand already is left to the mark-renewed step.

Everything happens in one transaction per contract, under the contract's lock (renewal
case first, then the contract): run twice, or twice at once, it makes one successor
(``Contract.predecessor`` is also one-to-one in the database).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from billing.services import invoice_plan_issue, term_end
from contracts import contract_states
from contracts import services as contract_services
from contracts.models import AutoRenewConsent, ConsentKind, Contract, ContractStatus
from notifications.customer_messages import message_to_customer
from notifications.selectors import renewal_notice_delivered
from renewals import services as renewal_services
from renewals.selectors import term_months

from .contract_locks import contract_lock
from .term_changes import SUCCESSOR_TAKES_OVER

S = ContractStatus
RENEWED, BLOCKED, NOTHING = "renewed", "blocked", ""


def renewal_notice_was_delivered(contract: Contract) -> bool:
    """Whether the customer was told in time that the contract renews (notifications)."""
    return bool(renewal_notice_delivered(contract=contract))


def _latest_consent(contract: Contract) -> AutoRenewConsent | None:
    # Only the auto-renewal switch decides; a payment-method consent is a ledger row too.
    return contract.consents.filter(kind=ConsentKind.AUTO_RENEW).order_by("-at", "-id").first()


def has_valid_consent(contract: Contract) -> bool:
    latest = _latest_consent(contract)
    return bool(latest and latest.enabled)


def successor_term_end(start: dt.date, months: int) -> dt.date:
    """The last day of the successor's term (billing's ``term_end``, the one rule that
    quotes follow too)."""
    return term_end(start, months)


def _successor_create(contract: Contract, consent: AutoRenewConsent, as_of: dt.date) -> Contract:
    """The successor, through the same statuses (and events) as a signed renewal."""
    start = contract.end_date + dt.timedelta(days=1)
    months = term_months(contract.start_date, contract.end_date)
    lines = renewal_services.renewal_lines_at_current_prices(
        contract=contract, start=start, months=months
    )
    successor = contract_services.contract_create_draft(
        customer=contract.customer,
        by=None,
        start_date=start,
        end_date=successor_term_end(start, months),
        lines=[
            contract_services.LineSpec(
                description=s.description, quantity=s.quantity, unit_price=s.unit_price, plan=s.plan
            )
            for s in lines
        ],
        plan=contract.plan,
        owner=contract.owner,
        billing_period=contract.billing_period,
        currency=contract.currency,
        terms_version=contract.terms_version,
        notice_period_days=contract.notice_period_days,
        predecessor=contract,
    )
    # No signature: the consent the customer gave is the agreement. The successor was
    # created in this transaction (nobody else sees it) and the predecessor is locked by
    # the caller, so the transitions need no second lock.
    transition = contract_states.contracts_transition_locked
    transition(contracts=[successor], change=contract_states.SEND_AUTO_RENEWAL)
    transition(
        contracts=[successor],
        change=contract_states.SIGN,
        reason=_("Renewed automatically under the customer's consent"),
        payload={"consent_id": consent.pk, "automatic": True},
        updates={"signed_at": consent.at},
    )
    # Auto-renew stays on for the new term, with its own consent row pointing back.
    contract_services.contract_set_auto_renew(
        contract=successor,
        enabled=True,
        by=None,
        channel=consent.channel,
        text=consent.text,
        text_version=consent.text_version,
    )
    # The successor starts the day after the end whether or not it is paid yet.
    if start <= as_of:
        transition(contracts=[successor], change=contract_states.ACTIVATE, reason=_("Auto-renewal"))
        transition(
            contracts=[contract],
            change=contract_states.MARK_RENEWED,
            payload=contract_states.renewed_payload(successor),
        )
    else:
        transition(contracts=[successor], change=contract_states.SCHEDULE)
    return successor


def _renew(contract_id: int, as_of: dt.date) -> str:
    contract = contract_lock(contract_id)
    if contract.status != S.ACTIVE or not contract.auto_renew or contract.end_date > as_of:
        return NOTHING
    # The latest consent row decides (read under the contract's lock, which
    # contract_set_auto_renew takes too); it is also what the successor inherits.
    consent = _latest_consent(contract)
    if not (consent and consent.enabled):
        return NOTHING
    existing = Contract.objects.filter(predecessor=contract).first()
    if existing is not None and existing.status in SUCCESSOR_TAKES_OVER:
        return NOTHING  # renewed by hand already; the mark-renewed step ends this one
    if not renewal_notice_was_delivered(contract):
        renewal_services.case_open_for_blocked_auto_renewal(contract=contract)
        return BLOCKED
    # Without any successor there is nothing to void (the call would only look).
    if existing is not None and not renewal_services.successor_void_if_unsigned(
        predecessor=contract
    ):
        return NOTHING
    successor = _successor_create(contract, consent, as_of)
    invoices = invoice_plan_issue(
        contract=successor, installments=1, first_due_date=max(successor.start_date, as_of)
    )
    contract_services.event_record(
        contract=contract,
        kind="auto_renewed",
        payload={"successor": successor.number, "total": str(successor.total_amount)},
    )
    renewal_services.case_attach_auto_renewal(predecessor=contract, successor=successor)
    message_to_customer(
        kind="auto_renewal_confirmation",
        customer=contract.customer,
        contract=successor,
        context={
            "contract_number": contract.number,
            "successor_number": successor.number,
            "start_date": successor.start_date.isoformat(),
            "end_date": successor.end_date.isoformat(),
            "total": str(successor.total_amount),
            "currency": successor.currency,
            "invoice_number": invoices[0].number if invoices else "",
        },
        dedupe_key=f"auto-renewal-confirmation:{successor.pk}",
    )
    return RENEWED


def contract_auto_renew(contract_id: int, *, as_of: dt.date) -> str:
    """Renew one contract if it is due: ``RENEWED``, ``BLOCKED`` (no delivered notice) or
    ``NOTHING``. Returns once the transaction has committed; if anything fails, the
    successor, its invoice and every other write go with it and the error propagates."""
    # A savepoint when the caller has a transaction of its own.
    with transaction.atomic():
        return _renew(contract_id, as_of)
