# ruff: noqa: F811 - the fixtures imported from recurring_fixtures are named as parameters
"""A customer whose contract does not renew automatically switches automatic renewal on
and saves a payment method in one POST on the automatic-payment page, each consent in the
ledger with the exact text, IP and user agent; switching it off takes one screen
(payments/portal_mandate_views.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from contracts.models import AutoRenewConsent, ConsentKind, ContractEvent
from payments.models import MandateStatus, PaymentMandate
from payments.portal_mandate_views import auto_renew_off_text, auto_renew_on_text
from payments.providers.base import ProviderError
from payments.services.mandates import disclosure_digest, mandate_disclosure
from payments.services.notifications import notification_process
from tests.factories import ContractFactory
from tests.payments.recurring_fake import FakeRecurringProvider
from tests.payments.recurring_fixtures import fake_bank  # noqa: F401

pytestmark = pytest.mark.django_db

AGENT = {"HTTP_USER_AGENT": "Browser/2.0", "REMOTE_ADDR": "198.51.100.4"}


@pytest.fixture
def contract(customer):
    return ContractFactory(customer=customer, auto_renew=False)


def _form(contract, code="card", **extra):
    text = mandate_disclosure(contract=contract, provider_code=code)
    return {
        "provider": code,
        "digest": disclosure_digest(text),
        "renew_digest": disclosure_digest(auto_renew_on_text(contract)),
        "accept_auto_renew": "on",
        "accept": "on",
        **extra,
    }


def _post(client, contract, data):
    return client.post(reverse("portal:mandate-setup", args=[contract.pk]), data, **AGENT)


def test_the_page_offers_both_texts_when_auto_renewal_is_off(fake_bank, customer_client, contract):
    html = customer_client.get(reverse("portal:mandate-setup", args=[contract.pk])).content
    page = html.decode()
    assert escape(auto_renew_on_text(contract)) in page
    assert 'name="accept_auto_renew"' in page and 'id="renew-off-note"' in page
    assert "Switch it on first" not in page


def test_one_post_switches_auto_renewal_on_and_starts_the_method_with_two_consents(
    fake_bank, customer_client, contract, portal_user
):
    response = _post(customer_client, contract, _form(contract))

    assert response.status_code in (200, 302)
    contract.refresh_from_db()
    assert contract.auto_renew
    renew, payment = AutoRenewConsent.objects.filter(contract=contract).order_by("id")
    assert (renew.kind, renew.enabled, renew.text) == (
        ConsentKind.AUTO_RENEW,
        True,
        auto_renew_on_text(contract),
    )
    assert payment.kind == ConsentKind.PAYMENT_METHOD
    assert payment.text == mandate_disclosure(contract=contract, provider_code="card")
    for consent in (renew, payment):
        assert (consent.ip_address, consent.user_agent, consent.channel) == (
            "198.51.100.4",
            "Browser/2.0",
            "portal",
        )
        assert consent.actor == portal_user
    kinds = list(ContractEvent.objects.filter(contract=contract).values_list("kind", flat=True))
    assert "auto_renew_on" in kinds and "payment_consent_given" in kinds
    [mandate] = PaymentMandate.objects.filter(contract=contract)
    assert mandate.status == MandateStatus.PENDING and mandate.consent == payment


@pytest.mark.parametrize(
    "change",
    [{"accept_auto_renew": ""}, {"renew_digest": "stale"}, {"accept": ""}],
    ids=["renewal-not-ticked", "renewal-text-changed", "payment-not-ticked"],
)
def test_without_both_acceptances_nothing_is_switched_or_recorded(
    fake_bank, customer_client, contract, change
):
    response = _post(customer_client, contract, _form(contract, **change))
    assert response.status_code == 200
    contract.refresh_from_db()
    assert not contract.auto_renew
    assert not AutoRenewConsent.objects.filter(contract=contract).exists()
    assert not PaymentMandate.objects.filter(contract=contract).exists()


def test_a_provider_that_cannot_be_reached_leaves_auto_renewal_on_and_says_so(
    fake_bank, customer_client, contract, monkeypatch
):
    def unreachable(self, **kwargs):
        raise ProviderError("connection refused", transient=True)

    monkeypatch.setattr(FakeRecurringProvider, "mandate_start", unreachable)
    response = _post(customer_client, contract, _form(contract))
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.auto_renew  # the customer accepted it, on its own consent
    [mandate] = PaymentMandate.objects.filter(contract=contract)
    assert mandate.status == MandateStatus.FAILED
    page = customer_client.get(response["Location"]).content.decode()
    assert "Switch automatic renewal off" in page


def test_switching_off_takes_one_screen_and_stops_the_automatic_payment(
    fake_bank, customer_client, contract
):
    _post(customer_client, contract, _form(contract))
    [mandate] = PaymentMandate.objects.filter(contract=contract)
    body, headers = FakeRecurringProvider().mandate_complete(mandate.reference)
    assert notification_process("card", body, headers).accepted

    url = reverse("portal:mandate-auto-renew-off", args=[contract.pk])
    screen = customer_client.get(url).content.decode()
    assert escape(auto_renew_off_text(contract)) in screen
    contract.refresh_from_db()
    assert contract.auto_renew  # GET changes nothing

    response = customer_client.post(url, **AGENT)
    assert response.status_code == 302
    contract.refresh_from_db()
    mandate.refresh_from_db()
    assert not contract.auto_renew
    assert mandate.status == MandateStatus.REVOKED
    off = AutoRenewConsent.objects.filter(contract=contract, kind=ConsentKind.AUTO_RENEW).last()
    assert (off.enabled, off.text, off.ip_address) == (
        False,
        auto_renew_off_text(contract),
        "198.51.100.4",
    )
    assert AutoRenewConsent.objects.filter(
        contract=contract, kind=ConsentKind.PAYMENT_METHOD, enabled=False
    ).exists()


def test_another_customers_contract_cannot_be_switched(fake_bank, customer_client):
    other = ContractFactory(auto_renew=True)
    url = reverse("portal:mandate-auto-renew-off", args=[other.pk])
    assert customer_client.get(url).status_code == 404
    assert customer_client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.auto_renew


def test_both_texts_are_translated(contract):
    with translation.override("zh-hans"):
        on, off = auto_renew_on_text(contract), auto_renew_off_text(contract)
    assert on.startswith(f"我开启合同 {contract.number} 的自动续约")
    assert off.startswith(f"我关闭合同 {contract.number} 的自动续约")
