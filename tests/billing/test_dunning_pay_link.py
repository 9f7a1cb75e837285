"""The overdue reminder sends the customer to Pay now: the portal invoice page's absolute
link, a bank transfer offered only when bank details are configured, in both languages and
on e-mail and SMS (billing/services/dunning.py, renewals/templates/emails/dunning.*)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from billing.services import invoice_issue
from billing.services.dunning import invoice_dunning_send
from notifications.rendering import template_render
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

BANK = {
    "account_name": "RenewDesk Ltd",
    "bank_name": "Bank of Example",
    "account_number": "1234 5678 9012",
    "swift": "",
}


@pytest.fixture
def sent(monkeypatch, django_capture_on_commit_callbacks):
    found: list[dict] = []
    monkeypatch.setattr(
        "notifications.customer_messages._enqueue_now", lambda **kw: found.append(kw)
    )
    return found


@pytest.fixture
def invoice(settings, manager):
    settings.SITE_URL = "https://renew.example.com"
    customer = CustomerFactory(account_manager=manager, notify_email=True)
    with time_machine.travel(dt.datetime(2026, 2, 1, tzinfo=dt.UTC), tick=False):
        return invoice_issue(
            customer=customer,
            contract=ContractFactory(customer=customer),
            amount=Decimal("1200.00"),
            due_date=dt.date(2026, 3, 1),
        )


def _send(invoice, django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        assert invoice_dunning_send(invoice_id=invoice.pk, as_of=dt.date(2026, 3, 9), **kw)


def _render(context, language, channel="email"):
    return template_render(kind="dunning", language=language, channel=channel, context=context)


def test_the_reminder_links_to_the_invoice_page_and_offers_no_transfer_without_bank_details(
    invoice, sent, settings, django_capture_on_commit_callbacks
):
    settings.RENEWDESK = {**settings.RENEWDESK, "BANK_DETAILS": {}}
    _send(invoice, django_capture_on_commit_callbacks)

    context = sent[0]["context"]
    link = f"https://renew.example.com/portal/invoices/{invoice.pk}/"
    assert context["pay_url"] == context["portal_url"] == link
    english = _render(context, "en")
    assert "Pay online on the invoice's page in the portal:" in english.text
    assert link in english.text
    assert "bank transfer" not in english.text
    chinese = _render(context, "zh-hans")
    assert "请在客户门户的发票页面在线支付" in chinese.text and link in chinese.text
    assert "银行转账" not in chinese.text
    assert chinese.subject == f"提醒：发票 {invoice.number} 已逾期"


def test_configured_bank_details_are_offered_as_the_alternative(
    invoice, sent, settings, django_capture_on_commit_callbacks
):
    settings.RENEWDESK = {**settings.RENEWDESK, "BANK_DETAILS": BANK}
    _send(invoice, django_capture_on_commit_callbacks)

    english = _render(sent[0]["context"], "en").text
    assert english.index("Pay online") < english.index("Or pay by bank transfer")
    assert "RenewDesk Ltd (Bank of Example), account 1234 5678 9012" in english
    assert invoice.number in english
    chinese = _render(sent[0]["context"], "zh-hans").text
    assert "也可银行转账至 RenewDesk Ltd（Bank of Example），账号 1234 5678 9012" in chinese


def test_a_failed_automatic_payment_says_so_with_the_same_link(
    invoice, sent, django_capture_on_commit_callbacks
):
    _send(invoice, django_capture_on_commit_callbacks, auto_charge_failed=True)

    context = sent[0]["context"]
    english = _render(context, "en")
    assert english.subject == f"Automatic payment of invoice {invoice.number} did not go through"
    assert "with your saved payment method did not go through" in english.text
    assert context["pay_url"] in english.text
    chinese = _render(context, "zh-hans")
    assert chinese.subject == f"发票 {invoice.number} 自动扣款未成功"


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "is still open. Pay online:"), ("zh-hans", "未付，在线支付：")],
)
def test_the_sms_is_short_and_carries_the_link(
    invoice, sent, django_capture_on_commit_callbacks, language, words
):
    _send(invoice, django_capture_on_commit_callbacks)
    sms = _render(sent[0]["context"], language, channel="sms").text
    assert words in sms
    assert sms.strip().endswith(f"/portal/invoices/{invoice.pk}/")
    assert len(sms) < 140
