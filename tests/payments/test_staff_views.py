"""Staff see attempts and mismatches: the list with its filter, the invoice page, the
deploy checks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.urls import reverse

from payments.providers import provider_get
from payments.services.attempts import attempt_start
from payments.services.notifications import event_record
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _paid(invoice, code="wechat_pay", **pay):
    attempt = attempt_start(
        invoice=invoice,
        provider_code=code,
        by=None,
        return_url="https://r/",
        notify_url="https://n/",
    )
    fake = provider_get(code)
    fake.pay(attempt.reference, **pay)
    body, headers = fake.notification(attempt.reference)
    [event] = fake.notification_verify(body=body, headers=headers)
    event_record(code, event)
    return attempt


def test_the_list_filters_mismatches(client, manager, invoice, fake_world):
    fine = _paid(invoice, "alipay", amount=Decimal("1000.00"))  # under-payment
    waiting = attempt_start(
        invoice=invoice,
        provider_code="card",
        by=None,
        return_url="https://r/",
        notify_url="https://n/",
    )
    client.force_login(manager)
    everything = client.get(reverse("payments:attempts")).content.decode()
    assert fine.reference in everything and waiting.reference in everything
    flagged = client.get(reverse("payments:attempts") + "?mismatches=1").content.decode()
    assert fine.reference in flagged and 'data-mismatch="under"' in flagged
    assert waiting.reference not in flagged
    # bad filter values are ignored, not a 500
    assert client.get(reverse("payments:attempts") + "?status=bogus&page=zz").status_code == 200


def test_the_invoice_page_shows_its_attempts(client, manager, invoice, fake_world):
    attempt = _paid(invoice, currency="USD")
    client.force_login(manager)
    page = client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    assert attempt.reference in page and 'data-mismatch="currency"' in page


def test_another_managers_book_is_not_listed(client, invoice, fake_world):
    attempt = _paid(invoice)
    other = StaffFactory()
    client.force_login(other)
    assert attempt.reference not in client.get(reverse("payments:attempts")).content.decode()


def test_customers_cannot_open_the_staff_list(customer_client):
    assert customer_client.get(reverse("payments:attempts")).status_code in (302, 403, 404)


def _deploy_ids(settings):
    return {
        m.id for m in run_checks(include_deployment_checks=True) if m.id.startswith("payments.")
    }


def test_deploy_check_warns_without_bank_details(settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "BANK_DETAILS": {}}
    assert "payments.W001" in _deploy_ids(settings)
    settings.RENEWDESK = {
        **settings.RENEWDESK,
        "BANK_DETAILS": {"account_name": "RenewDesk Ltd", "account_number": "1234"},
    }
    assert "payments.W001" not in _deploy_ids(settings)


def test_deploy_check_warns_about_a_partly_configured_provider(fake_world, settings):
    settings.PAYMENT_PROVIDERS = {"wechat_pay": {"MCHID": "1"}, "alipay": {}, "card": {}}
    assert "payments.W002" in _deploy_ids(settings)
    settings.PAYMENT_PROVIDERS = {"wechat_pay": {"FAKE": "1"}, "alipay": {}, "card": {}}
    assert "payments.W002" not in _deploy_ids(settings)
