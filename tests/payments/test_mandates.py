# ruff: noqa: F811 - the fixtures imported from recurring_fixtures are named as parameters
"""Saved payment methods with consent (payments/services/mandates.py and the portal's
automatic-payment pages)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contracts.models import AutoRenewConsent, ConsentKind, ContractEvent
from lifecycle.auto_renewal import has_valid_consent
from payments.models import MandateStatus, PaymentMandate
from payments.services.mandates import disclosure_digest, mandate_disclosure
from payments.services.notifications import notification_process
from tests.factories import ContractFactory, CustomerFactory
from tests.payments.recurring_fake import FakeRecurringProvider
from tests.payments.recurring_fixtures import fake_bank  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(customer):
    contract = ContractFactory(customer=customer, auto_renew=True)
    AutoRenewConsent.objects.create(
        contract=contract,
        customer=customer,
        enabled=True,
        text="on",
        text_version="t",
        channel="portal",
    )
    return contract


def _post_setup(client, contract, code="card", **extra):
    text = mandate_disclosure(contract=contract, provider_code=code)
    data = {"provider": code, "digest": disclosure_digest(text), "accept": "on", **extra}
    return client.post(
        reverse("portal:mandate-setup", args=[contract.pk]),
        data,
        HTTP_USER_AGENT="Browser/1.0",
        REMOTE_ADDR="203.0.113.7",
    )


def test_the_page_offers_only_the_configured_recurring_providers(
    fake_bank, customer_client, contract
):
    fake_bank.state("alipay").configured = False
    page = customer_client.get(reverse("portal:mandate-setup", args=[contract.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Save a card (Stripe)" in body and "Alipay recurring-deduction" not in body
    assert contract.number in body and "withdraw this authorisation" in body


def test_consenting_records_the_exact_text_and_sends_the_customer_to_the_provider(
    fake_bank, customer_client, contract, portal_user
):
    response = _post_setup(customer_client, contract)
    mandate = PaymentMandate.objects.get()
    # A link to the provider, not a redirect: the CSP's form-action 'self' would block it.
    assert response.status_code == 200
    assert f'href="https://fake.test/mandate/{mandate.reference}"' in response.content.decode()
    assert mandate.status == MandateStatus.PENDING and mandate.contract == contract
    consent = mandate.consent
    assert consent.kind == ConsentKind.PAYMENT_METHOD and consent.enabled
    assert consent.text == mandate_disclosure(contract=contract, provider_code="card")
    assert (consent.ip_address, consent.user_agent, consent.actor) == (
        "203.0.113.7",
        "Browser/1.0",
        portal_user,
    )
    # The auto-renewal switch is still decided by its own consent rows only.
    assert has_valid_consent(contract)
    return_url = fake_bank.state("card").mandates[mandate.reference]["return_url"]
    assert return_url.endswith(reverse("portal:mandate-status", args=[mandate.reference]))


def test_a_changed_text_or_no_tick_records_nothing(fake_bank, customer_client, contract):
    _post_setup(customer_client, contract, digest="stale")
    _post_setup(customer_client, contract, accept="")
    _post_setup(customer_client, contract, code="wechat_pay")
    assert not PaymentMandate.objects.exists()
    assert not AutoRenewConsent.objects.filter(kind=ConsentKind.PAYMENT_METHOD).exists()


def test_another_customers_contract_is_not_found(fake_bank, customer_client):
    other = ContractFactory(customer=CustomerFactory(), auto_renew=True)
    assert customer_client.get(reverse("portal:mandate-setup", args=[other.pk])).status_code == 404
    assert _post_setup(customer_client, other).status_code == 404


def test_the_return_page_shows_pending_until_the_verified_notification(
    fake_bank, customer_client, contract
):
    _post_setup(customer_client, contract)
    mandate = PaymentMandate.objects.get()
    page = customer_client.get(reverse("portal:mandate-status", args=[mandate.reference]))
    assert 'data-status="pending"' in page.content.decode()
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.PENDING  # coming back proves nothing

    body, headers = FakeRecurringProvider().mandate_complete(mandate.reference)
    assert notification_process("card", body, headers).accepted
    assert notification_process("card", body, headers).accepted  # a replay

    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.ACTIVE and mandate.display == "Visa •••• 4242"
    assert mandate.provider_data == {
        "customer": f"cus_{mandate.reference}",
        "payment_method": f"pm_{mandate.reference}",
    }
    assert ContractEvent.objects.filter(contract=contract, kind="payment_method_saved").count() == 1
    page = customer_client.post(
        reverse("portal:mandate-status", args=[mandate.reference]), HTTP_HX_REQUEST="true"
    )
    assert 'data-status="active"' in page.content.decode() and "Visa" in page.content.decode()
    assert "hx-post" not in page.content.decode()  # no more polling


def test_the_status_page_asks_the_provider_about_a_pending_mandate(
    fake_bank, customer_client, contract, time_machine
):
    _post_setup(customer_client, contract)
    mandate = PaymentMandate.objects.get()
    fake_bank.state("card").mandates[mandate.reference]["outcome"] = "succeeded"
    time_machine.move_to(mandate.updated_at + __import__("datetime").timedelta(seconds=10))
    url = reverse("portal:mandate-status", args=[mandate.reference])
    page = customer_client.get(url).content.decode()
    assert 'hx-post="' + url in page and "csrfmiddlewaretoken" in page
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.PENDING  # a GET only reads
    customer_client.post(url, HTTP_HX_REQUEST="true")  # the page's poll
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.ACTIVE


def test_a_refused_mandate_fails(fake_bank, customer_client, contract):
    _post_setup(customer_client, contract)
    mandate = PaymentMandate.objects.get()
    body, headers = FakeRecurringProvider().mandate_complete(mandate.reference, "failed")
    notification_process("card", body, headers)
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.FAILED


def test_the_customer_stops_it_on_one_screen(fake_bank, customer_client, contract):
    _post_setup(customer_client, contract)
    mandate = PaymentMandate.objects.get()
    notification_process("card", *FakeRecurringProvider().mandate_complete(mandate.reference))
    url = reverse("portal:mandate-revoke", args=[mandate.reference])
    assert "Stop automatic payment" in customer_client.get(url).content.decode()
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.ACTIVE  # GET changes nothing

    response = customer_client.post(url, REMOTE_ADDR="203.0.113.8", HTTP_USER_AGENT="B/2")

    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.status == MandateStatus.REVOKED
    withdrawal = mandate.revoke_consent
    assert (withdrawal.kind, withdrawal.enabled, withdrawal.ip_address) == (
        ConsentKind.PAYMENT_METHOD,
        False,
        "203.0.113.8",
    )
    assert fake_bank.state("card").cancelled == [mandate.provider_data]
    assert has_valid_consent(contract)  # auto-renewal itself stays on


def test_another_customers_mandate_is_not_found(fake_bank, customer_client):
    other = ContractFactory(customer=CustomerFactory(), auto_renew=True)
    mandate = PaymentMandate.objects.create(
        reference="MDOTHER", customer=other.customer, contract=other, provider="card"
    )
    for name in ("portal:mandate-status", "portal:mandate-revoke"):
        assert customer_client.get(reverse(name, args=[mandate.reference])).status_code == 404
    assert (
        customer_client.post(reverse("portal:mandate-revoke", args=["MDOTHER"])).status_code == 404
    )
