"""The Alipay adapter through python-alipay-sdk against the fake gateway (real signatures,
real HTTP): orders, notifications, queries, refunds and the recurring-deduction agreement."""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from payments.providers.alipay import AlipayProvider
from payments.providers.base import (
    NotificationRejected,
    PaymentProvider,
    ProviderError,
    RecurringProvider,
)
from tests.payments.fakes import alipay_protocol
from tests.payments.fakes.alipay import FakeAlipay, fake_alipay_fixture  # noqa: F401

RETURN_URL = "https://renew.example.com/portal/pay/return/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the test reads the redirect itself
        return None


def _browser_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (the fake's http URL)
        return answer.read().decode()


def _browser_click(fake: FakeAlipay, page: str) -> tuple[int, str]:
    """Submit the page's form (its one button) as a browser would; status and Location."""
    token = re.search(r'name="token" value="([0-9a-f]+)"', page)
    assert token is not None
    request = urllib.request.Request(  # noqa: S310 (the fake's http URL)
        f"{fake.base_url}/confirm", data=f"token={token.group(1)}".encode(), method="POST"
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        answer = opener.open(request, timeout=20)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")
    return answer.status, answer.headers.get("Location", "")


def _provider(fake: FakeAlipay, **changes: str) -> AlipayProvider:
    return AlipayProvider({**fake.config, **changes})


def _start(provider: AlipayProvider, fake: FakeAlipay, reference: str = "INV-2027-0001") -> str:
    """An order the customer has opened (the cashier page, in page mode) but not paid."""
    checkout = provider.checkout_start(
        reference=reference,
        amount=Decimal("199.00"),
        currency="CNY",
        description="Renewal of contract C-1",
        return_url=RETURN_URL,
        notify_url=fake.sink_url,
    )
    if checkout.redirect_url:
        _browser_get(checkout.redirect_url)
    return reference


def _signed_agreement(provider: AlipayProvider, fake: FakeAlipay, reference: str = "MR1") -> str:
    checkout = provider.mandate_start(
        reference=reference,
        customer_email="ann@acme.example",
        return_url=RETURN_URL,
        notify_url=fake.sink_url,
    )
    _browser_get(checkout.redirect_url)
    fake.sign_agreement(reference)
    return fake.agreements[reference].agreement_no


# -- configuration -------------------------------------------------------------------------


def test_it_is_both_a_payment_and_a_recurring_provider(fake_alipay):
    provider = _provider(fake_alipay)

    assert isinstance(provider, PaymentProvider)
    assert isinstance(provider, RecurringProvider)
    assert provider.is_configured()
    assert provider.is_recurring_configured()


def test_it_reads_the_alipay_settings_when_given_no_config(fake_alipay, settings):
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "alipay": fake_alipay.config}

    assert AlipayProvider().is_configured()


@pytest.mark.parametrize("missing", ["APP_ID", "APP_PRIVATE_KEY_FILE", "PUBLIC_KEY_FILE"])
def test_it_is_not_configured_without_a_setting(fake_alipay, missing):
    config = {k: v for k, v in fake_alipay.config.items() if k != missing}

    assert not AlipayProvider(config).is_configured()


def test_it_is_not_configured_when_a_key_file_is_missing_or_not_a_key(
    fake_alipay, tmp_path, caplog
):
    garbage = tmp_path / "garbage.pem"
    garbage.write_text(
        "-----BEGIN RSA PRIVATE KEY-----\nnot-a-key-SECRET\n-----END RSA PRIVATE KEY-----\n"
    )

    assert not _provider(
        fake_alipay, APP_PRIVATE_KEY_FILE=str(tmp_path / "absent.pem")
    ).is_configured()
    assert not _provider(fake_alipay, APP_PRIVATE_KEY_FILE=str(garbage)).is_configured()
    assert not AlipayProvider({}).is_configured()
    assert "SECRET" not in caplog.text


def test_recurring_is_not_offered_without_a_sign_scene(fake_alipay):
    provider = _provider(fake_alipay, AGREEMENT_SIGN_SCENE="")

    assert provider.is_configured()
    assert not provider.is_recurring_configured()
    with pytest.raises(ProviderError):
        provider.mandate_start(
            reference="MR1", customer_email="", return_url=RETURN_URL, notify_url=""
        )


def test_it_reads_keys_written_as_bare_base64(fake_alipay, tmp_path):
    # Alipay's console shows its public key as one base64 line, without PEM armour.
    bare = tmp_path / "alipay_public_key.txt"
    bare.write_text(
        base64.b64encode(fake_alipay.alipay_key.public_key().export_key(format="DER")).decode()
    )
    provider = _provider(fake_alipay, PUBLIC_KEY_FILE=str(bare))
    _start(provider, fake_alipay)

    assert provider.payment_query(reference="INV-2027-0001") is not None


# -- checkout ------------------------------------------------------------------------------


def test_qr_mode_precreates_the_order_and_shows_its_qr_code(fake_alipay):
    provider = _provider(fake_alipay, MODE="qr")

    checkout = provider.checkout_start(
        reference="INV-2027-0001",
        amount=Decimal("199.00"),
        currency="CNY",
        description="Renewal of contract C-1",
        return_url=RETURN_URL,
        notify_url=fake_alipay.sink_url,
    )

    assert checkout.qr_code.startswith(f"{fake_alipay.base_url}/qr/")
    assert checkout.redirect_url == ""
    assert checkout.provider_reference == "INV-2027-0001"
    assert checkout.expires_at is not None
    trade = fake_alipay.trades["INV-2027-0001"]
    assert trade.total_amount == Decimal("199.00")
    assert trade.notify_url == fake_alipay.sink_url
    assert fake_alipay.requests[-1]["method"] == "alipay.trade.precreate"


def test_page_mode_redirects_to_a_cashier_page_whose_button_pays_and_notifies(fake_alipay):
    provider = _provider(fake_alipay)

    checkout = provider.checkout_start(
        reference="INV-2027-0002",
        amount=Decimal("1234.50"),
        currency="CNY",
        description="Renewal",
        return_url=RETURN_URL,
        notify_url=fake_alipay.sink_url,
    )
    assert checkout.qr_code == ""
    assert checkout.redirect_url.startswith(fake_alipay.gateway_url + "?")
    page = _browser_get(checkout.redirect_url)
    assert ">Pay</button>" in page
    assert fake_alipay.trades["INV-2027-0002"].trade_status == "WAIT_BUYER_PAY"

    status, location = _browser_click(fake_alipay, page)

    assert status == 303
    assert location.startswith(RETURN_URL + "?")
    assert dict(parse_qsl(urlsplit(location).query))["out_trade_no"] == "INV-2027-0002"
    # The notification reached the notify_url before the browser came back.
    assert fake_alipay.sink[-1]["out_trade_no"] == "INV-2027-0002"
    [event] = provider.notification_verify(body=fake_alipay.deliveries[-1].body, headers={})
    assert (event.kind, event.outcome, event.amount) == ("payment", "succeeded", Decimal("1234.50"))


def test_the_qr_code_opens_the_page_a_phone_would_pay_on(fake_alipay):
    provider = _provider(fake_alipay, MODE="qr")
    checkout = provider.checkout_start(
        reference="INV-2027-0003",
        amount=Decimal("10.00"),
        currency="CNY",
        description="Renewal",
        return_url=RETURN_URL,
        notify_url=fake_alipay.sink_url,
    )

    _browser_click(fake_alipay, _browser_get(checkout.qr_code))

    assert fake_alipay.trades["INV-2027-0003"].trade_status == "TRADE_SUCCESS"
    assert fake_alipay.sink[-1]["trade_status"] == "TRADE_SUCCESS"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(Decimal("10.001"), "CNY"), (Decimal("0"), "CNY"), (Decimal("10"), "EUR")],
)
def test_it_refuses_amounts_alipay_cannot_take(fake_alipay, amount, currency):
    with pytest.raises(ProviderError):
        _provider(fake_alipay).checkout_start(
            reference="INV-1",
            amount=amount,
            currency=currency,
            description="x",
            return_url=RETURN_URL,
            notify_url=fake_alipay.sink_url,
        )
    assert fake_alipay.requests == []


# -- notifications -------------------------------------------------------------------------


def test_a_verified_payment_notification_gives_the_paid_amount_in_yuan(fake_alipay):
    provider = _provider(fake_alipay)
    reference = _start(provider, fake_alipay)

    body, headers = fake_alipay.pay(reference)
    [event] = provider.notification_verify(body=body, headers=headers)

    form = dict(parse_qsl(body.decode()))
    assert event.kind == "payment"
    assert event.outcome == "succeeded"
    assert event.reference == reference
    assert event.amount == Decimal("199.00")
    assert isinstance(event.amount, Decimal)
    assert event.currency == "CNY"
    assert event.event_id == form["notify_id"]
    assert event.transaction_id == fake_alipay.trades[reference].trade_no


def test_a_notification_reports_what_alipay_says_was_paid_not_what_was_asked(fake_alipay):
    provider = _provider(fake_alipay)
    reference = _start(provider, fake_alipay)

    body, headers = fake_alipay.pay(reference, amount=Decimal("150.00"))
    [event] = provider.notification_verify(body=body, headers=headers)

    assert event.amount == Decimal("150.00")


def test_a_closed_trade_notification_is_a_closed_payment(fake_alipay):
    provider = _provider(fake_alipay)
    reference = _start(provider, fake_alipay)

    body, headers = fake_alipay.close(reference)
    [event] = provider.notification_verify(body=body, headers=headers)

    assert (event.kind, event.outcome, event.amount) == ("payment", "closed", None)


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda fake, body: FakeAlipay.tampered(body, total_amount="0.01"), id="tampered-amount"
        ),
        pytest.param(
            lambda fake, body: FakeAlipay.tampered(body, out_trade_no="INV-OTHER"),
            id="tampered-reference",
        ),
        pytest.param(lambda fake, body: FakeAlipay.tampered(body, sign=""), id="empty-sign"),
        pytest.param(
            lambda fake, body: "&".join(
                p for p in body.decode().split("&") if not p.startswith("sign=")
            ).encode(),
            id="missing-sign",
        ),
        pytest.param(
            lambda fake, body: FakeAlipay.tampered(body, sign_type="RSA"), id="sign-type-rsa"
        ),
        pytest.param(lambda fake, body: body + b"&total_amount=0.01", id="duplicate-field"),
        pytest.param(lambda fake, body: b"\xff\xfe not a form", id="not-a-form"),
        pytest.param(
            lambda fake, body: fake.build_notification(
                dict(parse_qsl(body.decode())), key=fake.stranger_key
            )[0],
            id="wrong-key",
        ),
        pytest.param(
            lambda fake, body: fake.build_notification(
                {**dict(parse_qsl(body.decode())), "app_id": "2021999999999999"}
            )[0],
            id="other-app-id",
        ),
        pytest.param(
            lambda fake, body: fake.build_notification(
                {**dict(parse_qsl(body.decode())), "seller_id": "2088999999999999"}
            )[0],
            id="other-seller",
        ),
    ],
)
def test_it_rejects_a_notification_it_cannot_trust(fake_alipay, forge):
    provider = _provider(fake_alipay)
    reference = _start(provider, fake_alipay)
    body, headers = fake_alipay.pay(reference)

    with pytest.raises(NotificationRejected):
        provider.notification_verify(body=forge(fake_alipay, body), headers=headers)


def test_the_genuine_notification_behind_the_forgeries_is_accepted(fake_alipay):
    # The rejection test above would pass for an adapter that rejects everything.
    provider = _provider(fake_alipay)
    body, headers = fake_alipay.pay(_start(provider, fake_alipay))
    resigned, _ = fake_alipay.build_notification(
        {k: v for k, v in parse_qsl(body.decode()) if k not in ("sign", "sign_type")}
    )

    assert provider.notification_verify(body=body, headers=headers)
    assert provider.notification_verify(body=resigned, headers=headers)


def test_it_answers_alipay_in_plain_text(fake_alipay):
    provider = _provider(fake_alipay)

    accepted = provider.notification_reply(accepted=True)
    refused = provider.notification_reply(accepted=False)

    assert (accepted.status, accepted.body) == (200, b"success")
    assert refused.body == b"fail"
    assert accepted.content_type.startswith("text/plain")


def test_an_unknown_notification_type_is_ignored(fake_alipay):
    body, headers = fake_alipay.build_notification({"notify_type": "trade_settle_sync"})

    [event] = _provider(fake_alipay).notification_verify(body=body, headers=headers)

    assert event.kind == "ignored"


# -- queries -------------------------------------------------------------------------------


def test_the_query_follows_the_trade_through_its_states(fake_alipay):
    provider = _provider(fake_alipay)

    assert provider.payment_query(reference="INV-UNKNOWN") is None
    reference = _start(provider, fake_alipay)
    waiting = provider.payment_query(reference=reference)
    fake_alipay.pay(reference)
    paid = provider.payment_query(reference=reference)

    assert waiting is not None and (waiting.outcome, waiting.amount) == ("pending", None)
    assert paid is not None
    assert (paid.kind, paid.outcome, paid.amount, paid.currency) == (
        "payment",
        "succeeded",
        Decimal("199.00"),
        "CNY",
    )
    assert paid.event_id == f"query:{paid.transaction_id}:succeeded"


def test_the_query_of_a_closed_trade_is_closed(fake_alipay):
    provider = _provider(fake_alipay)
    reference = _start(provider, fake_alipay)
    fake_alipay.close(reference)

    event = provider.payment_query(reference=reference)

    assert event is not None and event.outcome == "closed"


# -- refunds -------------------------------------------------------------------------------


def _paid(provider: AlipayProvider, fake: FakeAlipay) -> tuple[str, str]:
    reference = _start(provider, fake)
    fake.pay(reference)
    return reference, fake.trades[reference].trade_no


def test_a_refund_is_taken_at_once_and_its_notification_and_query_agree(fake_alipay):
    provider = _provider(fake_alipay)
    reference, trade_no = _paid(provider, fake_alipay)

    started = provider.refund_start(
        payment_reference=reference,
        transaction_id=trade_no,
        refund_reference="RF-1",
        amount=Decimal("50.00"),
        total=Decimal("199.00"),
        currency="CNY",
        reason="Cancelled within the cooling-off period",
        notify_url=fake_alipay.sink_url,
    )
    fake_alipay.wait_deliveries()
    [notified] = provider.notification_verify(body=fake_alipay.deliveries[-1].body, headers={})
    queried = provider.refund_query(refund_reference="RF-1", payment_reference=reference)

    assert (started.kind, started.outcome, started.amount) == (
        "refund",
        "succeeded",
        Decimal("50.00"),
    )
    assert started.reference == "RF-1"
    assert (notified.kind, notified.reference, notified.outcome) == ("refund", "RF-1", "succeeded")
    assert notified.transaction_id == started.transaction_id == f"{trade_no}/RF-1"
    assert queried is not None
    assert (queried.outcome, queried.amount) == ("succeeded", Decimal("50.00"))


def test_a_repeated_refund_request_moves_no_money_twice(fake_alipay):
    provider = _provider(fake_alipay)
    reference, trade_no = _paid(provider, fake_alipay)
    request = dict(
        payment_reference=reference,
        transaction_id=trade_no,
        refund_reference="RF-1",
        amount=Decimal("50.00"),
        total=Decimal("199.00"),
        currency="CNY",
        reason="",
        notify_url="",
    )

    provider.refund_start(**request)
    again = provider.refund_start(**request)

    assert again.outcome == "pending"
    assert fake_alipay.trades[reference].refunded == Decimal("50.00")


def test_a_refund_beyond_the_payment_is_refused(fake_alipay):
    provider = _provider(fake_alipay)
    reference, trade_no = _paid(provider, fake_alipay)

    with pytest.raises(ProviderError) as raised:
        provider.refund_start(
            payment_reference=reference,
            transaction_id=trade_no,
            refund_reference="RF-1",
            amount=Decimal("200.00"),
            total=Decimal("199.00"),
            currency="CNY",
            reason="",
            notify_url="",
        )

    assert raised.value.code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    assert not raised.value.transient


def test_the_refund_query_does_not_know_a_refund_never_asked_for(fake_alipay):
    provider = _provider(fake_alipay)
    reference, _ = _paid(provider, fake_alipay)

    assert provider.refund_query(refund_reference="RF-NONE", payment_reference=reference) is None
    assert provider.refund_query(refund_reference="RF-NONE", payment_reference="INV-NONE") is None


def test_a_full_refund_notification_closes_the_trade_and_is_a_refund(fake_alipay):
    provider = _provider(fake_alipay)
    reference, trade_no = _paid(provider, fake_alipay)

    provider.refund_start(
        payment_reference=reference,
        transaction_id=trade_no,
        refund_reference="RF-ALL",
        amount=Decimal("199.00"),
        total=Decimal("199.00"),
        currency="CNY",
        reason="",
        notify_url="",
    )
    fake_alipay.wait_deliveries()
    [event] = provider.notification_verify(body=fake_alipay.deliveries[-1].body, headers={})

    assert (
        dict(parse_qsl(fake_alipay.deliveries[-1].body.decode()))["trade_status"] == "TRADE_CLOSED"
    )
    assert (event.kind, event.reference) == ("refund", "RF-ALL")


# -- the recurring-deduction agreement -----------------------------------------------------


def test_signing_the_agreement_on_alipays_page_gives_a_mandate_event(fake_alipay):
    provider = _provider(fake_alipay)

    checkout = provider.mandate_start(
        reference="MR-7",
        customer_email="ann@acme.example",
        return_url=RETURN_URL,
        notify_url=fake_alipay.sink_url,
    )
    page = _browser_get(checkout.redirect_url)
    assert provider.mandate_query(reference="MR-7") is None  # not signed yet
    status, location = _browser_click(fake_alipay, page)
    [event] = provider.notification_verify(body=fake_alipay.deliveries[-1].body, headers={})

    assert ">Sign</button>" in page
    assert (status, location) == (303, RETURN_URL)
    agreement_no = fake_alipay.agreements["MR-7"].agreement_no
    assert (event.kind, event.reference, event.outcome) == ("mandate", "MR-7", "succeeded")
    assert event.mandate["agreement_no"] == agreement_no
    assert event.mandate["display"].startswith("Alipay agreement")
    assert agreement_no[-4:] in event.mandate["display"]
    queried = provider.mandate_query(reference="MR-7")
    assert queried is not None and queried.outcome == "succeeded"
    assert queried.mandate["agreement_no"] == agreement_no


def test_the_agreement_request_names_the_withholding_product_and_scene(fake_alipay):
    provider = _provider(fake_alipay)

    checkout = provider.mandate_start(
        reference="MR-8", customer_email="", return_url=RETURN_URL, notify_url=""
    )
    _browser_get(checkout.redirect_url)

    biz = json.loads(fake_alipay.requests[-1]["biz_content"])
    assert biz["personal_product_code"] == "GENERAL_WITHHOLDING_P"
    assert biz["sign_scene"] == fake_alipay.config["AGREEMENT_SIGN_SCENE"]
    assert biz["external_agreement_no"] == "MR-8"


def test_a_cycle_pay_agreement_carries_its_period_rule(fake_alipay):
    provider = _provider(
        fake_alipay,
        AGREEMENT_PRODUCT="CYCLE_PAY_AUTH",
        CYCLE_PERIOD="MONTH:12",
        CYCLE_SINGLE_AMOUNT="3000",
    )

    agreement_no = _signed_agreement(provider, fake_alipay, "MR-9")

    biz = json.loads(fake_alipay.requests[-1]["biz_content"])
    assert biz["personal_product_code"] == "CYCLE_PAY_AUTH_P"
    assert biz["period_rule_params"]["period_type"] == "MONTH"
    assert biz["period_rule_params"]["single_amount"] == "3000.00"
    charged = provider.charge_off_session(
        mandate={"agreement_no": agreement_no},
        reference="AR-9",
        amount=Decimal("3000.00"),
        currency="CNY",
        description="Auto-renewal",
        notify_url="",
    )
    assert charged.outcome == "succeeded"


def test_an_off_session_charge_on_the_agreement_succeeds_and_is_notified(fake_alipay):
    provider = _provider(fake_alipay)
    agreement_no = _signed_agreement(provider, fake_alipay)

    event = provider.charge_off_session(
        mandate={"agreement_no": agreement_no, "display": "Alipay agreement"},
        reference="AR-2027-1",
        amount=Decimal("2400.00"),
        currency="CNY",
        description="Auto-renewal of contract C-1",
        notify_url=fake_alipay.sink_url,
    )
    fake_alipay.wait_deliveries()
    [notified] = provider.notification_verify(body=fake_alipay.deliveries[-1].body, headers={})

    assert (event.kind, event.reference, event.outcome) == ("payment", "AR-2027-1", "succeeded")
    assert event.amount == Decimal("2400.00")
    assert event.transaction_id == fake_alipay.trades["AR-2027-1"].trade_no
    assert notified.transaction_id == event.transaction_id
    pay = json.loads(fake_alipay.requests[-1]["biz_content"])
    assert pay["agreement_params"] == {"agreement_no": agreement_no}
    assert pay["product_code"] == "GENERAL_WITHHOLDING"


def test_an_off_session_charge_fails_when_the_balance_is_short(fake_alipay):
    provider = _provider(fake_alipay)
    agreement_no = _signed_agreement(provider, fake_alipay)
    fake_alipay.agreements["MR1"].balance = Decimal("100.00")

    event = provider.charge_off_session(
        mandate={"agreement_no": agreement_no},
        reference="AR-2027-2",
        amount=Decimal("2400.00"),
        currency="CNY",
        description="Auto-renewal",
        notify_url="",
    )

    assert (event.kind, event.outcome, event.amount) == ("payment", "failed", None)
    assert "ACQ.BUYER_BALANCE_NOT_ENOUGH" in event.detail
    assert "AR-2027-2" not in fake_alipay.trades


def test_a_retried_charge_that_went_through_reports_the_payment(fake_alipay):
    provider = _provider(fake_alipay)
    agreement_no = _signed_agreement(provider, fake_alipay)
    charge = dict(
        mandate={"agreement_no": agreement_no},
        reference="AR-2027-3",
        amount=Decimal("99.00"),
        currency="CNY",
        description="Auto-renewal",
        notify_url="",
    )

    first = provider.charge_off_session(**charge)
    again = provider.charge_off_session(**charge)

    assert again.outcome == "succeeded"
    assert again.transaction_id == first.transaction_id
    assert fake_alipay.agreements["MR1"].balance == Decimal("100000.00") - Decimal("99.00")


def test_unsigning_ends_the_agreement(fake_alipay):
    provider = _provider(fake_alipay)
    agreement_no = _signed_agreement(provider, fake_alipay)

    provider.mandate_cancel(mandate={"agreement_no": agreement_no})
    fake_alipay.wait_deliveries()
    [notified] = provider.notification_verify(body=fake_alipay.deliveries[-1].body, headers={})
    queried = provider.mandate_query(reference="MR1")

    assert fake_alipay.agreements["MR1"].status == "STOP"
    assert (notified.kind, notified.outcome) == ("mandate", "closed")
    assert queried is not None and queried.outcome == "closed"
    provider.mandate_cancel(mandate={"agreement_no": agreement_no})  # twice: nothing left to end
    charge = provider.charge_off_session(
        mandate={"agreement_no": agreement_no},
        reference="AR-AFTER",
        amount=Decimal("1.00"),
        currency="CNY",
        description="x",
        notify_url="",
    )
    assert charge.outcome == "failed"


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_gateway_outage_is_a_transient_provider_error(fake_alipay, status):
    provider = _provider(fake_alipay)
    fake_alipay.fail_next(status)

    with pytest.raises(ProviderError) as raised:
        provider.payment_query(reference="INV-1")

    assert raised.value.transient
    assert raised.value.code == f"http_{status}"
    assert provider.payment_query(reference="INV-1") is None  # the next call goes through


def test_an_unreachable_gateway_is_a_transient_provider_error(fake_alipay):
    provider = _provider(fake_alipay)
    fake_alipay.stop()

    with pytest.raises(ProviderError) as raised:
        provider.payment_query(reference="INV-1")

    assert raised.value.transient


def test_a_request_signed_with_another_key_is_refused_for_good(fake_alipay, tmp_path):
    other = tmp_path / "other.pem"
    other.write_bytes(alipay_protocol.pem_private(fake_alipay.stranger_key))
    provider = _provider(fake_alipay, APP_PRIVATE_KEY_FILE=str(other))

    with pytest.raises(ProviderError) as raised:
        provider.payment_query(reference="INV-1")

    assert raised.value.code == "isv.invalid-signature"
    assert not raised.value.transient


def test_an_answer_not_signed_by_alipay_is_not_believed(fake_alipay, tmp_path):
    stranger = tmp_path / "stranger_public.pem"
    stranger.write_bytes(alipay_protocol.pem_public(fake_alipay.stranger_key))
    provider = _provider(fake_alipay, PUBLIC_KEY_FILE=str(stranger))
    reference = _start(_provider(fake_alipay), fake_alipay)

    with pytest.raises(ProviderError) as raised:
        provider.payment_query(reference=reference)

    assert raised.value.code == "bad_signature"
