"""Automatic renewal of one contract at the end of its term.

An active contract ending by the run's date, with auto-renew on, a valid consent and a
renewal notice delivered as its rules require, renews into a successor at the
then-current price, starting the day after the end, invoiced and confirmed to the
customer. The rules are those the contract was signed under (lifecycle/
compliance_renewal.py, docs/compliance.md "What the lifecycle does"):

- the notice must have reached the customer inside the rules' window, counted by the
  proofs they accept; a price rise above their threshold needs its own notice inside the
  price-change window, or an explicit consent;
- otherwise nothing renews silently: the contract is **held** (``BLOCKED``): an
  ``auto_renewal_held`` event says why, the renewal case is flagged, the account manager
  gets a task and the customer is told;
- where the rules renew only into an open-ended contract (Germany), the successor is one:
  it runs from month to month (``open_ended_notice_months`` at a time) with no notice
  period of its own, so the customer can end it at any time with at most that notice, and
  carries a ``continues_open_ended`` event that the staff timeline and the portal show.

A member of a loyalty level gets on the successor what a renewal quote would give:
the level's extra services as complimentary lines (price 0), the level's renewal discount
and any renewal discount redeemed with points, spread over the lines; loyalty records
each with its reason, named by the successor's number (``QuoteBenefit.contract_ref``).

A contract renewed by hand already is left to the mark-renewed step.

Everything happens in one transaction per contract, under the contract's lock (renewal
case first, then the contract): run twice, or twice at once, it makes one successor
(``Contract.predecessor`` is also one-to-one in the database).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from billing.services import invoice_plan_issue, term_end
from compliance.rules import Rules
from compliance.selectors import contract_ruleset_snapshot
from contracts import contract_states
from contracts import services as contract_services
from contracts.models import (
    AutoRenewConsent,
    BillingPeriod,
    ConsentKind,
    Contract,
    ContractEvent,
    ContractStatus,
)
from contracts.open_ended import OPEN_ENDED_KIND
from core.money import money
from loyalty.services import QuoteLoyalty, renewal_benefits_due, renewal_benefits_record
from notifications.customer_messages import message_to_customer
from renewals import services as renewal_services
from renewals.selectors import term_months
from renewals.services import QuoteLineSpec
from renewals.services.quote_pricing import member_benefit_specs

from . import compliance_renewal
from .contract_locks import contract_lock
from .term_changes import SUCCESSOR_TAKES_OVER

S = ContractStatus
RENEWED, BLOCKED, NOTHING = "renewed", "blocked", ""
# Event kinds this module writes besides the transitions.
HELD = "auto_renewal_held"
OPEN_ENDED = OPEN_ENDED_KIND
RULES_ATTR = "_compliance_rules"


def renewal_notice_was_delivered(contract: Contract) -> bool:
    """Whether the renewal notice reached the customer as the contract's rules require:
    inside their window, by a proof they accept (lifecycle/compliance_renewal.py)."""
    return compliance_renewal.notice_delivered_in_time(contract, _rules(contract))


def _rules(contract: Contract) -> Rules:
    """The contract's rules (``contract_ruleset_snapshot``), read once per renewal: kept on
    the locked instance the renewal works with."""
    rules = getattr(contract, RULES_ATTR, None)
    if rules is None:
        rules = contract_ruleset_snapshot(contract)
        setattr(contract, RULES_ATTR, rules)
    return rules


def is_open_ended(contract: Contract) -> bool:
    """Whether the contract is the open-ended continuation of an earlier term."""
    return ContractEvent.objects.filter(contract=contract, kind=OPEN_ENDED).exists()


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


def _hold(contract: Contract, rules: Rules, reasons: list[compliance_renewal.HoldReason]) -> str:
    """Not renewed silently: the event that says why (once per term), the flagged case,
    the manager's task and the customer's message (renewals, idempotent). The reasons are
    kept as codes and parameters (``hold_reasons``), worded in each reader's language
    (``compliance_renewal.hold_reason_text``); the event's reason is the English wording,
    for the audit trail."""
    term = contract.end_date.isoformat()
    if not ContractEvent.objects.filter(
        contract=contract, kind=HELD, payload__term_end=term
    ).exists():
        with translation.override("en"):
            reason = compliance_renewal.hold_reasons_text(reasons)
        contract_services.event_record(
            contract=contract,
            kind=HELD,
            reason=reason,
            payload={"term_end": term, "hold_reasons": reasons, "rules": rules.labels},
        )
    renewal_services.case_open_for_blocked_auto_renewal(
        contract=contract,
        cause=compliance_renewal.hold_cause(reasons),
        reason=lambda: compliance_renewal.hold_reasons_text(reasons),
    )
    return BLOCKED


def _lines_total(lines: list[QuoteLineSpec]) -> Decimal:
    return sum((s.quantity * s.unit_price for s in lines), Decimal("0"))


@dataclass(frozen=True)
class AutoRenewalTerms:
    """What the automatic renewal of a contract makes of it: the successor's term (from
    ``start`` to ``end``, ``months`` long; an open-ended continuation runs
    ``open_ended_months`` at a time) and its ``lines``, repriced from the price list on
    ``start`` with the member's loyalty benefits. ``list_total`` is the price list's
    total before those benefits: the price-change check compares that one."""

    start: dt.date
    end: dt.date
    months: int
    open_ended_months: int | None
    lines: list[QuoteLineSpec]
    list_total: Decimal
    loyalty: QuoteLoyalty

    @property
    def open_ended(self) -> bool:
        return bool(self.open_ended_months)

    @property
    def total(self) -> Decimal:
        return money(_lines_total(self.lines))


def auto_renewal_terms(contract: Contract, *, loyalty: QuoteLoyalty) -> AutoRenewalTerms:
    """The one computation of an automatic renewal's term and price: ``_renew`` builds the
    successor from it, and ``lifecycle.auto_renewal_outlook`` shows it to the customer and
    the account manager before the day ("on X your contract renews for N months at Y"),
    so the pages promise what the renewal does. ``loyalty``: the member's benefits on the
    renewal's day (``loyalty.services.renewal_benefits_due`` when renewing, which locks
    the redeemed discounts it uses; ``renewal_benefits_preview`` on a page)."""
    open_months = compliance_renewal.open_ended_months(_rules(contract))
    start = contract.end_date + dt.timedelta(days=1)
    months = open_months or term_months(contract.start_date, contract.end_date)
    listed = renewal_services.renewal_lines_at_current_prices(
        contract=contract, start=start, months=months
    )
    lines = (
        member_benefit_specs(contract=contract, specs=listed, loyalty=loyalty)
        if loyalty.benefits
        else listed
    )
    return AutoRenewalTerms(
        start=start,
        end=successor_term_end(start, months),
        months=months,
        open_ended_months=open_months,
        lines=lines,
        list_total=_lines_total(listed),
        loyalty=loyalty,
    )


def _successor_create(
    contract: Contract,
    consent: AutoRenewConsent,
    as_of: dt.date,
    *,
    terms: AutoRenewalTerms,
) -> Contract:
    """The successor, through the same statuses (and events) as a signed renewal. An
    open-ended one runs ``open_ended_months`` at a time, billed monthly, without a notice
    period of its own (it ends at the end of the running month when switched off)."""
    start, open_ended_months = terms.start, terms.open_ended_months
    successor = contract_services.contract_create_draft(
        customer=contract.customer,
        by=None,
        start_date=start,
        end_date=terms.end,
        lines=[
            contract_services.LineSpec(
                description=s.description, quantity=s.quantity, unit_price=s.unit_price, plan=s.plan
            )
            for s in terms.lines
        ],
        plan=contract.plan,
        owner=contract.owner,
        billing_period=BillingPeriod.MONTHLY if open_ended_months else contract.billing_period,
        currency=contract.currency,
        terms_version=contract.terms_version,
        notice_period_days=0 if open_ended_months else contract.notice_period_days,
        predecessor=contract,
    )
    if open_ended_months:
        contract_services.event_record(
            contract=successor,
            kind=OPEN_ENDED,
            reason=_(
                "Continues for an indefinite period after the initial term: the customer "
                "may end it at any time, with at most %(months)s month(s) notice."
            )
            % {"months": open_ended_months},
            payload={"notice_months": open_ended_months, "predecessor": contract.number},
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
    rules = _rules(contract)
    # An open-ended contract continuing is not a new commitment: without a window of its
    # own it needs no renewal notice (the customer may end it at any time).
    continuing = compliance_renewal.term_notice_window(contract, rules) is None and is_open_ended(
        contract
    )
    if not continuing and not renewal_notice_was_delivered(contract):
        return _hold(contract, rules, [compliance_renewal.notice_hold(contract, rules)])
    # The member's loyalty benefits, as a renewal quote gets them (the level's discount
    # and extra services, redeemed discounts): decided before the successor exists, named
    # by its number once it does. Read here, before the price check, because the term and
    # price come from one computation (auto_renewal_terms, which the pages' promise uses
    # too); a held renewal so reads the member level for nothing, and its locks on the
    # redeemed discounts end with this transaction.
    loyalty = renewal_benefits_due(customer=contract.customer, on=as_of)
    terms = auto_renewal_terms(contract, loyalty=loyalty)
    # The price check stays on the price list: a member discount, which the next term may
    # not bring, never hides a price rise.
    price_reason = compliance_renewal.price_change_hold(
        contract,
        rules,
        old_monthly=compliance_renewal.monthly(
            contract.total_amount, contract.start_date, contract.end_date
        ),
        new_monthly=terms.list_total / terms.months,
        change_date=terms.start,
    )
    if price_reason is not None:
        return _hold(contract, rules, [price_reason])
    # Without any successor there is nothing to void (the call would only look).
    if existing is not None and not renewal_services.successor_void_if_unsigned(
        predecessor=contract
    ):
        return NOTHING
    successor = _successor_create(contract, consent, as_of, terms=terms)
    if loyalty.benefits:
        renewal_benefits_record(loyalty, contract_ref=successor.number)
    invoices = invoice_plan_issue(
        contract=successor, installments=1, first_due_date=max(successor.start_date, as_of)
    )
    contract_services.event_record(
        contract=contract,
        kind="auto_renewed",
        payload={"successor": successor.number, "total": str(successor.total_amount)},
    )
    renewal_services.case_attach_auto_renewal(predecessor=contract, successor=successor)
    if terms.open_ended_months and not is_open_ended(contract):
        message_to_customer(
            kind="auto_renewal_open_ended",
            customer=contract.customer,
            contract=successor,
            context={
                "contract_number": contract.number,
                "successor_number": successor.number,
                "start_date": successor.start_date.isoformat(),
                "notice_months": terms.open_ended_months,
            },
            dedupe_key=f"auto-renewal-open-ended:{successor.pk}",
        )
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
