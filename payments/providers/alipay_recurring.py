"""Alipay's recurring-deduction agreement (代扣协议) for auto-renewal.

The customer signs on Alipay's page (``alipay.user.agreement.page.sign``, with our
reference as ``external_agreement_no``); Alipay notifies ``dut_user_sign`` with the
``agreement_no`` that later charges use (``alipay.trade.pay`` with ``agreement_params``,
no customer present). ``alipay.user.agreement.unsign`` ends it.

Two products exist: 商家扣款 ``GENERAL_WITHHOLDING`` (the merchant charges what is due,
when due: fits renewals of any term and price) and 周期扣款 ``CYCLE_PAY_AUTH`` (the customer
agrees to a period and a ceiling per charge, which Alipay enforces).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import timezone

from .alipay_events import mandate_display, trade_event
from .alipay_gateway import (
    AGREEMENT_NOT_EXIST,
    CODE_BUSINESS_FAILED,
    CODE_IN_PROGRESS,
    CODE_SUCCESS,
    CURRENCY,
    SYSTEM_ERROR,
    TRADE_HAS_SUCCESS,
    amount_parse,
    answer_check,
    money,
)
from .alipay_settings import AGREEMENT_PRODUCTS, AlipaySettings
from .base import Checkout, Outcome, ProviderError, ProviderEvent

# alipay.user.agreement.query's status: TEMP (signing), NORMAL (in force), STOP (ended).
AGREEMENT_OUTCOMES: dict[str, Outcome] = {
    "NORMAL": "succeeded",
    "TEMP": "pending",
    "STOP": "closed",
}


class AlipayRecurring(AlipaySettings):
    """``RecurringProvider`` for Alipay (the payment half is ``AlipayProvider``)."""

    def _check_currency(self, currency: str) -> None:
        if currency.upper() != CURRENCY:
            raise ProviderError(f"Alipay takes CNY only, not {currency}", code="currency")

    def _agreement_keys(self) -> dict[str, str]:
        scene = self.config.get("AGREEMENT_SIGN_SCENE", "")
        if not scene:
            raise ProviderError("Alipay AGREEMENT_SIGN_SCENE is not set", code="not_configured")
        if self.agreement_product not in AGREEMENT_PRODUCTS:
            raise ProviderError(
                f"Alipay AGREEMENT_PRODUCT must be one of {', '.join(AGREEMENT_PRODUCTS)}",
                code="not_configured",
            )
        return {"personal_product_code": f"{self.agreement_product}_P", "sign_scene": scene}

    def _period_rule(self) -> dict[str, str]:
        """周期扣款's period rule: the customer agrees to at most ``single_amount`` every
        ``period`` days or months, from today (Asia/Shanghai business date)."""
        period_type, _, period = self.config.get("CYCLE_PERIOD", "").partition(":")
        single_amount = amount_parse(self.config.get("CYCLE_SINGLE_AMOUNT", ""))
        if period_type.upper() not in ("DAY", "MONTH") or not period.isdigit():
            raise ProviderError(
                "Alipay CYCLE_PERIOD must read like MONTH:12", code="not_configured"
            )
        if single_amount is None:
            raise ProviderError("Alipay CYCLE_SINGLE_AMOUNT is not set", code="not_configured")
        return {
            "period_type": period_type.upper(),
            "period": period,
            "execute_time": timezone.localdate().isoformat(),
            "single_amount": money(single_amount),
        }

    def mandate_start(
        self,
        *,
        reference: str,
        customer_email: str,
        return_url: str,
        notify_url: str,
        language: str = "zh-hans",
    ) -> Checkout:
        biz: dict[str, Any] = {
            **self._agreement_keys(),
            "product_code": self.agreement_product,
            "external_agreement_no": reference,
            "access_params": {"channel": self.config.get("AGREEMENT_CHANNEL", "QRCODE")},
        }
        if self.agreement_product == "CYCLE_PAY_AUTH":
            biz["period_rule_params"] = self._period_rule()
        url = self.gateway().page_url(
            "alipay.user.agreement.page.sign", biz, return_url=return_url, notify_url=notify_url
        )
        return Checkout(provider_reference=reference, redirect_url=url)

    def mandate_query(
        self, *, reference: str, provider_reference: str = ""
    ) -> ProviderEvent | None:
        answer = self.gateway().call(
            "alipay.user.agreement.query",
            {**self._agreement_keys(), "external_agreement_no": reference},
        )
        if answer.get("sub_code") == AGREEMENT_NOT_EXIST:
            return None
        answer_check("alipay.user.agreement.query", answer)
        agreement_no = str(answer.get("agreement_no", ""))
        outcome = AGREEMENT_OUTCOMES.get(str(answer.get("status", "")), "failed")
        return ProviderEvent(
            event_id=f"query:{agreement_no}:{outcome}",
            kind="mandate",
            reference=reference,
            outcome=outcome,
            transaction_id=agreement_no,
            mandate={
                "agreement_no": agreement_no,
                "display": mandate_display(agreement_no, str(answer.get("alipay_logon_id", ""))),
            },
            raw=answer,
        )

    def charge_off_session(
        self,
        *,
        mandate: Mapping[str, str],
        reference: str,
        amount: Decimal,
        currency: str,
        description: str,
        notify_url: str,
    ) -> ProviderEvent:
        self._check_currency(currency)
        agreement_no = mandate.get("agreement_no", "")
        if not agreement_no:
            raise ProviderError("Alipay: the mandate has no agreement_no", code="no_agreement")
        biz = {
            "out_trade_no": reference,
            "total_amount": money(amount),
            "subject": description[:256],
            "product_code": self.agreement_product,
            "agreement_params": {"agreement_no": agreement_no},
        }
        answer = self.gateway().call("alipay.trade.pay", biz, notify_url=notify_url)
        code, sub_code = str(answer.get("code", "")), str(answer.get("sub_code", ""))
        if code == CODE_SUCCESS:
            return trade_event(answer, reference, prefix="pay", trade_status="TRADE_SUCCESS")
        if code == CODE_IN_PROGRESS:
            return trade_event(answer, reference, prefix="pay", trade_status="WAIT_BUYER_PAY")
        if sub_code == TRADE_HAS_SUCCESS:
            # A retry of a charge that went through: the query has its facts.
            found = self.gateway().call("alipay.trade.query", {"out_trade_no": reference})
            answer_check("alipay.trade.query", found)
            return trade_event(found, reference, prefix="query")
        if code == CODE_BUSINESS_FAILED and sub_code != SYSTEM_ERROR:
            return ProviderEvent(
                event_id=f"pay:{reference}:failed",
                kind="payment",
                reference=reference,
                outcome="failed",
                detail=f"{sub_code}: {answer.get('sub_msg', '')}".strip(),
                raw=answer,
            )
        answer_check("alipay.trade.pay", answer)
        raise AssertionError("unreachable")  # pragma: no cover

    def mandate_cancel(self, *, mandate: Mapping[str, str]) -> None:
        agreement_no = mandate.get("agreement_no", "")
        if not agreement_no:
            raise ProviderError("Alipay: the mandate has no agreement_no", code="no_agreement")
        answer = self.gateway().call("alipay.user.agreement.unsign", {"agreement_no": agreement_no})
        if answer.get("sub_code") == AGREEMENT_NOT_EXIST:
            return  # already gone: what the customer asked for
        answer_check("alipay.user.agreement.unsign", answer)
