"""The portal's "Pay now" pages: scoped to the logged-in customer, GET changes nothing, the
return from the provider records nothing (PostgreSQL, test client, the in-test fake)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.models import Payment
from billing.services import invoice_issue
from contracts.models import ContractStatus
from payments.models import PaymentAttempt
from payments.providers import provider_get
from payments.services.notifications import notification_receive
from tests.factories import ContractFactory, CustomerFactory, PortalAccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def _pay(client, invoice, code):
    return client.post(reverse("portal:invoice-pay", args=[invoice.pk]), {"provider": code})


def test_the_invoice_page_offers_one_button_per_configured_provider(
    customer_client, invoice, fake_world, settings
):
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "alipay": {}}
    page = customer_client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert 'data-provider="wechat_pay"' in page and 'data-provider="card"' in page
    assert 'data-provider="alipay"' not in page
    assert "6222" not in page  # no placeholder bank account
    assert not PaymentAttempt.objects.exists()  # GET started nothing


def test_bank_details_show_only_when_configured(customer_client, invoice, settings):
    settings.PAYMENT_PROVIDERS = {"wechat_pay": {}, "alipay": {}, "card": {}}
    page = customer_client.get(reverse("portal:invoice-pay", args=[invoice.pk])).content.decode()
    assert "Account number" not in page and "not available" in page
    settings.RENEWDESK = {
        **settings.RENEWDESK,
        "BANK_DETAILS": {"account_name": "RenewDesk Ltd", "account_number": "1234 5678"},
    }
    page = customer_client.get(reverse("portal:invoice-pay", args=[invoice.pk])).content.decode()
    assert "1234 5678" in page and invoice.number in page


def test_wechat_shows_a_qr_code_then_the_paid_invoice_and_active_contract(
    customer_client, customer, fake_world
):
    contract = ContractFactory(customer=customer, status=ContractStatus.AWAITING_PAYMENT)
    invoice = invoice_issue(
        customer=customer,
        contract=contract,
        amount=Decimal("500.00"),
        kind="term",
        due_date=dt.date(2030, 1, 1),
    )
    response = _pay(customer_client, invoice, "wechat_pay")
    attempt = PaymentAttempt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:payment", args=[attempt.pk])
    page = customer_client.get(response["Location"]).content.decode()
    assert "<svg" in page and "style=" not in page.split("<svg", 1)[1].split("</svg>")[0]
    assert 'hx-post="' in page and "htmx" in page
    # the provider notifies; the polled fragment shows the result
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference)
    notification_receive("wechat_pay", body, headers)
    fragment = customer_client.post(reverse("portal:payment-status", args=[attempt.pk]))
    html = fragment.content.decode()
    assert 'data-status="succeeded"' in html and "hx-post" not in html  # polling stops
    contract.refresh_from_db()
    attempt.refresh_from_db()
    assert contract.status in (ContractStatus.ACTIVE, ContractStatus.SCHEDULED)
    assert contract.number in html
    assert reverse("portal:receipt-pdf", args=[attempt.payment_id]) in html


def test_card_and_alipay_link_to_the_provider_page(customer_client, invoice, fake_world):
    for code in ("card", "alipay"):
        response = _pay(customer_client, invoice, code)
        # Our own page, which links to the provider's: the CSP's form-action 'self' makes
        # browsers block a redirect from the form's POST to another origin.
        attempt = PaymentAttempt.objects.get(provider=code)
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:payment", args=[attempt.pk])
        page = customer_client.get(response["Location"]).content.decode()
        assert f'href="https://pay.fake.example/{code}/' in page
    notify = PaymentAttempt.objects.filter(provider="card").get()
    assert fake_world.orders[notify.reference].notify_url == (
        "https://renew.example.com/payments/notify/card/"
    )
    assert fake_world.orders[notify.reference].return_url.endswith(
        reverse("portal:invoice-pay-return", args=[notify.invoice_id, "card"])
    )


def test_the_return_from_the_provider_records_nothing(customer_client, invoice, fake_world):
    _pay(customer_client, invoice, "card")
    attempt = PaymentAttempt.objects.get()
    response = customer_client.get(
        reverse("portal:invoice-pay-return", args=[invoice.pk, "card"]) + "?paid=1&status=ok"
    )
    assert response["Location"] == reverse("portal:payment", args=[attempt.pk])
    page = customer_client.get(response["Location"]).content.decode()
    assert 'data-status="pending"' in page and not Payment.objects.exists()


def test_a_long_wait_asks_the_provider_which_may_confirm_the_payment(
    customer_client, invoice, fake_world
):
    _pay(customer_client, invoice, "wechat_pay")
    attempt = PaymentAttempt.objects.get()
    provider_get("wechat_pay").pay(attempt.reference)
    url = reverse("portal:payment-status", args=[attempt.pk])
    assert 'data-status="pending"' in customer_client.post(url).content.decode()  # too early
    with time_machine.travel(attempt.created_at + dt.timedelta(minutes=1)):
        # A GET of the same fragment only reads: nothing is asked, nothing recorded.
        assert 'data-status="pending"' in customer_client.get(url).content.decode()
        assert not Payment.objects.exists()
        # The page's poll is a POST: it asks the provider, whose verified answer counts.
        assert 'data-status="succeeded"' in customer_client.post(url).content.decode()
    assert Payment.objects.count() == 1


def test_the_polled_fragment_is_a_post_carrying_the_csrf_token(
    customer_client, invoice, fake_world
):
    _pay(customer_client, invoice, "wechat_pay")
    attempt = PaymentAttempt.objects.get()
    page = customer_client.get(reverse("portal:payment", args=[attempt.pk])).content.decode()
    assert 'hx-post="' + reverse("portal:payment-status", args=[attempt.pk]) in page
    assert "csrfmiddlewaretoken" in page and "hx-get" not in page


def test_an_expired_attempt_offers_to_try_again(customer_client, invoice, fake_world):
    _pay(customer_client, invoice, "wechat_pay")
    attempt = PaymentAttempt.objects.get()
    with time_machine.travel(attempt.expires_at + dt.timedelta(minutes=1)):
        page = customer_client.get(reverse("portal:payment", args=[attempt.pk])).content.decode()
    assert 'data-status="expired"' in page and "hx-post" not in page  # no more polling
    assert reverse("portal:invoice-pay", args=[invoice.pk]) in page
    attempt.refresh_from_db()
    assert attempt.status == "pending"  # shown expired; the sweep writes it (a GET only reads)


def test_a_provider_failure_is_a_message_not_an_error(customer_client, invoice, fake_world):
    fake_world.refuse_next_checkout = True
    response = _pay(customer_client, invoice, "wechat_pay")
    assert response.status_code == 302
    page = customer_client.get(response["Location"]).content.decode()
    assert "could not take the order" in page


def test_an_unknown_or_unconfigured_method_is_refused_politely(
    customer_client, invoice, fake_world, settings
):
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "card": {}}
    for code in ("card", "cash", ""):
        response = _pay(customer_client, invoice, code)
        assert response.status_code == 200 and "not available" in response.content.decode()
    assert not PaymentAttempt.objects.exists()


def test_a_paid_invoice_cannot_be_paid_again(customer_client, invoice, fake_world):
    from billing.services import payment_record

    payment_record(invoice=invoice, amount=invoice.amount, method="bank_transfer", reference="B")
    response = _pay(customer_client, invoice, "wechat_pay")
    assert response.status_code == 200 and "is paid" in response.content.decode()
    assert not PaymentAttempt.objects.exists()


def test_another_customers_invoices_and_attempts_are_not_found(client, customer_client, fake_world):
    other = CustomerFactory()
    user = UserFactory(username="bob")
    PortalAccountFactory(user=user, customer=other)
    theirs = invoice_issue(customer=other, amount=Decimal("10"), due_date=dt.date(2030, 1, 1))
    client_b = client.__class__()
    client_b.force_login(user)
    client_b.post(reverse("portal:invoice-pay", args=[theirs.pk]), {"provider": "wechat_pay"})
    attempt = PaymentAttempt.objects.get(customer=other)
    for url in (
        reverse("portal:invoice-pay", args=[theirs.pk]),
        reverse("portal:invoice-pay-return", args=[theirs.pk, "wechat_pay"]),
        reverse("portal:payment", args=[attempt.pk]),
        reverse("portal:payment-status", args=[attempt.pk]),
    ):
        assert customer_client.get(url).status_code == 404, url
    assert _pay(customer_client, theirs, "wechat_pay").status_code == 404
    assert PaymentAttempt.objects.count() == 1


def test_anonymous_visitors_go_to_the_login(client, invoice, fake_world):
    response = client.get(reverse("portal:invoice-pay", args=[invoice.pk]))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


def test_the_chinese_page_is_translated(customer_client, invoice, fake_world, portal_user):
    portal_user.language = "zh-hans"
    portal_user.save()
    page = customer_client.get(
        reverse("portal:invoice-pay", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "微信支付" in page
