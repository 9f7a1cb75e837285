"""Undoing an automatic renewal (docs/compliance.md, "What the customer can do").

Where the rules a renewal was made under give an undo window (``undo_window_days``, the
UK's renewal cooling-off period) or the company offers one (settings
``RENEWDESK["AUTO_RENEWAL_UNDO_DAYS"]``; the longer of the two applies), the customer can
reverse an automatic renewal from the portal until the window's last day: the successor
the renewal made ends (terminated if its term started, void if not), the old term ends as
it would have without the renewal (``expired``), and what was paid for the days not used
comes back as a credit note, refunded through the provider that took the payment.

The window: it opens on the later of the successor's start date and the day the renewal
was made (in the customer's calendar: a renewal run late opens it late) and lasts that
many days after it, so a 14-day window opened on 28 February 2027 ends on 14 March, one
opened on 29 February 2028 ends on 14 March 2028.

The money is the cancellation policy's (lifecycle/customer_exits.py); the customer sees
the amount before confirming, and a confirmation whose amount is no longer the one shown
(the day changed meanwhile) is refused with the new amount, never applied silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from compliance.calendar import local_day, local_zone
from compliance.selectors import contract_ruleset_snapshot
from contracts.models import Contract, ContractEvent, ContractStatus
from core.errors import DomainError
from core.money import money_text
from notifications.customer_messages import message_to_customer
from retention.selectors import contract_has_open_cancellation

from .contract_locks import contract_lock
from .customer_exits import (
    ExitPreview,
    ExitResult,
    contract_exit,
    exit_preview,
    exit_result_url,
)

S = ContractStatus
UNDO_TEXT_VERSION = "portal-undo-1"
UNDOABLE = (S.ACTIVE, S.SCHEDULED)


@dataclass(frozen=True)
class UndoWindow:
    successor: Contract
    predecessor: Contract
    renewed_on: dt.date
    opens_on: dt.date
    last_day: dt.date
    days: int

    def contains(self, day: dt.date) -> bool:
        return self.renewed_on <= day <= self.last_day


def company_undo_days() -> int | None:
    value = settings.RENEWDESK.get("AUTO_RENEWAL_UNDO_DAYS")
    return int(value) if value else None


def undo_days(contract: Contract) -> int | None:
    """How long an automatic renewal into ``contract`` can be undone: the longer of the
    rules' ``undo_window_days`` (those the contract was made under) and the company's
    setting; None when neither gives a window."""
    candidates = [
        d for d in (contract_ruleset_snapshot(contract).undo_window_days, company_undo_days()) if d
    ]
    return max(candidates) if candidates else None


def auto_renewal_event(successor: Contract) -> ContractEvent | None:
    """The predecessor's ``auto_renewed`` event that made ``successor``, if it was made so."""
    if successor.predecessor_id is None:
        return None
    return (
        ContractEvent.objects.filter(
            contract_id=successor.predecessor_id,
            kind="auto_renewed",
            payload__successor=successor.number,
        )
        .order_by("-at")
        .first()
    )


def undo_window(successor: Contract) -> UndoWindow | None:
    """The window in which the automatic renewal into ``successor`` can be undone, or None
    (not an automatic renewal, or no window applies). Whether it is still open: see
    ``UndoWindow.contains`` and ``undo_available``."""
    event = auto_renewal_event(successor)
    if event is None or successor.predecessor_id is None:
        return None
    days = undo_days(successor)
    if not days:
        return None
    customer = successor.customer
    renewed_on = local_day(event.at, local_zone(customer.country, customer.region))
    opens_on = max(successor.start_date, renewed_on)
    predecessor = Contract.objects.get(pk=successor.predecessor_id)
    return UndoWindow(
        successor=successor,
        predecessor=predecessor,
        renewed_on=renewed_on,
        opens_on=opens_on,
        last_day=opens_on + dt.timedelta(days=days),
        days=days,
    )


def undo_available(successor: Contract, *, today: dt.date) -> UndoWindow | None:
    """The open window for undoing ``successor``'s automatic renewal today, or None."""
    if successor.status not in UNDOABLE:
        return None
    window = undo_window(successor)
    if window is None or not window.contains(today):
        return None
    return window


def undo_preview(successor: Contract, *, today: dt.date) -> ExitPreview | None:
    """What undoing the renewal today gives back (None: it cannot be undone today)."""
    if undo_available(successor, today=today) is None:
        return None
    return exit_preview(contract=successor, today=today)


def undo_consent_text(window: UndoWindow) -> str:
    """What the customer confirms (and the consent ledger keeps, with automatic renewal
    switched off)."""
    return _(
        "I undo the automatic renewal of contract %(old)s into contract %(new)s. Contract "
        "%(new)s ends now, contract %(old)s ends on %(end)s as it would have without the "
        "renewal, and automatic renewal is off."
    ) % {
        "old": window.predecessor.number,
        "new": window.successor.number,
        "end": window.predecessor.end_date.isoformat(),
    }


def renewal_undo(
    *,
    successor: Contract,
    today: dt.date,
    by: Any,
    expected_refund: Decimal | None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ExitResult:
    """Undo the automatic renewal into ``successor`` (see the module's docstring). Raises
    DomainError when it cannot be undone today, or (code ``amount_changed``) when the
    refund is no longer ``expected_refund``, the amount the customer was shown."""
    with transaction.atomic():
        # The renewal locked the old term first (its case, then the contract): same order.
        if successor.predecessor_id is None:
            raise DomainError(_("This contract was not renewed automatically."))
        contract_lock(successor.predecessor_id)
        locked = contract_lock(successor.pk)
        window = undo_available(locked, today=today)
        if window is None:
            raise DomainError(
                _("This automatic renewal can no longer be undone online."), code="closed"
            )
        if contract_has_open_cancellation(contract_id=locked.pk):
            raise DomainError(
                _("This contract has a cancellation request open: withdraw it first.")
            )
        preview = exit_preview(contract=locked, today=today)
        if preview is None:
            raise DomainError(_("This automatic renewal can no longer be undone online."))
        if expected_refund is not None and preview.refund != expected_refund:
            raise DomainError(
                _("The refund is now %(amount)s: please review it and confirm again.")
                % {"amount": money_text(preview.refund, preview.currency)},
                code="amount_changed",
            )
        text = undo_consent_text(window)
        result = contract_exit(
            contract=locked,
            preview=preview,
            kind="auto_renewal_undone",
            reason=_("Automatic renewal undone by the customer"),
            refund_reason=_("Refund: automatic renewal of contract %(number)s undone")
            % {"number": window.predecessor.number},
            consent_text=text,
            text_version=UNDO_TEXT_VERSION,
            by=by,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        message_to_customer(
            kind="auto_renewal_undone",
            customer=locked.customer,
            contract=locked,
            context={
                "contract_number": window.predecessor.number,
                "successor_number": locked.number,
                "end_date": window.predecessor.end_date.isoformat(),
                "refund": money_text(result.refund, preview.currency),
                "credit_note": result.credit_note.number if result.credit_note else "",
                "portal_url": exit_result_url(result, contract=window.predecessor),
            },
            dedupe_key=f"auto-renewal-undone:{locked.pk}",
        )
    return result
