"""The fake Alipay gateway's methods, on its memory (see tests/payments/fakes/alipay.py).

Each takes the parsed ``biz_content`` and the common parameters of an authenticated request
and returns the answer object the gateway signs. Codes and sub-codes are Alipay's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .alipay_state import Agreement, Trade, amount_valid


def failure(sub_code: str, sub_msg: str, code: str = "40004") -> dict[str, Any]:
    msg = {"40004": "Business Failed", "40002": "Invalid Arguments"}.get(code, "Failed")
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def success(**fields: Any) -> dict[str, Any]:
    return {"code": "10000", "msg": "Success", **fields}


def methods_answer(
    fake: Any, method: str, biz: dict[str, Any], params: Mapping[str, str]
) -> dict[str, Any]:
    handlers = {
        "alipay.trade.precreate": trade_precreate,
        "alipay.trade.query": trade_query,
        "alipay.trade.refund": trade_refund,
        "alipay.trade.fastpay.refund.query": refund_query,
        "alipay.trade.pay": agreement_pay,
        "alipay.user.agreement.query": agreement_query,
        "alipay.user.agreement.unsign": agreement_unsign,
    }
    handler = handlers.get(method)
    if handler is None:
        return failure("isv.invalid-method", f"unknown method {method}", "40002")
    return handler(fake, biz, params)


def trade_create(
    fake: Any, biz: dict[str, Any], params: Mapping[str, str], product_code: str
) -> dict[str, Any]:
    out_trade_no = str(biz.get("out_trade_no", ""))
    amount = amount_valid(biz.get("total_amount"))
    if not out_trade_no or amount is None or not biz.get("subject"):
        return failure("ACQ.INVALID_PARAMETER", "out_trade_no, total_amount, subject")
    if biz.get("product_code", product_code) != product_code:
        return failure("ACQ.PRODUCT_CODE_ERROR", "wrong product_code", "40002")
    existing = fake.trades.get(out_trade_no)
    if existing is not None and existing.trade_status != "WAIT_BUYER_PAY":
        return failure("ACQ.TRADE_HAS_SUCCESS", "trade already paid or closed")
    if existing is not None and existing.total_amount != amount:
        return failure("ACQ.CONTEXT_INCONSISTENT", "same out_trade_no, other amount")
    fake.trades[out_trade_no] = Trade(
        out_trade_no=out_trade_no,
        total_amount=amount,
        subject=str(biz["subject"]),
        notify_url=params.get("notify_url", ""),
        return_url=params.get("return_url", ""),
        product_code=product_code,
    )
    return success(out_trade_no=out_trade_no)


def trade_precreate(fake: Any, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    with fake.lock:
        answer = trade_create(fake, biz, params, "FACE_TO_FACE_PAYMENT")
        if answer["code"] != "10000":
            return answer
        token = uuid.uuid4().hex
        fake.pages[token] = ("trade", answer["out_trade_no"])
    return {**answer, "qr_code": f"{fake.base_url}/qr/{token}"}


def _trade(fake: Any, biz: Mapping[str, Any]) -> Trade | None:
    if biz.get("out_trade_no"):
        return fake.trades.get(str(biz["out_trade_no"]))
    for trade in fake.trades.values():
        if trade.trade_no and trade.trade_no == biz.get("trade_no"):
            return trade
    return None


def trade_query(fake: Any, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    with fake.lock:
        trade = _trade(fake, biz)
        if trade is None:
            return failure("ACQ.TRADE_NOT_EXIST", "交易不存在")
        paid = trade.paid_amount if trade.paid_amount is not None else trade.total_amount
        return success(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id="ren***@example.com",
            trade_status=trade.trade_status,
            total_amount=f"{paid:.2f}",
            buyer_pay_amount=f"{paid:.2f}" if trade.trade_no else "0.00",
        )


def trade_refund(fake: Any, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    amount = amount_valid(biz.get("refund_amount"))
    request_no = str(biz.get("out_request_no") or biz.get("out_trade_no") or "")
    with fake.lock:
        trade = _trade(fake, biz)
        if trade is None:
            return failure("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if amount is None:
            return failure("ACQ.INVALID_PARAMETER", "refund_amount")
        fund_change = "N"
        if request_no not in trade.refunds:
            if trade.trade_status != "TRADE_SUCCESS":
                return failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            paid = trade.paid_amount or Decimal("0.00")
            if trade.refunded + amount > paid:
                return failure("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            trade.refunds[request_no] = amount
            fund_change = "Y"
            if trade.refunded == paid:
                trade.trade_status = "TRADE_CLOSED"
            body, _ = fake.build_notification(
                fake.trade_fields(
                    trade,
                    out_biz_no=request_no,
                    refund_fee=f"{trade.refunded:.2f}",
                    gmt_refund="2027-01-16 10:00:00.123",
                )
            )
            fake.deliver_later(trade.notify_url, body)
        return success(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id="ren***@example.com",
            fund_change=fund_change,
            refund_fee=f"{trade.refunded:.2f}",
        )


def refund_query(fake: Any, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    request_no = str(biz.get("out_request_no", ""))
    with fake.lock:
        trade = _trade(fake, biz)
        if trade is None:
            return failure("ACQ.TRADE_NOT_EXIST", "交易不存在")
        refund = trade.refunds.get(request_no)
        if refund is None:
            return success(out_trade_no=trade.out_trade_no, trade_no=trade.trade_no)
        return success(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            out_request_no=request_no,
            total_amount=f"{trade.total_amount:.2f}",
            refund_amount=f"{refund:.2f}",
            refund_status="REFUND_SUCCESS",
        )


def agreement_request(fake: Any, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    external = str(biz.get("external_agreement_no", ""))
    product = str(biz.get("personal_product_code", ""))
    if not external or product not in ("GENERAL_WITHHOLDING_P", "CYCLE_PAY_AUTH_P"):
        return failure("INVALID_PARAMETER", "external_agreement_no, personal_product_code")
    if product == "CYCLE_PAY_AUTH_P" and not isinstance(biz.get("period_rule_params"), dict):
        return failure("INVALID_PARAMETER", "period_rule_params")
    if not biz.get("sign_scene") or biz["sign_scene"] == "DEFAULT|DEFAULT":
        return failure("INVALID_PARAMETER", "sign_scene")
    existing = fake.agreements.get(external)
    if existing is not None and existing.status == "NORMAL":
        return failure("AGREEMENT_HAS_SIGNED", "already signed")
    fake.agreements[external] = Agreement(
        external_agreement_no=external,
        personal_product_code=product,
        sign_scene=str(biz["sign_scene"]),
        notify_url=params.get("notify_url", ""),
        return_url=params.get("return_url", ""),
    )
    return success()


def _agreement(fake: Any, biz: Mapping[str, Any]) -> Agreement | None:
    if biz.get("agreement_no"):
        found = fake.agreement_by_number(str(biz["agreement_no"]))
    else:
        found = fake.agreements.get(str(biz.get("external_agreement_no", "")))
        if found is not None and (
            found.personal_product_code != biz.get("personal_product_code")
            or found.sign_scene != biz.get("sign_scene")
        ):
            found = None
    # An agreement request nobody signed is not an agreement yet.
    return found if found is not None and found.agreement_no else None


def agreement_query(fake: Any, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    with fake.lock:
        agreement = _agreement(fake, biz)
        if agreement is None:
            return failure("USER_AGREEMENT_NOT_EXIST", "用户协议不存在")
        return success(
            agreement_no=agreement.agreement_no,
            external_agreement_no=agreement.external_agreement_no,
            personal_product_code=agreement.personal_product_code,
            sign_scene=agreement.sign_scene,
            status=agreement.status,
            alipay_logon_id="ren***@example.com",
            sign_time="2027-01-15 10:00:00",
            valid_time="2027-01-15 10:00:00",
            invalid_time="2115-02-01 00:00:00",
        )


def agreement_unsign(fake: Any, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    with fake.lock:
        agreement = _agreement(fake, biz)
        if agreement is None or agreement.status != "NORMAL":
            return failure("USER_AGREEMENT_NOT_EXIST", "用户协议不存在")
        agreement.status = "STOP"
        body, _ = fake.build_notification(
            fake.agreement_fields(agreement, "dut_user_unsign", "UNSIGN")
        )
        fake.deliver_later(agreement.notify_url, body)
    return success()


def agreement_pay(fake: Any, biz: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    """``alipay.trade.pay`` with ``agreement_params``: the customer is not there."""
    out_trade_no = str(biz.get("out_trade_no", ""))
    amount = amount_valid(biz.get("total_amount"))
    agreement_params = biz.get("agreement_params")
    if not out_trade_no or amount is None or not isinstance(agreement_params, dict):
        return failure("ACQ.INVALID_PARAMETER", "out_trade_no, total_amount, agreement_params")
    with fake.lock:
        agreement = _agreement(fake, {"agreement_no": agreement_params.get("agreement_no", "")})
        if agreement is None or agreement.status != "NORMAL":
            return failure("ACQ.AGREEMENT_NOT_EXIST", "代扣协议不存在或已解约")
        if f"{biz.get('product_code')}_P" != agreement.personal_product_code:
            return failure("ACQ.AGREEMENT_ERROR", "product_code does not match the agreement")
        existing = fake.trades.get(out_trade_no)
        if existing is not None and existing.trade_status == "TRADE_SUCCESS":
            return failure("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
        if agreement.balance < amount:
            return failure("ACQ.BUYER_BALANCE_NOT_ENOUGH", "买家余额不足")
        agreement.balance -= amount
        trade = Trade(
            out_trade_no=out_trade_no,
            total_amount=amount,
            subject=str(biz.get("subject", "")),
            notify_url=params.get("notify_url", ""),
            product_code=str(biz.get("product_code")),
            trade_no=fake.next_number("2027"),
            trade_status="TRADE_SUCCESS",
            paid_amount=amount,
        )
        fake.trades[out_trade_no] = trade
        body, _ = fake.build_notification(fake.trade_fields(trade))
        fake.deliver_later(trade.notify_url, body)
        return success(
            trade_no=trade.trade_no,
            out_trade_no=out_trade_no,
            buyer_logon_id="ren***@example.com",
            total_amount=f"{amount:.2f}",
            receipt_amount=f"{amount:.2f}",
            gmt_payment="2027-01-15 10:00:00",
        )
