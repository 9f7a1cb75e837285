"""A signed renewal whose new contract staff void (it waited for payment): the renewal did
not happen. Across the seam contracts → lifecycle → renewals: the case is closed as lost
with the reason, its timeline says so, the unpaid invoice is voided, and the old term's end
of term finds no renewal (it expires, the case is not won)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import Invoice, InvoiceStatus
from contracts.models import ContractEvent, ContractStatus
from contracts.selectors import event_payload_display
from lifecycle.contract_ends import process_contract_ends
from renewals import services
from renewals.models import LossReason, Quote, QuoteStatus, RenewalCase, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_case(today, renewing_contract, manager):
    """The renewal quote sent and signed on paper: the new contract awaits payment."""
    case, _created = services.case_open(contract=renewing_contract)
    quote = services.quote_send(quote=services.quote_create(case=case, by=manager), by=manager)
    services.quote_sign_offline(
        quote=quote,
        by=manager,
        signer_name="李四",
        signed_at=timezone.now(),
        scan=b"%PDF-1.4 paper",
        filename="scan.pdf",
    )
    case.refresh_from_db()
    assert case.stage == Stage.SIGNED
    assert case.successor.status == ContractStatus.AWAITING_PAYMENT
    return case


def _void_on_the_contract_page(manager, contract, reason):
    client = Client()
    client.force_login(manager)
    return client.post(reverse("contracts:void", args=[contract.pk]), {"reason": reason})


def test_voiding_the_signed_successor_closes_the_case_as_lost_with_the_reason(
    signed_case, manager, django_capture_on_commit_callbacks
):
    successor = signed_case.successor
    invoice = Invoice.objects.get(contract=successor)
    assert invoice.status == InvoiceStatus.OPEN

    with django_capture_on_commit_callbacks(execute=True):
        response = _void_on_the_contract_page(manager, successor, "客户改变主意，不再续约")
    assert response.status_code == 302

    successor.refresh_from_db()
    assert successor.status == ContractStatus.VOID
    case = RenewalCase.objects.get(pk=signed_case.pk)
    assert case.stage == Stage.LOST and not case.is_open
    assert case.closed_at is not None
    assert case.loss_reason == LossReason.OTHER
    assert successor.number in case.loss_note and "客户改变主意" in case.loss_note
    # the case keeps its (void) successor as history; the signed quote stays the record
    assert case.successor_id == successor.pk
    assert Quote.objects.get(case=case).status == QuoteStatus.SIGNED
    # no overdue reminder will chase the void contract's invoice
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID

    # the case's event stream: one "lost" event by the person who voided, with the reason
    lost = ContractEvent.objects.get(contract=case.contract, kind="renewal_lost")
    assert lost.actor == manager
    assert lost.payload["from_stage"] == Stage.SIGNED
    assert lost.payload["successor_voided"] == successor.number
    assert successor.number in lost.reason

    # the case page says lost, with the voided contract in its timeline
    client = Client()
    client.force_login(manager)
    page = client.get(reverse("renewals:case", args=[case.pk]))
    labels = [e.label for e in page.context["timeline"]]
    assert "Renewal lost" in labels
    assert page.context["case"].stage == Stage.LOST


def test_after_the_void_the_old_term_expires_at_its_end_and_the_case_stays_lost(
    signed_case, manager, renewing_contract, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _void_on_the_contract_page(manager, signed_case.successor, "wrong lines")

    # the day after the old term's end (31 Dec 2026)
    with django_capture_on_commit_callbacks(execute=True):
        report = process_contract_ends(as_of=dt.date(2027, 1, 1))

    renewing_contract.refresh_from_db()
    assert renewing_contract.status == ContractStatus.EXPIRED
    assert report.expired == 1 and report.renewed == 0
    case = RenewalCase.objects.get(pk=signed_case.pk)
    assert case.stage == Stage.LOST
    assert not ContractEvent.objects.filter(
        contract=renewing_contract, kind__in=["renewal_won", "renewed"]
    ).exists()


def test_a_case_not_signed_yet_is_left_to_be_quoted_again(
    today, renewing_contract, manager, django_capture_on_commit_callbacks
):
    case, _created = services.case_open(contract=renewing_contract)
    quote = services.quote_send(quote=services.quote_create(case=case, by=manager), by=manager)
    case.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        _void_on_the_contract_page(manager, case.successor, "wrong lines")

    case.refresh_from_db()
    assert case.stage == Stage.QUOTE_SENT  # the quote can be revised and sent again
    assert not ContractEvent.objects.filter(kind="renewal_lost").exists()
    services.quote_update(quote=quote, by=manager, note="fixed")
    services.quote_send(quote=Quote.objects.get(pk=quote.pk), by=manager)
    case.refresh_from_db()
    assert case.successor.status == ContractStatus.AWAITING_SIGNATURE


def test_losing_a_signed_case_by_hand_is_still_refused(signed_case, manager):
    with pytest.raises(Exception, match="already signed"):
        services.case_lose(case=signed_case, reason=LossReason.PRICE, by=manager)
    signed_case.refresh_from_db()
    assert signed_case.stage == Stage.SIGNED


def test_the_lost_event_names_the_voided_contract_in_words(
    signed_case, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _void_on_the_contract_page(manager, signed_case.successor, "wrong lines")
    lost = ContractEvent.objects.get(contract=signed_case.contract, kind="renewal_lost")
    for language, label in (("en", "renewal contract voided"), ("zh-hans", "已作废的续约合同")):
        with translation.override(language):
            rows = dict(event_payload_display(lost.payload))
        assert rows[label] == signed_case.successor.number
