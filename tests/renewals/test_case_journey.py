"""The whole renewal across apps, through the pages as people use them (issue #13): a case
whose contract already has a draft renewal, the manager quotes and sends, the customer
reads the offer in the portal and signs, then sees what to pay, and the payment the
manager records completes the renewal."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import Invoice, InvoiceStatus
from contracts import services as contract_services
from contracts.models import Contract, ContractStatus
from renewals import services
from renewals.models import Quote, QuoteStatus, RenewalCase, Stage
from tests.factories import PortalAccountFactory


def _steps(body: str) -> dict[str, str]:
    """The portal's renewal steps: key -> "done", "current" or "todo"."""
    steps = {}
    for attrs in re.findall(r"<li class=\"badge[^>]*>", body):
        key = re.search(r'data-step="(\w+)"', attrs).group(1)
        steps[key] = (
            "current"
            if 'aria-current="step"' in attrs
            else "done"
            if "text-bg-success" in attrs
            else "todo"
        )
    return steps


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.fixture
def staff(manager):
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def customer(renewing_contract):
    client = Client()
    client.force_login(PortalAccountFactory(customer=renewing_contract.customer).user)
    return client


def test_a_case_with_a_draft_renewal_goes_from_quote_to_paid_through_the_pages(
    today, renewing_contract, manager, staff, customer
):
    contract = renewing_contract
    renewal_page = reverse("portal:renewal", args=[contract.pk])
    # given a draft renewal written by hand before the case opened (as in the demo)
    draft = contract_services.contract_create_draft(
        customer=contract.customer,
        by=manager,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
        lines=[contract_services.LineSpec(description="草稿", quantity=1, unit_price=9000)],
        predecessor=contract,
    )
    services.renewal_cases_open_due(as_of=today)
    case = RenewalCase.objects.get(contract=contract)

    # the customer answers first: nothing to sign yet, and they are told by when
    answered = customer.post(
        reverse("portal:renewal-intent", args=[contract.pk]),
        {"intent": "renew_as_is", "note": ""},
        follow=True,
    )
    assert "preparing your renewal offer" in _messages(answered)
    assert _steps(answered.content.decode())["offer"] == "current"
    assert 'id="sign"' not in answered.content.decode()

    # the manager prepares the quote (the case page warns about the draft) and sends it
    staff.post(reverse("renewals:quote-create", args=[case.pk]))
    case_page = staff.get(reverse("renewals:case", args=[case.pk])).content.decode()
    assert draft.number in case_page
    sent = staff.post(reverse("renewals:quote-send", args=[case.pk]), follow=True)
    assert sent.status_code == 200
    assert "The quote was sent to the customer." in _messages(sent)
    quote = Quote.objects.get(case=case)
    case.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and case.successor_id == draft.pk

    # the portal shows the offer with "Review and sign"
    body = customer.get(renewal_page).content.decode()
    assert _steps(body) == {
        "offer": "done",
        "sign": "current",
        "pay": "todo",
        "renewed": "todo",
    }
    assert 'id="quote"' in body and quote.number in body and "12,000.00" in body
    assert 'id="sign"' in body and quote.contract_document.sha256 in body
    card = customer.get(reverse("portal:contract-detail", args=[contract.pk])).content.decode()
    assert "Review and sign the renewal" in card

    # the customer signs
    signed = customer.post(
        reverse("portal:renewal-sign", args=[contract.pk]),
        {"accept": "on", "full_name": "王小明", "document_sha256": quote.contract_document.sha256},
        follow=True,
    )
    assert signed.status_code == 200
    invoice = Invoice.objects.get(contract=draft)
    body = signed.content.decode()
    assert _steps(body) == {"offer": "done", "sign": "done", "pay": "current", "renewed": "todo"}
    assert 'id="pay"' in body and invoice.number in body
    assert "above" not in body  # no pointer to the answer form, which is gone once signed
    assert reverse("portal:invoice", args=[invoice.pk]) in body  # the next step links to it
    invoice_page = customer.get(reverse("portal:invoice", args=[invoice.pk]))
    assert invoice_page.status_code == 200 and "How to pay" in invoice_page.content.decode()

    # the manager records the payment: the renewal is done, in the customer's words too
    paid = staff.post(
        reverse("billing:invoice-pay", args=[invoice.pk]),
        {
            "amount": str(invoice.amount),
            "method": "bank_transfer",
            "reference": "BOC-20261121-01",
            "received_on": today.isoformat(),
            "note": "",
        },
    )
    assert paid.status_code == 302
    invoice.refresh_from_db()
    case.refresh_from_db()
    draft.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount == Decimal("12000.00")
    assert case.stage == Stage.PAID and draft.status == ContractStatus.SCHEDULED
    body = customer.get(renewal_page).content.decode()
    assert _steps(body) == {"offer": "done", "sign": "done", "pay": "done", "renewed": "done"}
    assert "Renewed until 31 Dec 2027" in body
    assert Contract.objects.filter(predecessor=contract).count() == 1
