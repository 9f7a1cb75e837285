"""What the customer reads about their renewal in the portal (issue #13, items 3 and 4).

Before: answering "renew as is" said "review the quote below and sign" when there was no
quote, and the steps were the staff pipeline stages ("Customer responded", "Quote sent"),
marked done from the stage reached rather than from what happened.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from billing.models import Invoice
from billing.services import payment_record
from contracts import services as contract_services
from contracts.models import ContractStatus
from core.tokens import token_make
from renewals import services
from renewals.models import Intent, IntentChannel, RenewalCase
from renewals.portal_progress import renewal_progress_for_customer
from tests.factories import PortalAccountFactory

STAFF_WORDS_EN = ("Intent pending", "Customer responded", "Quote sent")
STAFF_WORDS_ZH = ("等待意向", "客户已答复", "报价已发送")
# TODAY (conftest) is Saturday 21 November 2026: two business days later is Tuesday the 24th.
OFFER_BY = dt.date(2026, 11, 24)


@pytest.fixture
def customer_client(client, renewing_contract):
    account = PortalAccountFactory(customer=renewing_contract.customer)
    client.force_login(account.user)
    return client


def _day(value: dt.date, language: str = "en") -> str:
    with translation.override(language):
        return date_format(value, "SHORT_DATE_FORMAT")


def _flash(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def _steps(progress) -> list[tuple[str, bool, bool]]:
    return [(s.key, s.done, s.current) for s in progress.steps]


def _renewal_page(client, contract) -> str:
    return client.get(reverse("portal:renewal", args=[contract.pk])).content.decode()


def _answer(client, contract, intent="renew_as_is", note=""):
    return client.post(
        reverse("portal:renewal-intent", args=[contract.pk]),
        {"intent": intent, "note": note},
        follow=True,
    )


def test_renew_as_is_without_a_quote_says_we_prepare_the_offer_and_by_when(
    customer_client, renewing_contract, today
):
    response = _answer(customer_client, renewing_contract)

    flash = _flash(response)
    assert "Review" not in flash and "sign" not in flash
    assert "preparing your renewal offer" in flash and _day(OFFER_BY) in flash
    body = response.content.decode()
    assert 'id="sign"' not in body and 'id="quote"' not in body
    assert "We expect to send it by " + _day(OFFER_BY) in body  # the next step on the page
    case = RenewalCase.objects.get(contract=renewing_contract)
    assert case.next_action_date == OFFER_BY  # the same date the manager is held to


def test_renew_as_is_with_an_offer_out_says_review_and_sign(
    customer_client, renewing_contract, manager, today
):
    case, _created = services.case_open(contract=renewing_contract)
    services.quote_send(quote=services.quote_create(case=case, by=manager), by=manager)

    response = _answer(customer_client, renewing_contract)

    assert "Review your renewal offer below and sign it." in _flash(response)
    assert 'id="sign"' in response.content.decode()


def test_the_steps_speak_the_customers_words_not_the_pipeline_stages(
    customer_client, renewing_contract, today
):
    _answer(customer_client, renewing_contract)

    body = _renewal_page(customer_client, renewing_contract)
    for words in ("We&#x27;ll send your renewal offer", "Review and sign", "Pay", "Renewed"):
        assert words in body
    assert not any(staff in body for staff in STAFF_WORDS_EN)

    customer_client.cookies["django_language"] = "zh-hans"
    body = _renewal_page(customer_client, renewing_contract)
    for words in ("我们将发送续约报价", "审阅并签署", "付款", "已续约"):
        assert words in body
    assert not any(staff in body for staff in STAFF_WORDS_ZH)
    assert "预计在 " + _day(OFFER_BY, "zh-hans") + " 前发送给您" in body


def test_no_step_is_done_before_it_happens(customer_client, renewing_contract, today):
    # the old steps marked "Intent pending" and "Customer responded" done at this point
    _answer(customer_client, renewing_contract)

    progress = renewal_progress_for_customer(contract=renewing_contract)

    assert _steps(progress) == [
        ("offer", False, True),
        ("sign", False, False),
        ("pay", False, False),
        ("renewed", False, False),
    ]
    assert 'aria-current="step"' in _renewal_page(customer_client, renewing_contract)


def test_each_step_is_done_when_it_really_happened(
    customer_client, renewing_contract, manager, today
):
    case, _created = services.case_open(contract=renewing_contract)
    quote = services.quote_create(case=case, by=manager)

    # a quote prepared but not sent is nothing the customer has
    progress = renewal_progress_for_customer(contract=renewing_contract)
    assert progress.steps[0].done is False and progress.quote is None

    # sent: the offer step is done, signing is the customer's step
    services.quote_send(quote=quote, by=manager)
    progress = renewal_progress_for_customer(contract=renewing_contract)
    assert _steps(progress)[:2] == [("offer", True, False), ("sign", False, True)]
    assert progress.can_sign and progress.steps[3].label == "Renewed until 31 Dec 2027"

    # revised after sending: the stage stays "quote sent" but there is no offer to sign
    services.quote_update(quote=quote, by=manager, discount_percent=Decimal("10"))
    progress = renewal_progress_for_customer(contract=renewing_contract)
    assert _steps(progress)[0] == ("offer", False, True) and not progress.can_sign
    assert "preparing your renewal offer" in progress.next_step
    page = customer_client.get(reverse("portal:contract-detail", args=[renewing_contract.pk]))
    assert "Review and sign the renewal" not in page.content.decode()

    # sent again and signed: pay is next, with the invoice named
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    services.quote_sign_online(
        quote=quote,
        full_name="王小明",
        accepted=True,
        document_sha256=quote.contract_document.sha256,
    )
    invoice = Invoice.objects.get(contract__predecessor=renewing_contract)
    progress = renewal_progress_for_customer(contract=renewing_contract)
    assert _steps(progress) == [
        ("offer", True, False),
        ("sign", True, False),
        ("pay", False, True),
        ("renewed", False, False),
    ]
    assert invoice.number in progress.next_step and "10,800.00" in progress.next_step
    assert progress.next_url == reverse("portal:invoice", args=[invoice.pk])

    # paid: the new term is scheduled; everything is done
    payment_record(
        invoice=invoice, amount=invoice.amount, method="bank_transfer", reference="R1", by=manager
    )
    progress = renewal_progress_for_customer(contract=renewing_contract)
    assert [s.done for s in progress.steps] == [True, True, True, True]
    assert progress.current is None
    assert progress.next_step == (
        "You are renewed: the new term runs from 1 Jan 2027 to 31 Dec 2027."
    )


def test_a_late_offer_is_admitted_not_promised_again(customer_client, renewing_contract, today):
    _answer(customer_client, renewing_contract)

    with time_machine.travel(dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC), tick=False):
        progress = renewal_progress_for_customer(contract=renewing_contract)

    assert progress.late and progress.expected_by == OFFER_BY
    assert "taking longer than we planned" in progress.next_step
    assert _day(OFFER_BY) in progress.next_step


def test_an_undecided_customer_is_told_when_we_call(customer_client, renewing_contract, today):
    response = _answer(customer_client, renewing_contract, "undecided", "价格能再谈吗？")

    assert "Your account manager will contact you by " + _day(OFFER_BY) in _flash(response)


def test_the_staff_next_action_date_is_the_date_the_customer_is_given(
    renewing_contract, manager, today
):
    case, _created = services.case_open(contract=renewing_contract)
    services.case_record_intent(case=case, intent=Intent.RENEW_AS_IS, channel=IntentChannel.PORTAL)
    services.case_log_contact(
        case=case, by=manager, next_action="Send the quote", next_action_date=dt.date(2026, 12, 1)
    )

    progress = renewal_progress_for_customer(contract=renewing_contract)

    assert progress.expected_by == dt.date(2026, 12, 1) and "1 Dec 2026" in progress.next_step


def test_an_automatic_renewal_shows_no_offer_to_sign(renewing_contract, manager, today):
    successor = contract_services.contract_create_draft(
        customer=renewing_contract.customer,
        by=None,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
        lines=[contract_services.LineSpec(description="Pro", quantity=1, unit_price=12000)],
        predecessor=renewing_contract,
    )
    contract_services.contract_send_for_signature(contract=successor, by=None)
    contract_services.contract_record_signature(contract=successor, by=None)
    services.case_attach_auto_renewal(predecessor=renewing_contract, successor=successor)

    progress = renewal_progress_for_customer(contract=renewing_contract)

    assert [s.key for s in progress.steps] == ["pay", "renewed"]
    assert not progress.can_answer and not progress.can_sign


def test_the_dashboard_names_the_customers_step(customer_client, renewing_contract, today):
    _answer(customer_client, renewing_contract)
    customer_client.cookies["django_language"] = "zh-hans"

    page = customer_client.get(reverse("portal:home")).content.decode()

    assert "我们将发送续约报价" in page
    assert not any(staff in page for staff in STAFF_WORDS_ZH)


def test_a_reminder_link_answer_does_not_promise_a_quote_to_sign(client, renewing_contract, today):
    token = token_make(purpose="renew", obj_id=renewing_contract.pk, max_age=3600)

    response = client.post(
        reverse("portal:action-link", args=["renew", token]), {"intent": "renew_as_is"}
    )

    body = response.content.decode()
    assert "review and sign" not in body.lower()
    assert "Log in to see your renewal" in body


def test_signing_when_no_offer_is_out_is_refused_with_a_message(
    customer_client, renewing_contract, today
):
    _answer(customer_client, renewing_contract)

    response = customer_client.post(
        reverse("portal:renewal-sign", args=[renewing_contract.pk]),
        {"accept": "on", "full_name": "王小明", "document_sha256": "0" * 64},
        follow=True,
    )

    assert response.status_code == 200
    assert "There is no renewal offer to sign" in _flash(response)
    assert renewing_contract.status == ContractStatus.ACTIVE
    assert not re.search(r"Traceback", response.content.decode())


def test_a_refused_answer_from_a_reminder_link_is_not_called_recorded(
    client, renewing_contract, today
):
    token = token_make(purpose="change", obj_id=renewing_contract.pk, max_age=3600)

    # "renew with changes" without saying which changes is refused by the service
    response = client.post(
        reverse("portal:action-link", args=["change", token]),
        {"intent": "renew_with_changes", "note": ""},
    )

    body = response.content.decode()
    assert "We recorded your answer" not in body
    assert "Tell us which changes you would like." in body
    assert 'name="intent"' in body  # the question again
    assert not RenewalCase.objects.filter(contract=renewing_contract, intent__gt="").exists()


def test_a_reminder_link_post_without_an_answer_says_so_beside_the_choices(
    client, renewing_contract, today
):
    token = token_make(purpose="renew", obj_id=renewing_contract.pk, max_age=3600)

    response = client.post(reverse("portal:action-link", args=["renew", token]), {"note": ""})

    body = response.content.decode()
    errors = body[body.index('id="intent-errors"') : body.index('name="intent"')]
    assert "Choose one of the answers." in errors


def test_an_offer_held_by_an_open_cancellation_is_not_offered_for_signing(
    customer_client, renewing_contract, manager, today
):
    # given an offer out, then a cancellation request for the same contract
    from retention.services import cancellation_submit

    case, _created = services.case_open(contract=renewing_contract)
    services.quote_send(quote=services.quote_create(case=case, by=manager), by=manager)
    cancellation_submit(contract=renewing_contract, kind="non_renewal", reason="price", by=manager)

    # then neither the renewal page nor the dashboard offers to sign what would be refused
    progress = renewal_progress_for_customer(contract=renewing_contract)
    assert not progress.can_sign and progress.on_hold
    page = _renewal_page(customer_client, renewing_contract)
    assert 'id="sign"' not in page
    assert "Withdraw the request if you want to renew." in page
    home = customer_client.get(reverse("portal:home")).content.decode()
    assert "Review your renewal offer below and sign it." not in home
