"""What a verified Alipay notification says, as a ``ProviderEvent``.

Alipay sends every notification as a form POST to the notify_url of the request that caused
it; ``notify_type`` says what it is about:

- ``trade_status_sync``: a trade changed. ``trade_status`` WAIT_BUYER_PAY, TRADE_SUCCESS,
  TRADE_FINISHED (no refund possible any more) or TRADE_CLOSED. A refund comes as the same
  notification of the refunded trade (to the trade's notify_url) with ``out_biz_no`` (our
  ``out_request_no``), ``refund_fee`` and ``gmt_refund``; a full refund also closes the trade.
  ``refund_fee`` is the total refunded on the trade so far, not this refund's amount, so a
  refund event carries no amount: the refund query gives the exact one.
- ``dut_user_sign`` / ``dut_user_unsign``: the customer signed (``status`` NORMAL) or
  ended (UNSIGN) a recurring-deduction agreement; ``external_agreement_no`` is our reference.

This module only reads a form the gateway module has verified (and the verified answers of
``alipay.trade.query`` and ``alipay.trade.pay``, which describe a trade the same way).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .alipay_gateway import CURRENCY, amount_parse
from .base import NotificationRejected, Outcome, ProviderEvent

TRADE_OUTCOMES: dict[str, Outcome] = {
    "WAIT_BUYER_PAY": "pending",
    "TRADE_SUCCESS": "succeeded",
    "TRADE_FINISHED": "succeeded",
    "TRADE_CLOSED": "closed",
}


def trade_outcome(trade_status: str) -> Outcome:
    """A trade status as an outcome; an unknown status is still pending."""
    return TRADE_OUTCOMES.get(trade_status, "pending")


def mandate_display(agreement_no: str, logon_id: str = "") -> str:
    """What the customer and staff see of an agreement: Alipay's masked login (e.g.
    ``csq***@example.com``) when it sent one, and the agreement number's last four."""
    tail = f"…{agreement_no[-4:]}" if agreement_no else ""
    return " ".join(part for part in ("Alipay agreement", logon_id, tail) if part)


def _amount(form: Mapping[str, str], name: str) -> Decimal:
    try:
        value = Decimal(form.get(name, ""))
    except InvalidOperation:
        raise NotificationRejected(f"{name} is not an amount") from None
    if not value.is_finite() or value < 0:
        raise NotificationRejected(f"{name} is not an amount")
    return value.quantize(Decimal("0.01"))


def event_from_notification(form: Mapping[str, str]) -> ProviderEvent:
    """The fact in a verified notification form."""
    notify_id = form["notify_id"]
    notify_type = form.get("notify_type", "")
    raw = dict(form)
    if notify_type in ("dut_user_sign", "dut_user_unsign"):
        agreement_no = form.get("agreement_no", "")
        if not agreement_no:
            raise NotificationRejected("an agreement notification without agreement_no")
        if notify_type == "dut_user_unsign":
            outcome: Outcome = "closed"
        else:
            outcome = "succeeded" if form.get("status") == "NORMAL" else "failed"
        return ProviderEvent(
            event_id=notify_id,
            kind="mandate",
            reference=form.get("external_agreement_no", ""),
            outcome=outcome,
            transaction_id=agreement_no,
            mandate={
                "agreement_no": agreement_no,
                "display": mandate_display(agreement_no, form.get("alipay_logon_id", "")),
            },
            detail=form.get("status", ""),
            raw=raw,
        )
    if notify_type != "trade_status_sync":
        return ProviderEvent(
            event_id=notify_id, kind="ignored", reference="", outcome="pending", raw=raw
        )
    trade_no = form.get("trade_no", "")
    trade_status = form.get("trade_status", "")
    refund_no = form.get("out_biz_no", "")
    if refund_no or form.get("gmt_refund") or form.get("refund_fee"):
        refunded = _amount(form, "refund_fee") if form.get("refund_fee") else None
        return ProviderEvent(
            event_id=notify_id,
            kind="refund",
            reference=refund_no,
            outcome="succeeded",
            transaction_id=f"{trade_no}/{refund_no}",
            currency=CURRENCY,
            detail=f"refunded on the trade so far: {refunded}" if refunded is not None else "",
            raw=raw,
        )
    if trade_status not in TRADE_OUTCOMES:
        raise NotificationRejected("unknown trade_status")
    outcome = TRADE_OUTCOMES[trade_status]
    succeeded = outcome == "succeeded"
    return ProviderEvent(
        event_id=notify_id,
        kind="payment",
        reference=form.get("out_trade_no", ""),
        outcome=outcome,
        transaction_id=trade_no,
        amount=_amount(form, "total_amount") if succeeded else None,
        currency=CURRENCY if succeeded else "",
        detail=trade_status,
        raw=raw,
    )


def trade_event(
    answer: Mapping[str, Any], reference: str, *, prefix: str, trade_status: str = ""
) -> ProviderEvent:
    """A payment event from a trade's verified synchronous answer (``alipay.trade.query``,
    or ``alipay.trade.pay`` with the status its code implies). ``event_id`` is
    ``<prefix>:<trade_no>:<outcome>``: the same fact read twice is one event."""
    trade_status = trade_status or str(answer.get("trade_status", ""))
    outcome = trade_outcome(trade_status)
    trade_no = str(answer.get("trade_no", ""))
    succeeded = outcome == "succeeded"
    return ProviderEvent(
        event_id=f"{prefix}:{trade_no or reference}:{outcome}",
        kind="payment",
        reference=str(answer.get("out_trade_no", reference)),
        outcome=outcome,
        transaction_id=trade_no,
        amount=amount_parse(str(answer.get("total_amount", ""))) if succeeded else None,
        currency=CURRENCY if succeeded else "",
        detail=trade_status,
        raw=dict(answer),
    )
