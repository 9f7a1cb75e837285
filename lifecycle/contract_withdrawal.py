"""The online withdrawal function (Directive 2011/83/EU art. 11a, inserted by Directive
(EU) 2023/2673; docs/compliance.md, "What the customer can do").

A customer under rules with a withdrawal period (``withdrawal_days``: the EU's 14 days)
can withdraw from a contract until the period's last day: the period runs from the day
the contract was concluded (its signature, in the customer's calendar) and lasts that
many days after it (signed on 31 January 2028: until 14 February). Withdrawing ends the
contract at once (a term not started is voided, a running one terminated), pays back what
was paid for the days not used (the cancellation policy's arithmetic,
lifecycle/customer_exits.py) and is acknowledged by message, a durable medium.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from compliance.selectors import contract_rules_day, contract_ruleset_snapshot
from contracts.models import Contract
from core.errors import DomainError
from core.money import money_text
from notifications.customer_messages import message_to_customer
from retention.selectors import contract_has_open_cancellation

from .contract_locks import contract_lock
from .customer_exits import (
    ENDABLE,
    ExitPreview,
    ExitResult,
    contract_exit,
    exit_preview,
    exit_result_url,
)
from .renewal_undo import auto_renewal_event

WITHDRAWAL_TEXT_VERSION = "portal-withdrawal-1"


@dataclass(frozen=True)
class WithdrawalWindow:
    contract: Contract
    concluded_on: dt.date
    last_day: dt.date
    days: int

    def contains(self, day: dt.date) -> bool:
        return self.concluded_on <= day <= self.last_day


def withdrawal_window(contract: Contract) -> WithdrawalWindow | None:
    """The withdrawal period of a signed contract under rules that give one, else None."""
    if contract.signed_at is None:
        return None
    days = contract_ruleset_snapshot(contract).withdrawal_days
    if not days:
        return None
    concluded = contract_rules_day(contract)
    return WithdrawalWindow(
        contract=contract,
        concluded_on=concluded,
        last_day=concluded + dt.timedelta(days=days),
        days=days,
    )


def withdrawal_available(contract: Contract, *, today: dt.date) -> WithdrawalWindow | None:
    """The open withdrawal period of ``contract`` today, or None. A contract made by an
    automatic renewal (or continued open-ended) was not concluded anew: the customer's
    way out of it is the undo window and cancellation, not the withdrawal function."""
    if contract.status not in ENDABLE:
        return None
    if auto_renewal_event(contract) is not None:
        return None
    window = withdrawal_window(contract)
    if window is None or not window.contains(today):
        return None
    return window


def withdrawal_preview(contract: Contract, *, today: dt.date) -> ExitPreview | None:
    if withdrawal_available(contract, today=today) is None:
        return None
    return exit_preview(contract=contract, today=today)


def withdrawal_text(contract: Contract) -> str:
    """The declaration the customer confirms (kept in the consent ledger too)."""
    return _(
        "I withdraw from contract %(number)s (%(start)s to %(end)s), concluded on "
        "%(concluded)s. It ends now."
    ) % {
        "number": contract.number,
        "start": contract.start_date.isoformat(),
        "end": contract.end_date.isoformat(),
        "concluded": contract_rules_day(contract).isoformat(),
    }


def contract_withdraw(
    *,
    contract: Contract,
    today: dt.date,
    by: Any,
    expected_refund: Decimal | None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ExitResult:
    """Withdraw from ``contract`` today. Raises DomainError when the period is over (or
    the contract ended), or (code ``amount_changed``) when the refund is no longer the
    amount the customer was shown."""
    with transaction.atomic():
        if contract.predecessor_id is not None:
            contract_lock(contract.predecessor_id)
        locked = contract_lock(contract.pk)
        if withdrawal_available(locked, today=today) is None:
            raise DomainError(_("The withdrawal period of this contract is over."), code="closed")
        if contract_has_open_cancellation(contract_id=locked.pk):
            raise DomainError(
                _("This contract has a cancellation request open: withdraw it first.")
            )
        preview = exit_preview(contract=locked, today=today)
        if preview is None:
            raise DomainError(_("The withdrawal period of this contract is over."))
        if expected_refund is not None and preview.refund != expected_refund:
            raise DomainError(
                _("The refund is now %(amount)s: please review it and confirm again.")
                % {"amount": money_text(preview.refund, preview.currency)},
                code="amount_changed",
            )
        text = withdrawal_text(locked)
        result = contract_exit(
            contract=locked,
            preview=preview,
            kind="withdrawn",
            reason=_("Withdrawal by the customer within the withdrawal period"),
            refund_reason=_("Refund: withdrawal from contract %(number)s")
            % {"number": locked.number},
            consent_text=text,
            text_version=WITHDRAWAL_TEXT_VERSION,
            by=by,
            ip_address=ip_address,
            user_agent=user_agent,
        )
        message_to_customer(
            kind="contract_withdrawn",
            customer=locked.customer,
            contract=locked,
            context={
                "contract_number": locked.number,
                "declaration": text,
                "refund": money_text(result.refund, preview.currency),
                "credit_note": result.credit_note.number if result.credit_note else "",
                "portal_url": exit_result_url(result, contract=locked),
            },
            dedupe_key=f"contract-withdrawn:{locked.pk}",
        )
    return result
