from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from billing.models import InvoiceStatus, Payment
from billing.services import invoice_issue
from contracts.models import ContractStatus
from renewals import services as renewal_services
from retention.models import CancellationRequest
from tests.factories import ContactFactory, ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC), tick=False):
        yield TODAY


@pytest.fixture
def contract(manager, today):
    """Active 2026-01-01..2026-12-31, 12 000 CNY, 30 days' notice, 20 % fee, pro-rata refund."""
    customer = CustomerFactory(account_manager=manager, code="ACME")
    ContactFactory(customer=customer)
    return ContractFactory(
        customer=customer,
        status=ContractStatus.ACTIVE,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        total_amount=Decimal("12000.00"),
        annual_value=Decimal("12000.00"),
        notice_period_days=30,
        etf_kind="percent_remaining",
        etf_value=Decimal("20"),
        refund_policy="pro_rata",
    )


@pytest.fixture
def invoice(contract):
    return invoice_issue(
        customer=contract.customer,
        contract=contract,
        amount=Decimal("3000.00"),
        description="Support",
        due_date=TODAY + dt.timedelta(days=14),
    )


# Invoices


def test_it_lists_and_filters_invoices_of_visible_customers(client_for, invoice, other_manager):
    invoice_issue(
        customer=CustomerFactory(account_manager=other_manager),
        amount=Decimal("1"),
        due_date=TODAY,
    )

    body = client_for.get("/api/v1/invoices/").json()

    assert [i["number"] for i in body["results"]] == [invoice.number]
    result = body["results"][0]
    assert (result["amount"], result["balance"], result["status"]) == ("3000.00", "3000.00", "open")
    assert result["contract_number"] == invoice.contract.number
    assert result["lines"][0]["description"] == "Support"
    assert client_for.get("/api/v1/invoices/", {"status": "paid"}).json()["results"] == []
    assert client_for.get("/api/v1/invoices/", {"due_before": "2026-03-01"}).json()["count"] == 0


def test_another_managers_invoice_is_a_404(client_for, other_manager, today):
    theirs = invoice_issue(
        customer=CustomerFactory(account_manager=other_manager), amount=Decimal("1"), due_date=TODAY
    )

    assert client_for.get(f"/api/v1/invoices/{theirs.pk}/").status_code == 404


# Payments


def test_it_records_a_payment_that_settles_the_invoice(client_for, invoice, manager):
    response = client_for.post(
        "/api/v1/payments/",
        {
            "invoice": invoice.pk,
            "amount": "3000.00",
            "method": "bank_transfer",
            "reference": "BANK-0001",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["applied_amount"], body["recorded_by"]) == (
        "3000.00",
        "3000.00",
        "alice",
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert client_for.get("/api/v1/payments/", {"invoice": invoice.pk}).json()["count"] == 1


def test_a_reference_is_recorded_once(client_for, invoice):
    body = {"invoice": invoice.pk, "amount": "10", "method": "alipay", "reference": "ALI-1"}
    assert client_for.post("/api/v1/payments/", body, format="json").status_code == 201

    response = client_for.post("/api/v1/payments/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_payment"
    assert Payment.objects.count() == 1


def test_a_read_only_token_cannot_record_a_payment(make_client, manager, invoice):
    response = make_client(manager, "read").post(
        "/api/v1/payments/",
        {"invoice": invoice.pk, "amount": "10", "method": "cash", "reference": "C-1"},
        format="json",
    )

    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_a_payment_cannot_target_another_managers_invoice(client_for, other_manager, today):
    theirs = invoice_issue(
        customer=CustomerFactory(account_manager=other_manager), amount=Decimal("5"), due_date=TODAY
    )

    response = client_for.post(
        "/api/v1/payments/",
        {"invoice": theirs.pk, "amount": "5", "method": "cash", "reference": "C-2"},
        format="json",
    )

    assert response.status_code == 400
    assert "invoice" in response.json()["error"]["fields"]


def test_it_refuses_a_payment_received_in_the_future(client_for, invoice):
    response = client_for.post(
        "/api/v1/payments/",
        {
            "invoice": invoice.pk,
            "amount": "5",
            "method": "cash",
            "reference": "C-3",
            "received_at": "2030-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "received_at" in response.json()["error"]["fields"]


# Renewal cases


def test_it_lists_renewal_cases_with_their_stage(client_for, contract, other_manager):
    case, _created = renewal_services.case_open(contract=contract)
    theirs = ContractFactory(customer=CustomerFactory(account_manager=other_manager))
    renewal_services.case_open(contract=theirs)

    body = client_for.get("/api/v1/renewal-cases/").json()

    assert [c["id"] for c in body["results"]] == [case.pk]
    result = body["results"][0]
    assert (result["stage"], result["contract_number"], result["customer_code"]) == (
        "intent_pending",
        contract.number,
        "ACME",
    )
    assert result["quote"] is None
    assert client_for.get("/api/v1/renewal-cases/", {"stage": "won"}).json()["count"] == 0
    assert client_for.get(f"/api/v1/renewal-cases/{case.pk}/").json()["owner"] == "alice"


# Cancellations


def test_it_previews_both_ways_of_cancelling_a_contract(client_for, contract):
    response = client_for.get(f"/api/v1/contracts/{contract.pk}/cancellation-preview/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["non_renewal"]["last_service_day"] == "2026-12-31"
    early = body["early_termination"]
    assert early["kind"] == "early_termination"
    assert Decimal(early["fee"]) > 0
    assert early["currency"] == "CNY"


def test_it_submits_an_early_termination_with_the_preview_numbers(client_for, contract, today):
    preview = client_for.get(f"/api/v1/contracts/{contract.pk}/cancellation-preview/").json()

    response = client_for.post(
        "/api/v1/cancellation-requests/",
        {"contract": contract.pk, "kind": "early_termination", "reason": "budget"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "in_review"  # no retention offer configured
    assert body["channel"] == "staff"
    assert body["preview"] == preview["early_termination"]
    assert CancellationRequest.objects.get().contract == contract


def test_a_second_open_request_is_refused(client_for, contract, today):
    body = {"contract": contract.pk, "kind": "early_termination", "reason": "price"}
    client_for.post("/api/v1/cancellation-requests/", body, format="json")

    response = client_for.post("/api/v1/cancellation-requests/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate"


def test_it_withdraws_a_request(client_for, contract, today):
    created = client_for.post(
        "/api/v1/cancellation-requests/",
        {"contract": contract.pk, "kind": "early_termination", "reason": "price"},
        format="json",
    ).json()

    response = client_for.post(f"/api/v1/cancellation-requests/{created['id']}/withdraw/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "withdrawn"


def test_continue_on_a_withdrawn_request_is_a_409(client_for, contract, today):
    created = client_for.post(
        "/api/v1/cancellation-requests/",
        {"contract": contract.pk, "kind": "early_termination", "reason": "price"},
        format="json",
    ).json()
    client_for.post(f"/api/v1/cancellation-requests/{created['id']}/withdraw/")

    response = client_for.post(f"/api/v1/cancellation-requests/{created['id']}/continue/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_a_manager_cannot_cancel_another_managers_contract(client_for, other_manager, today):
    theirs = ContractFactory(customer=CustomerFactory(account_manager=other_manager))

    response = client_for.post(
        "/api/v1/cancellation-requests/",
        {"contract": theirs.pk, "kind": "non_renewal", "reason": "price"},
        format="json",
    )

    assert response.status_code == 400
    assert "contract" in response.json()["error"]["fields"]
    assert client_for.get(f"/api/v1/contracts/{theirs.pk}/cancellation-preview/").status_code == 404


def test_it_lists_cancellation_requests_by_status(client_for, contract, today):
    client_for.post(
        "/api/v1/cancellation-requests/",
        {"contract": contract.pk, "kind": "early_termination", "reason": "price"},
        format="json",
    )

    assert (
        client_for.get("/api/v1/cancellation-requests/", {"status": "in_review"}).json()["count"]
        == 1
    )
    assert (
        client_for.get("/api/v1/cancellation-requests/", {"status": "confirmed"}).json()["count"]
        == 0
    )
