"""The customer's compliance rights in the portal (lifecycle/portal_views.py): automatic
renewal on and off with the disclosure, recorded with the customer's own IP, user agent
and the exact text; undo and withdrawal with the refund shown first; the German "cancel
contracts here" button. GET never changes anything; another customer's contract is a 404.
The clock is frozen at a leap day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from billing.models import CreditNote
from billing.services import invoice_plan_issue, payment_record, term_end
from contracts.models import AutoRenewConsent, ContractEvent, ContractStatus
from contracts.services import event_record
from lifecycle.auto_renew_choice import auto_renew_disclosure
from notifications.models import Message
from renewals.models import LossReason, RenewalCase, Stage
from renewals.services import case_attach_auto_renewal
from tests.factories import ContractFactory

S = ContractStatus
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2028, 2, 29)
UA = "Mozilla/5.0 consent-test"


@pytest.fixture(autouse=True)
def _leap_day():
    with time_machine.travel(dt.datetime(2028, 2, 29, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def running(customer):
    customer.country = "CN"
    customer.save(update_fields=["country"])
    return ContractFactory(
        customer=customer,
        start_date=dt.date(2027, 7, 1),
        end_date=dt.date(2028, 6, 30),
        total_amount=Decimal("1200.00"),
        auto_renew=False,
    )


def _post(client, url, data):
    return client.post(url, data, HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.7")


def test_the_contract_page_says_whether_it_renews_and_links_the_switch(customer_client, running):
    page = customer_client.get(reverse("portal:contract-detail", args=[running.pk]))
    html = page.content.decode()
    assert "Automatic renewal: off" in html
    assert reverse("portal:auto-renewal", args=[running.pk]) in html


def test_switching_on_shows_the_disclosure_and_records_exactly_it(
    customer_client, running, django_capture_on_commit_callbacks
):
    url = reverse("portal:auto-renewal", args=[running.pk])
    page = customer_client.get(url)
    disclosure = page.context["disclosure"]
    assert AutoRenewConsent.objects.count() == 0  # GET records nothing
    # Price of the next term, its period and how to cancel; prominent for a CN customer.
    assert "2028-07-01" in disclosure.text and "2029-06-30" in disclosure.text
    # The shared money format, the period as a phrase (it read "billed Annual").
    assert "for CNY 1,200.00 at today's prices (billed monthly)" in disclosure.text
    assert "Switch off" in disclosure.text
    assert disclosure.prominent and "Important: automatic renewal" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(customer_client, url, {"digest": disclosure.digest, "accept": "on"})
    assert response.status_code == 302
    running.refresh_from_db()
    assert running.auto_renew
    consent = AutoRenewConsent.objects.get(contract=running)
    assert consent.enabled and consent.text == disclosure.text
    assert (consent.ip_address, consent.user_agent, consent.channel) == (
        "198.51.100.7",
        UA,
        "portal",
    )
    message = Message.objects.filter(kind="auto_renew_switched_on", contract=running).first()
    # Local time (Shanghai, 10:00 frozen) as English writes it, not UTC ISO; the link is the
    # contract's page, where the switch is.
    assert "(29 Feb 2028, 10:00)" in message.body_text and "+00:00" not in message.body_text
    contract_page = reverse("portal:contract-detail", args=[running.pk]) + "#automatic-renewal"
    assert contract_page in message.body_text and "/renewal/" not in message.body_text


def test_a_text_other_than_the_one_shown_or_no_tick_records_nothing(customer_client, running):
    url = reverse("portal:auto-renewal", args=[running.pk])
    digest = auto_renew_disclosure(running, today=TODAY).digest
    _post(customer_client, url, {"digest": "0" * 32, "accept": "on"})
    _post(customer_client, url, {"digest": digest})
    running.refresh_from_db()
    assert not running.auto_renew and not AutoRenewConsent.objects.exists()


def test_switching_off_takes_one_post_and_is_confirmed(
    customer_client, running, django_capture_on_commit_callbacks
):
    running.auto_renew = True
    running.save(update_fields=["auto_renew"])
    url = reverse("portal:auto-renewal", args=[running.pk])
    text = auto_renew_disclosure(running, today=TODAY)
    assert not text.enabled and not text.prominent
    with django_capture_on_commit_callbacks(execute=True):
        _post(customer_client, url, {"digest": text.digest})
    running.refresh_from_db()
    consent = AutoRenewConsent.objects.get(contract=running)
    assert not running.auto_renew and not consent.enabled and consent.text == text.text
    assert Message.objects.filter(kind="auto_renew_switched_off", contract=running).exists()


def test_the_switch_page_speaks_chinese(customer_client, running):
    customer_client.cookies["django_language"] = "zh-hans"
    page = customer_client.get(
        reverse("portal:auto-renewal", args=[running.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    html = page.content.decode()
    assert "自动续约" in html
    text = page.context["disclosure"].text
    assert "开启" in text
    assert "费用 CNY 1,200.00（按月计费）" in text and "按按年" not in text


@pytest.mark.parametrize(
    ("period", "english", "chinese"),
    [("annual", "billed yearly", "按年计费"), ("quarterly", "billed quarterly", "按季度计费")],
)
def test_each_billing_period_reads_as_a_phrase(running, period, english, chinese):
    from django.utils import translation

    running.billing_period = period
    assert f"({english})" in auto_renew_disclosure(running, today=TODAY).text
    with translation.override("zh-hans"):
        assert f"（{chinese}）" in auto_renew_disclosure(running, today=TODAY).text


def test_the_confirmation_time_is_local_and_in_the_customers_language(
    customer, running, django_capture_on_commit_callbacks
):
    from lifecycle.auto_renew_choice import auto_renew_switch

    customer.language = "zh-hans"
    customer.save(update_fields=["language"])
    text = auto_renew_disclosure(running, today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        auto_renew_switch(
            contract=running,
            disclosure=text,
            digest=text.digest,
            by=None,
            ip_address=None,
            user_agent="",
        )
    body = Message.objects.filter(kind="auto_renew_switched_on").first().body_text
    assert "（2028年2月29日 10:00）" in body


def test_another_customers_contract_is_not_found(customer_client, other_customer):
    theirs = other_customer["contract"]
    for name in ("auto-renewal", "renewal-undo", "contract-withdraw"):
        url = reverse(f"portal:{name}", args=[theirs.pk])
        assert customer_client.get(url).status_code == 404
        assert customer_client.post(url, {"digest": "x", "accept": "on"}).status_code == 404
    assert not AutoRenewConsent.objects.filter(contract=theirs).exists()


# --- undo and withdrawal -------------------------------------------------------------------


def test_a_customer_undoes_a_renewal_after_seeing_the_refund(customer_client, customer, settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "AUTO_RENEWAL_UNDO_DAYS": 14}
    old = ContractFactory(
        customer=customer,
        status=S.RENEWED,
        start_date=dt.date(2027, 2, 25),
        end_date=dt.date(2028, 2, 24),
        auto_renew=True,
    )
    new = ContractFactory(
        customer=customer,
        predecessor=old,
        start_date=dt.date(2028, 2, 25),
        end_date=term_end(dt.date(2028, 2, 25), 12),  # 2029-02-24: 366 days
        total_amount=Decimal("3660.00"),
        auto_renew=True,
    )
    event = event_record(contract=old, kind="auto_renewed", payload={"successor": new.number})
    ContractEvent.objects.filter(pk=event.pk).update(
        at=dt.datetime(2028, 2, 25, 9, 0, tzinfo=SHANGHAI)
    )
    (invoice,) = invoice_plan_issue(contract=new, installments=1, first_due_date=new.start_date)
    payment_record(invoice=invoice, amount=invoice.amount, method="bank_transfer", reference="U1")
    # The renewal case as the automatic renewal leaves it: won.
    case_attach_auto_renewal(predecessor=old, successor=new)
    old_page = reverse("portal:contract-detail", args=[old.pk])
    assert "You are renewed until" in customer_client.get(old_page).content.decode()
    detail = customer_client.get(reverse("portal:contract-detail", args=[new.pk])).content.decode()
    assert "Undo this automatic renewal" in detail
    url = reverse("portal:renewal-undo", args=[new.pk])
    page = customer_client.get(url)
    # 25-28 February used: 4 days of 366 at 10.00.
    assert page.context["settlement"].refund == Decimal("3620.00")
    new.refresh_from_db()
    assert new.status == S.ACTIVE  # GET changed nothing
    _post(customer_client, url, {"refund": "3620.00"})
    new.refresh_from_db()
    old.refresh_from_db()
    assert (new.status, old.status) == (S.TERMINATED, S.EXPIRED)
    assert CreditNote.objects.get(contract=new).amount == Decimal("3620.00")
    # The old contract's page: not renewed after all, automatic renewal off.
    html = customer_client.get(old_page).content.decode()
    assert "You are renewed until" not in html
    assert "This contract will not be renewed." in html
    assert "<dt>Automatic renewal</dt><dd>Off</dd>" in html
    case = RenewalCase.objects.get(contract=old)
    assert (case.stage, case.loss_reason) == (Stage.LOST, LossReason.OTHER)

    # The credit note the confirmation speaks of is in the portal: on the list, its own
    # page (refund status: paid by bank transfer, so still to be paid back) and the new
    # contract's page.
    note = CreditNote.objects.get(contract=new)
    listing = customer_client.get(reverse("portal:credit-notes")).content.decode()
    assert note.number in listing and "CNY 3,620.00" in listing
    page = customer_client.get(reverse("portal:credit-note", args=[note.pk])).content.decode()
    assert "Being paid back: " in page and "CNY 3,620.00" in page
    assert reverse("portal:credit-note", args=[note.pk]) in (
        customer_client.get(reverse("portal:contract-detail", args=[new.pk])).content.decode()
    )


def test_credit_notes_are_the_customers_own(customer_client, customer, other_customer):
    from billing.services import credit_note_issue

    theirs = credit_note_issue(
        customer=other_customer["contract"].customer, amount=Decimal("50.00"), reason="Goodwill"
    )
    mine = credit_note_issue(customer=customer, amount=Decimal("20.00"), reason="Goodwill")
    listing = customer_client.get(reverse("portal:credit-notes")).content.decode()
    assert mine.number in listing and theirs.number not in listing
    assert customer_client.get(reverse("portal:credit-note", args=[theirs.pk])).status_code == 404
    assert customer_client.get(reverse("portal:credit-note", args=[mine.pk])).status_code == 200
    customer_client.cookies["django_language"] = "zh-hans"
    page = customer_client.get(reverse("portal:credit-notes"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "贷项通知单" in page.content.decode() and "退款处理中" in page.content.decode()


def test_an_eu_customer_withdraws_in_two_steps(customer_client, customer):
    customer.country = "FR"
    customer.save(update_fields=["country"])
    contract = ContractFactory(
        customer=customer,
        start_date=dt.date(2028, 3, 1),
        end_date=dt.date(2029, 2, 28),
        status=S.SCHEDULED,
        signed_at=dt.datetime(2028, 2, 20, 15, 0, tzinfo=ZoneInfo("Europe/Paris")),
    )
    detail = customer_client.get(reverse("portal:contract-detail", args=[contract.pk]))
    assert "Withdraw from contract here" in detail.content.decode()
    url = reverse("portal:contract-withdraw", args=[contract.pk])
    page = customer_client.get(url)
    assert contract.number in page.content.decode()
    assert page.context["window"].last_day == dt.date(2028, 3, 5)
    _post(customer_client, url, {"refund": str(page.context["settlement"].refund)})
    contract.refresh_from_db()
    assert contract.status == S.VOID


# --- Germany's button ----------------------------------------------------------------------


def test_german_customers_see_the_cancel_button_on_every_page(customer_client, customer, running):
    home = reverse("portal:home")
    assert "Verträge hier kündigen" not in customer_client.get(home).content.decode()
    customer.country = "DE"
    customer.save(update_fields=["country"])
    for url in (home, reverse("portal:messages"), reverse("portal:preferences")):
        html = customer_client.get(url).content.decode()
        assert "Verträge hier kündigen" in html
        assert reverse("portal:cancel-contracts") in html
    listing = customer_client.get(reverse("portal:cancel-contracts")).content.decode()
    assert reverse("portal:cancellation-start", args=[running.pk]) in listing
