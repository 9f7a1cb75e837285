"""A renewal offer awaiting the customer's signature is signed on the renewal page of the
contract it renews (renewals.portal_views), not on its own contract page: the portal home's
"Waiting for you" item leads there, and the offer's own contract page has a "Review and
sign" button to it (the walk found a dead end: the item opened the offer's page, which had
no way to sign)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contracts.models import Contract, ContractStatus
from renewals import services
from tests.factories import ContractFactory, PortalAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(today, renewing_contract, manager):
    case, _ = services.case_open(contract=renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    successor = Contract.objects.get(predecessor=renewing_contract)
    assert successor.status == ContractStatus.AWAITING_SIGNATURE
    return successor


def _login(client, customer, language):
    account = PortalAccountFactory(customer=customer)
    account.user.language = language
    account.user.save(update_fields=["language"])
    client.force_login(account.user)
    return client


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Sign contract {n}"), ("zh-hans", "签署合同 {n}")]
)
def test_the_waiting_for_you_item_leads_to_the_page_where_she_signs(
    client, renewing_contract, offer, language, title
):
    customer = _login(client, renewing_contract.customer, language)
    page = customer.get(reverse("portal:home"))

    (action,) = [a for a in page.context["actions"] if offer.number in a.title]
    assert action.title == title.format(n=offer.number)
    assert action.url == reverse("portal:renewal", args=[renewing_contract.pk])
    # and that page offers the signature
    renewal = customer.get(action.url)
    assert renewal.context["can_sign"]


@pytest.mark.parametrize(
    ("language", "button"), [("en", "Review and sign"), ("zh-hans", "查看并签署")]
)
def test_the_offers_contract_page_has_a_button_to_sign_it(
    client, renewing_contract, offer, language, button
):
    customer = _login(client, renewing_contract.customer, language)
    body = customer.get(reverse("portal:contract-detail", args=[offer.pk])).content.decode()

    box = body.split('id="sign-renewal"', 1)[1].split("</section>", 1)[0]
    assert f'href="{reverse("portal:renewal", args=[renewing_contract.pk])}"' in box
    assert button in box
    assert renewing_contract.number in box


def test_a_contract_awaiting_signature_that_renews_nothing_keeps_its_own_page(
    client, today, renewing_contract
):
    new = ContractFactory(
        customer=renewing_contract.customer, status=ContractStatus.AWAITING_SIGNATURE
    )
    customer = _login(client, renewing_contract.customer, "en")
    page = customer.get(reverse("portal:home"))

    (action,) = [a for a in page.context["actions"] if new.number in a.title]
    assert action.url == reverse("portal:contract-detail", args=[new.pk])
    detail = customer.get(reverse("portal:contract-detail", args=[new.pk])).content.decode()
    assert 'id="sign-renewal"' not in detail
