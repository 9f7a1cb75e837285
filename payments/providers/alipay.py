"""Alipay: QR code (``alipay.trade.precreate``) or page payment (``alipay.trade.page.pay``),
refunds, and the recurring-deduction agreement (代扣协议) for auto-renewal.

Settings (``settings.PAYMENT_PROVIDERS["alipay"]``, environment prefix ``ALIPAY_``):

- ``APP_ID``: the app's id on Alipay's open platform;
- ``APP_PRIVATE_KEY_FILE``: the app's RSA private key (PEM, or the bare base64 text of
  Alipay's key tool) that signs every request;
- ``PUBLIC_KEY_FILE`` (``ALIPAY_PUBLIC_KEY_FILE``): Alipay's public key, which checks every
  answer and notification;
- ``GATEWAY``: default production ``https://openapi.alipay.com/gateway.do``;
- ``MODE``: ``page`` (default: the customer is sent to Alipay's cashier page, where they log
  in or scan) or ``qr`` (we draw the QR code of ``alipay.trade.precreate`` on our page);
- ``SELLER_ID``: optional; when set, a notification for another seller is refused;
- ``ORDER_TIMEOUT_MINUTES``: how long an order may be paid (default 30);
- ``HTTP_TIMEOUT``: seconds to wait for the gateway (default 15);
- ``AGREEMENT_PRODUCT``: ``GENERAL_WITHHOLDING`` (商家扣款, default) or ``CYCLE_PAY_AUTH``
  (周期扣款; then ``CYCLE_PERIOD`` like ``MONTH:12`` and ``CYCLE_SINGLE_AMOUNT`` are needed);
- ``AGREEMENT_SIGN_SCENE``: the signing scene agreed with Alipay, e.g. ``INDUSTRY|DIGITAL_MEDIA``;
  auto-renewal by agreement is offered only when it is set;
- ``AGREEMENT_CHANNEL``: how the customer signs, ``QRCODE`` (default) or ``ALIPAYAPP``.

Amounts are yuan with two places, sent as strings ("199.00"); Alipay takes CNY only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.utils import timezone

from .alipay_events import event_from_notification, trade_event
from .alipay_gateway import CENT, CURRENCY, TRADE_NOT_EXIST, amount_parse, answer_check, money
from .alipay_recurring import AlipayRecurring
from .alipay_settings import AlipaySettings
from .base import (
    Checkout,
    NotificationRejected,
    NotificationReply,
    Outcome,
    ProviderError,
    ProviderEvent,
)

__all__ = ["AlipayProvider", "AlipaySettings"]


class AlipayProvider(AlipayRecurring):
    """Alipay through python-alipay-sdk: ``PaymentProvider`` here, ``RecurringProvider``
    from ``AlipayRecurring``, settings and the gateway client from ``AlipaySettings``."""

    code = "alipay"

    def checkout_start(
        self,
        *,
        reference: str,
        amount: Decimal,
        currency: str,
        description: str,
        return_url: str,
        notify_url: str,
        customer_email: str = "",
        language: str = "zh-hans",
    ) -> Checkout:
        # Alipay's cashier pages are in Chinese whatever ``language`` says; the customer's
        # e-mail is not sent (Alipay does not need it).
        self._check_currency(currency)
        minutes = self._setting_int("ORDER_TIMEOUT_MINUTES", 30)
        biz = {
            "out_trade_no": reference,
            "total_amount": money(amount),
            "subject": description[:256],
            "timeout_express": f"{minutes}m",
        }
        expires_at = timezone.now() + dt.timedelta(minutes=minutes)
        gateway = self.gateway()
        if self.mode == "qr":
            answer = gateway.call("alipay.trade.precreate", biz, notify_url=notify_url)
            answer_check("alipay.trade.precreate", answer)
            qr_code = str(answer.get("qr_code", ""))
            if not qr_code:
                raise ProviderError("Alipay alipay.trade.precreate: no qr_code in the answer")
            return Checkout(
                provider_reference=str(answer.get("out_trade_no", reference)),
                qr_code=qr_code,
                expires_at=expires_at,
            )
        url = gateway.page_url(
            "alipay.trade.page.pay",
            {**biz, "product_code": "FAST_INSTANT_TRADE_PAY"},
            return_url=return_url,
            notify_url=notify_url,
        )
        return Checkout(provider_reference=reference, redirect_url=url, expires_at=expires_at)

    def notification_verify(
        self, *, body: bytes, headers: Mapping[str, str]
    ) -> list[ProviderEvent]:
        try:
            gateway = self.gateway()
        except ProviderError as exc:
            raise NotificationRejected(str(exc)) from None
        form = gateway.notification_form_verify(body)
        # Only a verified form is read from here on.
        if form.get("app_id") != self.app_id:
            raise NotificationRejected("the notification is for another app_id")
        seller_id = self.config.get("SELLER_ID", "")
        if seller_id and form.get("seller_id", seller_id) != seller_id:
            raise NotificationRejected("the notification is for another seller_id")
        if not form.get("notify_id"):
            raise NotificationRejected("no notify_id")
        return [event_from_notification(form)]

    def notification_reply(self, *, accepted: bool) -> NotificationReply:
        # Alipay retries (up to 8 times over about a day) until it reads exactly "success".
        return NotificationReply(
            status=200,
            content_type="text/plain; charset=utf-8",
            body=b"success" if accepted else b"fail",
        )

    def payment_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        answer = self.gateway().call("alipay.trade.query", {"out_trade_no": reference})
        if answer.get("sub_code") == TRADE_NOT_EXIST:
            return None
        answer_check("alipay.trade.query", answer)
        return trade_event(answer, reference, prefix="query")

    def refund_start(
        self,
        *,
        payment_reference: str,
        transaction_id: str,
        refund_reference: str,
        amount: Decimal,
        total: Decimal,
        currency: str,
        reason: str,
        notify_url: str,
    ) -> ProviderEvent:
        # ``alipay.trade.refund`` takes no notify_url: Alipay sends the refund notification
        # to the notify_url of the payment itself.
        self._check_currency(currency)
        biz = {
            "out_trade_no": payment_reference,
            "refund_amount": money(amount),
            "out_request_no": refund_reference,
            "refund_reason": reason[:256],
        }
        if transaction_id:
            biz["trade_no"] = transaction_id
        answer = self.gateway().call("alipay.trade.refund", biz)
        answer_check("alipay.trade.refund", answer)
        trade_no = str(answer.get("trade_no", transaction_id))
        # fund_change "Y": money moved now. "N": this out_request_no was seen before; the
        # refund query (or the notification) tells what became of it.
        outcome: Outcome = "succeeded" if answer.get("fund_change") == "Y" else "pending"
        movement = f"{trade_no}/{refund_reference}"
        return ProviderEvent(
            event_id=f"refund:{movement}:{outcome}",
            kind="refund",
            reference=refund_reference,
            outcome=outcome,
            transaction_id=movement,
            amount=Decimal(amount).quantize(CENT) if outcome == "succeeded" else None,
            currency=CURRENCY,
            raw=answer,
        )

    def refund_query(
        self, *, refund_reference: str, payment_reference: str
    ) -> ProviderEvent | None:
        answer = self.gateway().call(
            "alipay.trade.fastpay.refund.query",
            {"out_trade_no": payment_reference, "out_request_no": refund_reference},
        )
        if answer.get("sub_code") == TRADE_NOT_EXIST:
            return None
        answer_check("alipay.trade.fastpay.refund.query", answer)
        refund_amount = amount_parse(str(answer.get("refund_amount", "")))
        if refund_amount is None:
            return None  # Alipay answers 10000 without a refund when it has none
        outcome: Outcome = (
            "succeeded" if answer.get("refund_status") == "REFUND_SUCCESS" else "pending"
        )
        movement = f"{answer.get('trade_no', '')}/{refund_reference}"
        return ProviderEvent(
            event_id=f"query:{movement}:{outcome}",
            kind="refund",
            reference=refund_reference,
            outcome=outcome,
            transaction_id=movement,
            amount=refund_amount,
            currency=CURRENCY,
            raw=answer,
        )
