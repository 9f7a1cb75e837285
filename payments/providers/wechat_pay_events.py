"""WeChat Pay API v3's amounts and states, and the facts they make (docs/payments.md).

The adapter (``wechat_pay.py``) talks to the gateway; this module only reads what came
back, once it is verified: a transaction (a payment notification's resource or an order
query) or a refund (a refund notification's resource, the refund answer or a refund query)
becomes a ``ProviderEvent``. Amounts in the protocol are integers in fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .base import Outcome, ProviderEvent

# The only currency a domestic merchant's Native order takes.
CURRENCY = "CNY"

# trade_state of an order (query order by out_trade_no). REFUND means the order was paid and
# a refund has been asked for since: the payment itself succeeded.
TRADE_STATES: dict[str, Outcome] = {
    "SUCCESS": "succeeded",
    "REFUND": "succeeded",
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    "ACCEPT": "pending",
    "CLOSED": "closed",
    "REVOKED": "closed",
    "PAYERROR": "failed",
}

# status of a refund (refund answer and query: ``status``; notification: ``refund_status``).
# ABNORMAL: the money could not go back (e.g. the payer's card was cancelled); staff handle it.
REFUND_STATES: dict[str, Outcome] = {
    "SUCCESS": "succeeded",
    "PROCESSING": "pending",
    "CLOSED": "closed",
    "ABNORMAL": "failed",
}

# Notification event types, and the outcome each one states.
PAYMENT_EVENTS: dict[str, Outcome] = {"TRANSACTION.SUCCESS": "succeeded"}
REFUND_EVENTS: dict[str, Outcome] = {
    "REFUND.SUCCESS": "succeeded",
    "REFUND.ABNORMAL": "failed",
    "REFUND.CLOSED": "closed",
}


class MalformedResource(ValueError):
    """A verified message that does not say what the protocol says it must."""


def yuan_to_fen(amount: Decimal) -> int:
    """``Decimal("12.30")`` -> 1230. Refuses anything that is not a positive whole number of
    fen: rounding money silently is how accounts stop adding up."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise ValueError(f"not a positive amount: {amount!r}")
    fen = amount.scaleb(2)
    if fen != fen.to_integral_value():
        raise ValueError(f"not a whole number of fen: {amount}")
    return int(fen)


def fen_to_yuan(fen: Any) -> Decimal:
    """1230 -> ``Decimal("12.30")``; the protocol's amounts are JSON integers."""
    if not isinstance(fen, int) or isinstance(fen, bool) or fen < 0:
        raise MalformedResource(f"not an amount in fen: {fen!r}")
    return Decimal(fen).scaleb(-2)


def _text(data: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value):
        raise MalformedResource(f"missing or not a string: {key}")
    return value


def _amounts(data: Mapping[str, Any]) -> Mapping[str, Any]:
    amount = data.get("amount")
    if not isinstance(amount, Mapping):
        raise MalformedResource("missing amount")
    return amount


def _raw(data: Mapping[str, Any]) -> dict[str, Any]:
    # The payer's openid identifies a person to WeChat; nothing here needs it.
    return {key: value for key, value in data.items() if key != "payer"}


def _query_event_id(transaction_id: str, reference: str, outcome: Outcome) -> str:
    # The idempotency key of a fact learnt by asking (base.ProviderEvent).
    return f"query:{transaction_id or reference}:{outcome}"


def payment_event(
    *, transaction: Mapping[str, Any], event_id: str = "", outcome: Outcome | None = None
) -> ProviderEvent:
    """A payment fact from a transaction. A notification gives its ``id`` and the outcome
    its event type states; a query's outcome comes from ``trade_state``. The amount is the
    order's ``total``."""
    state = _text(transaction, "trade_state")
    if outcome is None:
        if state not in TRADE_STATES:
            raise MalformedResource(f"unknown trade_state {state}")
        outcome = TRADE_STATES[state]
    elif TRADE_STATES.get(state) != outcome:
        raise MalformedResource(f"trade_state {state} in a {outcome} notification")
    amount: Decimal | None = None
    currency = ""
    transaction_id = _text(transaction, "transaction_id", required=outcome == "succeeded")
    if outcome == "succeeded":
        amounts = _amounts(transaction)
        amount = fen_to_yuan(amounts.get("total"))
        currency = _text(amounts, "currency", required=False) or CURRENCY
    reference = _text(transaction, "out_trade_no")
    return ProviderEvent(
        event_id=event_id or _query_event_id(transaction_id, reference, outcome),
        kind="payment",
        reference=reference,
        outcome=outcome,
        transaction_id=transaction_id,
        amount=amount,
        currency=currency,
        detail=_text(transaction, "trade_state_desc", required=False) or state,
        raw=_raw(transaction),
    )


def refund_event(
    *, refund: Mapping[str, Any], event_id: str = "", outcome: Outcome | None = None
) -> ProviderEvent:
    """A refund fact. Answers and queries name the state ``status``, notifications
    ``refund_status``; a notification's amounts carry no currency (they are CNY)."""
    state = _text(refund, "refund_status" if "refund_status" in refund else "status")
    if outcome is None:
        if state not in REFUND_STATES:
            raise MalformedResource(f"unknown refund status {state}")
        outcome = REFUND_STATES[state]
    elif REFUND_STATES.get(state) != outcome:
        raise MalformedResource(f"refund status {state} in a {outcome} notification")
    amounts = _amounts(refund)
    refund_id = _text(refund, "refund_id")
    reference = _text(refund, "out_refund_no")
    return ProviderEvent(
        event_id=event_id or _query_event_id(refund_id, reference, outcome),
        kind="refund",
        reference=reference,
        outcome=outcome,
        transaction_id=refund_id,
        amount=fen_to_yuan(amounts.get("refund")),
        currency=_text(amounts, "currency", required=False) or CURRENCY,
        detail=state,
        raw=_raw(refund),
    )
