"""The customer's renewal in the portal: answer, review, sign, invoice; reminder links."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from billing.models import Invoice
from contracts.models import ContractStatus
from core.tokens import token_make
from renewals import services
from renewals.models import Quote, RenewalCase, Signature, Stage
from tests.factories import ContractFactory, PortalAccountFactory


@pytest.fixture
def customer_client(client, renewing_contract):
    account = PortalAccountFactory(customer=renewing_contract.customer)
    client.force_login(account.user)
    client.user = account.user
    return client


@pytest.fixture
def sent_quote(today, renewing_contract, manager):
    case, _ = services.case_open(contract=renewing_contract)
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    return quote


def test_the_customer_answers_renew_as_is_from_the_portal(
    customer_client, renewing_contract, today
):
    url = reverse("portal:renewal", args=[renewing_contract.pk])
    assert customer_client.get(url).status_code == 200
    response = customer_client.post(
        reverse("portal:renewal-intent", args=[renewing_contract.pk]),
        {"intent": "renew_as_is", "note": ""},
    )
    assert response.status_code == 302
    case = RenewalCase.objects.get(contract=renewing_contract)
    assert case.intent == "renew_as_is" and case.intent_channel == "portal"
    assert case.stage == Stage.RESPONDED


def test_will_not_renew_hands_over_to_the_cancellation_flow(
    customer_client, renewing_contract, today
):
    response = customer_client.post(
        reverse("portal:renewal-intent", args=[renewing_contract.pk]),
        {"intent": "will_not_renew", "note": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/portal/contracts/{renewing_contract.pk}/cancel/"


def test_the_customer_reviews_the_difference_and_signs_online(
    customer_client, renewing_contract, sent_quote
):
    page = customer_client.get(reverse("portal:renewal", args=[renewing_contract.pk]))
    # Without the money filter's <span class="money"> (it keeps an amount on one line).
    body = re.sub(r'<span class="money">(.*?)</span>', r"\1", page.content.decode())
    assert page.context["can_sign"] and "12,000.00 → 12,000.00" in body
    assert sent_quote.contract_document.sha256 in body
    # the PDF the customer reads is downloadable and is the one whose hash is on the page
    pdf = customer_client.get(
        reverse("portal:document-download", args=[sent_quote.contract_document.pk])
    )
    read = b"".join(pdf.streaming_content)
    assert hashlib.sha256(read).hexdigest() == sent_quote.contract_document.sha256

    response = customer_client.post(
        reverse("portal:renewal-sign", args=[renewing_contract.pk]),
        {
            "accept": "on",
            "full_name": "王小明",
            "document_sha256": sent_quote.contract_document.sha256,
        },
        HTTP_USER_AGENT="Mozilla/5.0 test",
        REMOTE_ADDR="198.51.100.23",
    )
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.sha256 == hashlib.sha256(read).hexdigest()
    assert signature.ip_address == "198.51.100.23" and signature.user_agent == "Mozilla/5.0 test"
    assert signature.signed_by_user == customer_client.user
    page = customer_client.get(reverse("portal:renewal", args=[renewing_contract.pk]))
    invoice = Invoice.objects.get()
    assert invoice.number in page.content.decode()
    inv_page = customer_client.get(reverse("portal:invoice", args=[invoice.pk]))
    assert inv_page.status_code == 200 and "6222" not in inv_page.content.decode()
    assert customer_client.get(reverse("portal:invoice-pdf", args=[invoice.pk])).status_code == 200


def test_signing_without_ticking_acceptance_is_refused_with_a_message(
    customer_client, renewing_contract, sent_quote
):
    response = customer_client.post(
        reverse("portal:renewal-sign", args=[renewing_contract.pk]),
        {"full_name": "王小明", "document_sha256": sent_quote.contract_document.sha256},
        follow=True,
    )
    assert response.status_code == 200
    assert not Signature.objects.exists()
    assert "Tick the box" in " ".join(str(m) for m in response.context["messages"])


def test_another_customers_renewal_and_invoices_are_not_found(customer_client, today, manager):
    other = ContractFactory()
    case, _ = services.case_open(contract=other)
    assert customer_client.get(reverse("portal:renewal", args=[other.pk])).status_code == 404
    assert (
        customer_client.post(
            reverse("portal:renewal-intent", args=[other.pk]), {"intent": "renew_as_is"}
        ).status_code
        == 404
    )
    from billing.services import invoice_issue

    inv = invoice_issue(customer=other.customer, amount=1, due_date=today)
    assert customer_client.get(reverse("portal:invoice", args=[inv.pk])).status_code == 404
    assert customer_client.get(reverse("portal:invoice-pdf", args=[inv.pk])).status_code == 404


def test_a_reminder_link_shows_a_confirmation_and_only_post_answers(
    client, renewing_contract, today
):
    token = token_make(purpose="renew", obj_id=renewing_contract.pk, max_age=3600)
    url = reverse("portal:action-link", args=["renew", token])
    page = client.get(url)
    assert page.status_code == 200
    assert not RenewalCase.objects.filter(contract=renewing_contract, intent__gt="").exists()
    response = client.post(url, {"intent": "renew_as_is", "note": ""})
    assert response.status_code == 200  # not logged in: thank-you page with a login link
    case = RenewalCase.objects.get(contract=renewing_contract)
    assert case.intent == "renew_as_is" and case.intent_channel == "email_link"


def test_a_tampered_or_wrong_purpose_link_is_refused(client, renewing_contract):
    token = token_make(purpose="cancel", obj_id=renewing_contract.pk, max_age=3600)
    response = client.get(reverse("portal:action-link", args=["renew", token]))
    assert response.status_code == 400
    response = client.post(
        reverse("portal:action-link", args=["renew", token + "x"]), {"intent": "renew_as_is"}
    )
    assert response.status_code == 400
    assert not RenewalCase.objects.exists()


def test_the_auto_renew_off_link_records_the_consent_on_post(client, renewing_contract, manager):
    from contracts.services import contract_set_auto_renew

    contract_set_auto_renew(
        contract=renewing_contract,
        enabled=True,
        by=manager,
        channel="staff",
        text="on",
        text_version="1",
    )
    token = token_make(purpose="auto_renew_off", obj_id=renewing_contract.pk, max_age=3600)
    url = reverse("portal:action-link", args=["auto_renew_off", token])
    client.get(url)
    renewing_contract.refresh_from_db()
    assert renewing_contract.auto_renew is True
    client.post(url, REMOTE_ADDR="203.0.113.9")
    renewing_contract.refresh_from_db()
    assert renewing_contract.auto_renew is False
    latest = renewing_contract.consents.order_by("-id").first()
    assert latest.enabled is False and latest.channel == "portal"
    assert latest.ip_address == "203.0.113.9"


def test_the_contract_page_shows_where_the_renewal_stands(
    customer_client, renewing_contract, sent_quote
):
    page = customer_client.get(reverse("portal:contract-detail", args=[renewing_contract.pk]))
    assert page.status_code == 200
    assert "Review and sign the renewal" in page.content.decode()


def test_get_on_portal_actions_changes_nothing(customer_client, renewing_contract, sent_quote):
    for name in ["portal:renewal-intent", "portal:renewal-sign"]:
        assert customer_client.get(reverse(name, args=[renewing_contract.pk])).status_code == 405
    assert Quote.objects.get().status == "sent"
    assert renewing_contract.status == ContractStatus.ACTIVE


def test_the_dashboard_lists_renewals_in_progress(customer_client, renewing_contract, sent_quote):
    page = customer_client.get(reverse("portal:home")).content.decode()
    assert "Renewals in progress" in page
    assert reverse("portal:renewal", args=[renewing_contract.pk]) in page


def test_the_renewal_page_speaks_chinese(customer_client, renewing_contract, sent_quote):
    customer_client.cookies["django_language"] = "zh-hans"
    page = customer_client.get(reverse("portal:renewal", args=[renewing_contract.pk]))
    body = page.content.decode()
    assert "审阅并签署" in body and "签署合同" in body
