from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts import services
from contracts.models import Contract, ContractStatus, PlanPrice
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PlanFactory,
    TermsVersionFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/contracts/"
S = ContractStatus


def _numbers(response):
    assert response.status_code == 200, response.json()
    return [c["number"] for c in response.json()["results"]]


def _draft_body(customer, **overrides):
    body = {
        "customer": customer.pk,
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "lines": [
            {"description": "Seats", "quantity": "10", "unit_price": "120.50"},
            {"description": "Support", "unit_price": "999.99"},
        ],
    }
    body.update(overrides)
    return body


# Plans


def test_it_lists_plans_with_their_dated_prices(client_for):
    plan = PlanFactory(code="PRO", price=Decimal("100.00"))
    PlanPrice.objects.create(plan=plan, price=Decimal("120.00"), effective_from=dt.date(2027, 1, 1))

    body = client_for.get("/api/v1/plans/").json()

    assert body["results"][0]["code"] == "PRO"
    assert body["results"][0]["price"] == "100.00"
    assert body["results"][0]["prices"] == [{"price": "120.00", "effective_from": "2027-01-01"}]


def test_it_gets_a_plan_and_filters_by_active(client_for):
    PlanFactory(code="OLD", is_active=False)
    live = PlanFactory(code="LIVE")

    assert client_for.get(f"/api/v1/plans/{live.pk}/").json()["code"] == "LIVE"
    codes = [
        p["code"] for p in client_for.get("/api/v1/plans/", {"is_active": "true"}).json()["results"]
    ]
    assert codes == ["LIVE"]


def test_plans_are_read_only(client_for):
    response = client_for.post("/api/v1/plans/", {"code": "X"}, format="json")

    assert response.status_code == 405


# Contracts: reading


def test_a_managers_token_sees_only_contracts_of_their_customers(
    client_for, manager, other_manager
):
    mine = ContractFactory(customer=CustomerFactory(account_manager=manager))
    theirs = ContractFactory(customer=CustomerFactory(account_manager=other_manager))

    assert _numbers(client_for.get(URL)) == [mine.number]
    assert client_for.get(f"{URL}{theirs.pk}/").status_code == 404


def test_it_returns_a_contract_with_lines_and_links(client_for, manager):
    plan = PlanFactory(code="STD")
    old = ContractFactory(customer=CustomerFactory(account_manager=manager), status=S.RENEWED)
    new = ContractFactory(customer=old.customer, predecessor=old, plan=plan)

    body = client_for.get(f"{URL}{old.pk}/").json()
    assert body["status"] == "renewed"
    assert body["successor"] == new.number
    assert body["customer_code"] == old.customer.code
    assert body["lines"][0]["amount"] == "12000.00"
    body = client_for.get(f"{URL}{new.pk}/").json()
    assert (body["predecessor"], body["plan"], body["owner"]) == (old.number, "STD", "alice")


def test_it_filters_contracts(make_client, team_lead, manager, other_manager):
    client = make_client(team_lead, "read")
    a = ContractFactory(
        customer=CustomerFactory(account_manager=manager, code="CA"),
        status=S.ACTIVE,
        end_date=dt.date(2027, 3, 31),
    )
    b = ContractFactory(
        customer=CustomerFactory(account_manager=other_manager, code="CB"),
        status=S.DRAFT,
        end_date=dt.date(2027, 9, 30),
    )
    c = ContractFactory(customer=a.customer, status=S.EXPIRED, end_date=dt.date(2026, 1, 31))

    assert _numbers(client.get(URL, {"status": "active"})) == [a.number]
    assert set(_numbers(client.get(URL, {"status": ["active", "draft"]}))) == {a.number, b.number}
    assert _numbers(client.get(URL, {"ending_before": "2027-04-01"})) == [c.number, a.number]
    assert _numbers(client.get(URL, {"ending_after": "2027-04-01"})) == [b.number]
    assert _numbers(client.get(URL, {"customer": b.customer_id})) == [b.number]
    assert _numbers(client.get(URL, {"customer_code": "CA", "ordering": "-end_date"})) == [
        a.number,
        c.number,
    ]
    assert _numbers(client.get(URL, {"manager": "bob"})) == [b.number]
    assert _numbers(client.get(URL, {"updated_since": "2099-01-01T00:00:00Z"})) == []


def test_it_rejects_an_unknown_status_filter(client_for):
    response = client_for.get(URL, {"status": "lost"})

    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


# Contracts: drafts


def test_it_creates_a_draft_through_the_service(client_for, manager):
    customer = CustomerFactory(account_manager=manager)
    terms = TermsVersionFactory(version="2027.1")
    plan = PlanFactory(code="STD", default_notice_days=45)

    response = client_for.post(
        URL, _draft_body(customer, plan="STD", terms_version="2027.1"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["number"].startswith("HT-2027-")
    assert body["total_amount"] == "2204.99"
    assert body["notice_period_days"] == 45
    contract = Contract.objects.get(number=body["number"])
    assert (contract.plan, contract.terms_version, contract.owner) == (plan, terms, manager)
    assert contract.events.get().kind == "created"


def test_it_refuses_a_draft_for_a_customer_the_caller_cannot_see(client_for, other_manager):
    theirs = CustomerFactory(account_manager=other_manager)

    response = client_for.post(URL, _draft_body(theirs), format="json")

    assert response.status_code == 400
    assert "customer" in response.json()["error"]["fields"]
    assert not Contract.objects.exists()


def test_it_refuses_a_draft_ending_before_it_starts(client_for, manager):
    customer = CustomerFactory(account_manager=manager)

    response = client_for.post(
        URL, _draft_body(customer, start_date="2027-05-01", end_date="2027-04-01"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "domain_error"


def test_it_refuses_a_draft_without_lines_or_with_bad_numbers(client_for, manager):
    customer = CustomerFactory(account_manager=manager)

    response = client_for.post(URL, _draft_body(customer, lines=[]), format="json")
    assert response.status_code == 400
    assert "lines" in response.json()["error"]["fields"]

    bad_line = {"description": "x", "quantity": "0", "unit_price": "-1"}
    response = client_for.post(URL, _draft_body(customer, lines=[bad_line]), format="json")
    assert response.status_code == 400
    line_errors = response.json()["error"]["fields"]["lines"]["0"]  # keyed by line index
    assert {"quantity", "unit_price"} <= set(line_errors)


def test_it_refuses_a_total_that_would_overflow(client_for, manager):
    customer = CustomerFactory(account_manager=manager)
    huge = {"description": "x", "quantity": "99999999.99", "unit_price": "9999999999.99"}

    response = client_for.post(URL, _draft_body(customer, lines=[huge]), format="json")

    assert response.status_code == 400
    assert "lines" in response.json()["error"]["fields"]


def test_it_updates_a_draft_replacing_its_lines(client_for, manager):
    customer = CustomerFactory(account_manager=manager)
    number = client_for.post(URL, _draft_body(customer), format="json").json()["number"]
    contract = Contract.objects.get(number=number)

    response = client_for.patch(
        f"{URL}{contract.pk}/",
        {"end_date": "2027-06-30", "lines": [{"description": "Seats", "unit_price": "500"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["end_date"], body["total_amount"]) == ("2027-06-30", "500.00")
    assert [line["description"] for line in body["lines"]] == ["Seats"]
    assert contract.events.filter(kind="updated").exists()


def test_it_refuses_to_update_a_contract_past_draft_with_409(client_for, manager):
    customer = CustomerFactory(account_manager=manager)
    number = client_for.post(URL, _draft_body(customer), format="json").json()["number"]
    contract = Contract.objects.get(number=number)
    services.contract_send_for_signature(contract=contract, by=manager)

    response = client_for.patch(f"{URL}{contract.pk}/", {"end_date": "2027-06-30"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_a_manager_cannot_give_a_draft_to_another_manager(client_for, manager, other_manager):
    customer = CustomerFactory(account_manager=manager)

    response = client_for.post(URL, _draft_body(customer, owner="bob"), format="json")

    assert response.status_code == 400
    assert "owner" in response.json()["error"]["fields"]


def test_it_refuses_a_body_that_is_not_json(client_for):
    response = client_for.post(URL, "customer=1", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_it_refuses_malformed_json(client_for):
    response = client_for.post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
