"""A renewal case meets a successor contract that already exists (issue #13, item 2).

``Contract.predecessor`` is one-to-one. Before this, sending a quote for a contract that
already had a draft successor (the demo has such drafts) raised IntegrityError: a 500.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from billing.services import invoice_plan_issue
from contracts import services as contract_services
from contracts.models import ConsentChannel, Contract, ContractEvent, ContractStatus
from core.errors import DomainError
from renewals import services
from renewals.models import QuoteStatus, RenewalCase, Stage
from renewals.services import successors
from renewals.services.successors import successor_refusal

S = ContractStatus


def _draft_successor(contract, by=None, *, price="11000.00"):
    """A renewal draft written by hand before any case existed, as the demo has."""
    return contract_services.contract_create_draft(
        customer=contract.customer,
        by=by,
        start_date=contract.end_date + dt.timedelta(days=1),
        end_date=contract.end_date + dt.timedelta(days=365),
        lines=[
            contract_services.LineSpec(
                description="手工续约草稿", quantity=Decimal("1"), unit_price=Decimal(price)
            )
        ],
        plan=contract.plan,
        predecessor=contract,
    )


@pytest.fixture
def case(today, renewing_contract):
    case, _created = services.case_open(contract=renewing_contract)
    return case


def _sent(case, manager):
    quote = services.quote_create(case=case, by=manager)
    services.quote_send(quote=quote, by=manager)
    quote.refresh_from_db()
    case.refresh_from_db()
    return quote


def test_it_takes_over_a_draft_successor_made_before_the_case(case, manager, renewing_contract):
    # given a draft renewal of the contract that nobody has signed, paid or consented to
    draft = _draft_successor(renewing_contract)

    # when the manager sends the quote
    quote = _sent(case, manager)

    # then the draft became the quote's successor, with the quote's lines and term
    assert quote.status == QuoteStatus.SENT and case.stage == Stage.QUOTE_SENT
    assert case.successor_id == draft.pk
    draft.refresh_from_db()
    assert draft.status == S.AWAITING_SIGNATURE
    assert [(line.description, line.unit_price) for line in draft.lines.all()] == [
        ("专业版 Pro (12 个月)", Decimal("12000.00"))
    ]
    assert (draft.start_date, draft.end_date) == (quote.start_date, quote.end_date)
    assert Contract.objects.filter(predecessor=renewing_contract).count() == 1
    assert ContractEvent.objects.filter(
        contract=renewing_contract, kind="renewal_successor_taken_over"
    ).exists()


def test_it_takes_over_an_unsigned_successor_sent_for_signature_outside_the_quote(
    case, manager, renewing_contract
):
    draft = _draft_successor(renewing_contract)
    contract_services.contract_send_for_signature(contract=draft, by=manager)

    quote = _sent(case, manager)

    draft.refresh_from_db()
    assert case.successor_id == draft.pk and draft.status == S.AWAITING_SIGNATURE
    assert draft.total_amount == quote.total
    kinds = list(draft.events.values_list("kind", flat=True))
    assert "returned_to_draft" in kinds


def test_it_lets_go_of_a_void_successor_and_writes_a_new_one(case, manager, renewing_contract):
    void = _draft_successor(renewing_contract)
    contract_services.contract_void(contract=void, by=manager, reason="abandoned")

    _sent(case, manager)

    void.refresh_from_db()
    assert void.predecessor_id is None and void.status == S.VOID
    assert case.successor_id not in (None, void.pk)
    assert case.successor.predecessor_id == renewing_contract.pk


def test_a_successor_voided_after_sending_is_replaced_when_the_quote_is_sent_again(
    case, manager, renewing_contract
):
    quote = _sent(case, manager)
    first = case.successor
    services.quote_update(quote=quote, by=manager, discount_percent=Decimal("5"))
    contract_services.contract_void(contract=first, by=manager, reason="wrong customer data")

    services.quote_send(quote=quote, by=manager)

    case.refresh_from_db()
    assert case.successor_id != first.pk
    assert case.successor.status == S.AWAITING_SIGNATURE
    assert case.successor.total_amount == Decimal("11400.00")


def _signed_successor(contract, manager):
    signed = _draft_successor(contract, manager)
    contract_services.contract_send_for_signature(contract=signed, by=manager)
    contract_services.contract_record_signature(contract=signed, by=manager)
    return signed


def test_it_refuses_to_replace_a_signed_successor_and_says_why(case, manager, renewing_contract):
    signed = _signed_successor(renewing_contract, manager)

    with pytest.raises(DomainError) as refused:
        services.quote_create(case=case, by=manager)

    assert refused.value.code == "successor_signed"
    assert signed.number in refused.value.message and "signed" in refused.value.message
    signed.refresh_from_db()
    assert signed.status == S.AWAITING_PAYMENT


def test_it_refuses_at_sending_when_a_successor_was_signed_after_quoting(
    case, manager, renewing_contract
):
    quote = services.quote_create(case=case, by=manager)
    signed = _signed_successor(renewing_contract, manager)

    with pytest.raises(DomainError) as refused:
        services.quote_send(quote=quote, by=manager)

    assert refused.value.code == "successor_signed"
    quote.refresh_from_db()
    case.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT and case.successor is None
    assert Contract.objects.get(predecessor=renewing_contract) == signed


def test_it_refuses_to_take_over_a_draft_with_an_invoice(case, manager, renewing_contract):
    draft = _draft_successor(renewing_contract)
    invoice_plan_issue(contract=draft, installments=1, first_due_date=dt.date(2027, 1, 1))

    with pytest.raises(DomainError) as refused:
        services.quote_create(case=case, by=manager)

    assert refused.value.code == "successor_in_use" and draft.number in refused.value.message


def test_it_refuses_to_take_over_a_draft_with_an_auto_renewal_consent(
    case, manager, renewing_contract
):
    quote = services.quote_create(case=case, by=manager)
    draft = _draft_successor(renewing_contract)
    contract_services.contract_set_auto_renew(
        contract=draft,
        enabled=True,
        by=manager,
        channel=ConsentChannel.STAFF,
        text="自动续约",
        text_version="t1",
    )

    with pytest.raises(DomainError) as refused:
        services.quote_send(quote=quote, by=manager)

    assert refused.value.code == "successor_in_use"
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and draft.consents.count() == 1


def test_a_successor_written_meanwhile_refuses_the_send_instead_of_a_server_error(
    case, manager, renewing_contract, monkeypatch
):
    # given another process writes a successor between the look-up and the insert
    quote = services.quote_create(case=case, by=manager)
    real_claim = successors.successor_claim_for_case

    def claim_then_a_competitor_writes(**kwargs):
        found = real_claim(**kwargs)
        _draft_successor(renewing_contract)
        return found

    monkeypatch.setattr(
        "renewals.services.quotes.successor_claim_for_case", claim_then_a_competitor_writes
    )

    with pytest.raises(DomainError) as refused:
        services.quote_send(quote=quote, by=manager)

    assert refused.value.code == "successor_race"


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def test_sending_from_the_case_page_takes_the_draft_over_without_a_server_error(
    staff_client, case, manager, renewing_contract
):
    draft = _draft_successor(renewing_contract)
    staff_client.post(reverse("renewals:quote-create", args=[case.pk]))
    page = staff_client.get(reverse("renewals:case", args=[case.pk]))
    assert draft.number in page.content.decode()  # the case page warns before sending

    response = staff_client.post(reverse("renewals:quote-send", args=[case.pk]), follow=True)

    assert response.status_code == 200
    assert "The quote was sent to the customer." in response.content.decode()
    assert RenewalCase.objects.get(pk=case.pk).successor_id == draft.pk


def test_the_refusal_reads_in_the_managers_language(staff_client, case, manager, renewing_contract):
    signed = _signed_successor(renewing_contract, manager)
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])

    response = staff_client.post(reverse("renewals:quote-create", args=[case.pk]), follow=True)

    body = response.content.decode()
    assert response.status_code == 200 and signed.number in body
    with translation.override("zh-hans"):
        expected = successor_refusal(contract=signed).message
    assert "already renews" not in expected and "已经是本合同的续约合同" in expected
    assert expected in body
