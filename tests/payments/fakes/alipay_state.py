"""What the fake Alipay gateway remembers: trades, refunds, agreements, deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"
BUYER_ID = "2088000000000009"
BUYER_LOGON_ID = "ren***@example.com"
SIGN_SCENE = "INDUSTRY|DIGITAL_MEDIA"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@dataclass
class Trade:
    out_trade_no: str
    total_amount: Decimal
    subject: str
    notify_url: str = ""
    return_url: str = ""
    product_code: str = ""
    trade_no: str = ""
    trade_status: str = "WAIT_BUYER_PAY"
    paid_amount: Decimal | None = None
    refunds: dict[str, Decimal] = field(default_factory=dict)

    @property
    def refunded(self) -> Decimal:
        return sum(self.refunds.values(), Decimal("0.00"))


@dataclass
class Agreement:
    external_agreement_no: str
    personal_product_code: str
    sign_scene: str
    notify_url: str = ""
    return_url: str = ""
    agreement_no: str = ""
    status: str = "TEMP"  # TEMP until signed, NORMAL in force, STOP after unsigning
    balance: Decimal = Decimal("100000.00")  # the customer's Alipay balance, for charges


@dataclass
class Delivery:
    url: str
    body: bytes
    answer_status: int = 0
    answer: str = ""
    error: str = ""


def amount_valid(text: Any) -> Decimal | None:
    """Alipay's amount format: yuan with at most two places, at least 0.01."""
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"))
