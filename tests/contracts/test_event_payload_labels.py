"""The contract timeline's event details in words (contracts.selectors.event_payload_display):
the keys billing and online payments write (refund, credit note, provider, the saved
method's display text, the authorisation, the provider's detail and notification) read in
both languages, never as raw keys."""

from __future__ import annotations

import pytest
from django.utils import translation

from contracts.selectors import event_payload_display

PAYMENT_KEYS = ["refund", "credit_note", "provider", "display", "mandate", "detail", "event"]
PAYLOAD = {
    "invoice": "INV-2026-000001",
    "payment": "RC-2026-000001",
    "amount": "300.00",
    "applied": "300.00",
    "source": "provider",
    "refund": "120.00",
    "credit_note": "CN-2026-000004",
    "provider": "alipay",
    "display": "Visa •••• 4242",
    "mandate": "MD-7",
    "detail": "card declined",
    "event": "evt_123",
}


@pytest.mark.date_independent
def test_payment_event_details_have_english_labels_not_keys():
    with translation.override("en"):
        labels = dict((value, label) for label, value in event_payload_display(PAYLOAD))

    assert labels["CN-2026-000004"] == "credit note"
    assert labels["alipay"] == "payment provider"
    assert labels["Visa •••• 4242"] == "paid from"
    assert labels["MD-7"] == "payment authorisation"
    assert labels["evt_123"] == "provider notification"
    assert labels["120.00"] == "refund"


@pytest.mark.date_independent
def test_payment_event_details_read_in_chinese():
    with translation.override("zh-hans"):
        rows = event_payload_display(PAYLOAD)

    labels = [label for label, _value in rows]
    for key in [*PAYMENT_KEYS, "credit note"]:
        assert key not in labels
    assert {
        "退款",
        "贷项通知单",
        "支付渠道",
        "付款账户",
        "代扣授权",
        "详情",
        "支付渠道通知",
    } <= set(labels)
    assert {"发票", "付款", "金额"} <= set(labels)
    # Every label is Chinese: no ASCII letters left.
    assert not [label for label in labels if label.isascii()]
