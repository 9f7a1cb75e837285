"""Who reacts to which event: the one table.

Every reaction of one app to another app's change is a row of ``SUBSCRIPTIONS``: the
event table it listens to, which rows (their ``kind``, or a status change to one of
``to_status``), the function that reacts (named by its dotted path, so that this table
can name the interfaces above it, the API's webhooks, without importing them) and a name
that logs and the admin show. Nothing else connects apps: no signals, no registries.

A reaction takes the event row. Two ways to run:

- after the commit (the default): ``lifecycle.reactions`` claims the row, runs every
  matching reaction in one transaction with the row's ``reacted_at``, right after the
  writer's commit (``deliver_now``) or, if that did not happen, in the periodic sweep.
  A reaction runs once per row; if one fails, the row's reactions roll back together and
  are all tried again later.
- ``in_transaction=True``: inside the writer's transaction, when the row is saved, for a
  consequence that must share the change's fate (a failure undoes the change). Keep these
  few and fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from contracts.models import ContractEvent, ContractStatus
from contracts.open_ended import OPEN_ENDED_KIND
from insights.surveys import on_contract_status_changed
from loyalty.services import (
    points_on_invoice_paid,
    points_on_renewal,
    referral_on_contract_active,
)
from renewals.services import case_on_successor_paid, case_on_successor_voided
from retention.models import Status as RequestStatus

S = ContractStatus


@dataclass(frozen=True)
class Subscription:
    name: str
    event: str  # the event model's label, "contracts.ContractEvent"
    reaction: str  # dotted path of a function taking the event row
    kinds: frozenset[str] | None = None  # rows of these kinds (None: any kind)
    to_status: frozenset[str] | None = None  # status changes (from_status set) to these
    in_transaction: bool = False

    def matches(self, row: Any) -> bool:
        if self.kinds is not None and row.kind not in self.kinds:
            return False
        if self.to_status is not None and not (row.from_status and row.to_status in self.to_status):
            return False
        return True

    def rows(self) -> Q:
        """The rows this subscription wants, as a filter."""
        q = Q()
        if self.kinds is not None:
            q &= Q(kind__in=sorted(self.kinds))
        if self.to_status is not None:
            q &= ~Q(from_status="") & Q(to_status__in=sorted(self.to_status))
        return q

    @property
    def function(self) -> Callable[[Any], Any]:
        return _resolve(self.reaction)


@cache
def _resolve(path: str) -> Callable[[Any], Any]:
    return import_string(path)


# --- reactions of domain apps (adapters from the event row to the app's service) ---------


def case_on_successor_paid_event(event: ContractEvent) -> None:
    """Billing → renewals: the contract's first invoice was paid, so it left "awaiting
    payment" (the "paid" change, written while billing settles the invoice). If it is a
    renewal case's successor, the case moves to "paid", or to "won" when the old term is
    already over."""
    case_on_successor_paid(successor=event.contract, by=event.actor)


def case_on_successor_voided_event(event: ContractEvent) -> None:
    """Contracts → renewals: a contract was voided. If it is a renewal case's signed (or
    paid) successor, the renewal did not happen: the case is closed as lost, the reason
    saying which contract was voided and why (renewals.services.case_on_successor_voided).
    After the void's commit: renewals lock the case before the contract."""
    case_on_successor_voided(successor=event.contract, by=event.actor, reason=event.reason)


def _monthly_continuation(event: ContractEvent) -> bool:
    """The renewed term was itself a month of an open-ended contract (contracts.open_ended):
    its "renewal" is the next month following on its own, not a renewal the customer made.
    The first step into open-ended (the initial term renewed) is a real one."""
    return (
        event.to_status == S.RENEWED
        and ContractEvent.objects.filter(
            contract_id=event.contract_id, kind=OPEN_ENDED_KIND
        ).exists()
    )


def csat_survey(event: ContractEvent) -> None:
    """Contracts → insights: a CSAT survey after a renewal or a cancellation (idempotent
    per contract and survey kind); not after each month of an open-ended contract."""
    if _monthly_continuation(event):
        return
    on_contract_status_changed(contract_id=event.contract_id, to_status=event.to_status)


def loyalty_points_on_invoice_paid(event: ContractEvent) -> None:
    """Billing → loyalty: an invoice paid by its due date earns the on-time payment rules'
    points (once per rule and invoice)."""
    points_on_invoice_paid(invoice_number=str((event.payload or {}).get("invoice", "")))


def loyalty_points_on_renewal(event: ContractEvent) -> None:
    """Renewals → loyalty: a renewal signed (or an automatic renewal) earns the renewal
    rules' points, once per renewed contract; not for each month of an open-ended
    contract (only its first step into open-ended counts as a renewal)."""
    if _monthly_continuation(event):
        return
    points_on_renewal(contract=event.contract, on=timezone.localdate(event.at))


def loyalty_referral_on_contract_active(event: ContractEvent) -> None:
    """Contracts → loyalty: a referred customer's first contract is active, so the
    customer who referred them earns the referral rules' points."""
    referral_on_contract_active(contract=event.contract, on=timezone.localdate(event.at))


# --- the table -------------------------------------------------------------------------

CONTRACT_EVENT = "contracts.ContractEvent"
REQUEST_EVENT = "retention.RequestEvent"

# Contract events the API reports as webhooks beside status changes (the mapping to
# webhook names is the API's: api.webhook_reactions.TIMELINE_EVENTS).
WEBHOOK_TIMELINE_KINDS = frozenset(
    {
        "renewal_signed",
        "renewal_won",
        "renewal_lost",
        "cancellation_submitted",
        "cancellation_confirmed",
        "cancellation_completed",
        "cancellation_withdrawn",
        "cancellation_offer_accepted",
        "cancellation_rejected",
    }
)

SUBSCRIPTIONS: tuple[Subscription, ...] = (
    # billing → renewals, in the payment's transaction (the case moves with it or not at all)
    Subscription(
        name="renewals: case paid when its successor's first invoice is paid",
        event=CONTRACT_EVENT,
        kinds=frozenset({"paid"}),
        to_status=frozenset({S.SCHEDULED, S.ACTIVE}),
        reaction="lifecycle.subscriptions.case_on_successor_paid_event",
        in_transaction=True,
    ),
    # contracts → renewals, after the void's commit (renewals lock the case first)
    Subscription(
        name="renewals: case lost when its signed successor is voided",
        event=CONTRACT_EVENT,
        to_status=frozenset({S.VOID}),
        reaction="lifecycle.subscriptions.case_on_successor_voided_event",
    ),
    # contracts → notifications: the reminder schedule of a contract a change unscheduled
    Subscription(
        name="notifications: reminder schedule after a change of dates, status or renewal",
        event=CONTRACT_EVENT,
        reaction="notifications.reminders.schedule_state.reminder_schedule_on_contract_event",
    ),
    # contracts → compliance: the rules a contract was signed under, kept once
    Subscription(
        name="compliance: the rules in force when the contract was signed are kept",
        event=CONTRACT_EVENT,
        kinds=frozenset({"signed", "paid", "activated"}),
        reaction="lifecycle.compliance_capture.contract_rules_capture_on_event",
    ),
    # contracts → insights
    Subscription(
        name="insights: CSAT survey after a renewal or cancellation",
        event=CONTRACT_EVENT,
        to_status=frozenset({S.RENEWED, S.TERMINATED, S.EXPIRED}),
        reaction="lifecycle.subscriptions.csat_survey",
    ),
    # retention → renewals, after the cancellation's commit (renewals lock in the other
    # order: lifecycle/cancellation_renewals.py)
    Subscription(
        name="renewals: a confirmed cancellation withdraws the renewal in progress",
        event=REQUEST_EVENT,
        to_status=frozenset({RequestStatus.CONFIRMED}),
        reaction="lifecycle.cancellation_renewals.renewal_withdraw_on_confirmed",
    ),
    Subscription(
        name="renewals: an accepted offer is applied to the open renewal quote",
        event=REQUEST_EVENT,
        to_status=frozenset({RequestStatus.RETAINED}),
        reaction="lifecycle.cancellation_renewals.grant_apply_on_offer_accepted",
    ),
    # → loyalty (each earning has a dedupe key: a row delivered twice earns once). The
    # contract anniversary has no event: loyalty.tasks sweeps it daily.
    Subscription(
        name="loyalty: points for an invoice paid on time",
        event=CONTRACT_EVENT,
        kinds=frozenset({"invoice_paid"}),
        reaction="lifecycle.subscriptions.loyalty_points_on_invoice_paid",
    ),
    Subscription(
        name="loyalty: points for a renewal signed",
        event=CONTRACT_EVENT,
        kinds=frozenset({"renewal_signed"}),
        reaction="lifecycle.subscriptions.loyalty_points_on_renewal",
    ),
    Subscription(
        name="loyalty: points for a contract renewed (automatic renewals)",
        event=CONTRACT_EVENT,
        to_status=frozenset({S.RENEWED}),
        reaction="lifecycle.subscriptions.loyalty_points_on_renewal",
    ),
    Subscription(
        name="loyalty: referral points when a referred customer's first contract is active",
        event=CONTRACT_EVENT,
        to_status=frozenset({S.ACTIVE}),
        reaction="lifecycle.subscriptions.loyalty_referral_on_contract_active",
    ),
    # → the API's webhooks (each checks which endpoints want the event)
    Subscription(
        name="api: contract status webhooks",
        event=CONTRACT_EVENT,
        to_status=frozenset(S.values),
        reaction="api.webhook_reactions.contract_status_changed",
    ),
    Subscription(
        name="api: renewal and cancellation webhooks",
        event=CONTRACT_EVENT,
        kinds=WEBHOOK_TIMELINE_KINDS,
        reaction="api.webhook_reactions.contract_timeline_event",
    ),
    Subscription(
        name="api: invoice paid webhook",
        event=CONTRACT_EVENT,
        kinds=frozenset({"invoice_paid"}),
        reaction="api.webhook_reactions.invoice_paid",
    ),
    Subscription(
        name="api: payment recorded webhook",
        event=CONTRACT_EVENT,
        kinds=frozenset({"payment_recorded"}),
        reaction="api.webhook_reactions.payment_recorded",
    ),
)


def subscriptions_for(
    label: str, *, in_transaction: bool, table: Iterable[Subscription] | None = None
) -> tuple[Subscription, ...]:
    return tuple(
        s
        for s in (SUBSCRIPTIONS if table is None else table)
        if s.event == label and s.in_transaction == in_transaction
    )
