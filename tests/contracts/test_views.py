from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from contracts.models import AutoRenewConsent, Contract, ContractEvent, ContractStatus
from contracts.services import contract_void
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PlanFactory,
    PortalAccountFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, permissions and the navbar (notification bell) take ~5 queries; the page
# itself 3-5. The same bound holds at 10 and at 200 rows: no query per row.
MAX_QUERIES = 12

TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def book(manager):
    """Alice's customer with one contract ending in 10 days and one in 100 days."""
    customer = CustomerFactory(account_manager=manager, name="Alpha Ltd")
    soon = ContractFactory(
        customer=customer, number="HT-2026-000001", end_date=TODAY + dt.timedelta(days=10)
    )
    later = ContractFactory(
        customer=customer,
        number="HT-2026-000002",
        end_date=TODAY + dt.timedelta(days=100),
        annual_value=Decimal("50000.00"),
    )
    return customer, soon, later


def numbers(response) -> list[str]:
    return [c.number for c in response.context["page_obj"].object_list]


# --- access ---------------------------------------------------------------------------


def test_it_shows_a_manager_only_their_own_contracts(client, manager, book):
    ContractFactory(number="HT-OTHER-1")
    client.force_login(manager)
    response = client.get(reverse("contracts:list"))
    assert sorted(numbers(response)) == ["HT-2026-000001", "HT-2026-000002"]


def test_it_returns_404_for_another_managers_contract(client, manager):
    theirs = ContractFactory()
    client.force_login(manager)
    assert client.get(reverse("contracts:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("contracts:edit", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("contracts:void", args=[theirs.pk]), {"reason": "x"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ContractStatus.ACTIVE


def test_it_shows_a_team_lead_every_book_and_filters_by_manager(client, team_lead, manager, book):
    other = ContractFactory(number="HT-OTHER-1")
    client.force_login(team_lead)
    assert len(numbers(client.get(reverse("contracts:list")))) == 3
    response = client.get(reverse("contracts:list"), {"manager": other.customer.account_manager.pk})
    assert numbers(response) == ["HT-OTHER-1"]
    assert client.get(reverse("contracts:detail", args=[other.pk])).status_code == 200


def test_it_ignores_the_manager_filter_for_a_plain_manager(client, manager, book):
    other = ContractFactory(number="HT-OTHER-1")
    client.force_login(manager)
    response = client.get(reverse("contracts:list"), {"manager": other.customer.account_manager.pk})
    assert "HT-OTHER-1" not in numbers(response)


def test_it_keeps_portal_users_out_of_the_staff_contract_pages(client, book):
    account = PortalAccountFactory(customer=book[0])
    client.force_login(account.user)
    assert client.get(reverse("contracts:list")).status_code == 403
    assert client.get(reverse("contracts:detail", args=[book[1].pk])).status_code == 403


def test_it_sends_anonymous_visitors_to_the_login(client, book):
    response = client.get(reverse("contracts:detail", args=[book[1].pk]))
    assert response.status_code == 302
    assert reverse("staff-login") in response["Location"]


# --- list filters and sorting ---------------------------------------------------------


def test_it_filters_active_contracts_ending_within_n_days(client, manager, book):
    customer = book[0]
    ContractFactory(
        customer=customer,
        number="HT-DRAFT",
        status=ContractStatus.DRAFT,
        end_date=TODAY + dt.timedelta(days=5),
    )
    ContractFactory(
        customer=customer,
        number="HT-PAST",
        status=ContractStatus.ACTIVE,
        end_date=TODAY - dt.timedelta(days=1),
    )
    client.force_login(manager)
    response = client.get(reverse("contracts:list"), {"ending_within": 30})
    assert numbers(response) == ["HT-2026-000001"]


def test_it_combines_ending_within_with_an_explicit_status(client, manager, book):
    ContractFactory(
        customer=book[0],
        number="HT-DRAFT",
        status=ContractStatus.DRAFT,
        end_date=TODAY + dt.timedelta(days=5),
    )
    client.force_login(manager)
    response = client.get(reverse("contracts:list"), {"ending_within": 30, "status": "draft"})
    assert numbers(response) == ["HT-DRAFT"]


def test_it_filters_by_status_plan_customer_and_search(client, manager, book):
    plan = PlanFactory(name="Cloud Pro")
    other_customer = CustomerFactory(account_manager=manager, name="Beta Corp")
    ContractFactory(customer=other_customer, number="HT-BETA", plan=plan)
    client.force_login(manager)
    assert numbers(client.get(reverse("contracts:list"), {"plan": plan.pk})) == ["HT-BETA"]
    assert numbers(client.get(reverse("contracts:list"), {"q": "beta"})) == ["HT-BETA"]
    assert numbers(client.get(reverse("contracts:list"), {"q": "000002"})) == ["HT-2026-000002"]
    by_customer = client.get(reverse("contracts:list"), {"customer": other_customer.pk})
    assert numbers(by_customer) == ["HT-BETA"]
    assert numbers(client.get(reverse("contracts:list"), {"status": "draft"})) == []


def test_it_sorts_by_end_date_value_and_number(client, manager, book):
    client.force_login(manager)
    url = reverse("contracts:list")
    assert numbers(client.get(url)) == ["HT-2026-000001", "HT-2026-000002"]
    assert numbers(client.get(url, {"sort": "-end_date"})) == ["HT-2026-000002", "HT-2026-000001"]
    assert numbers(client.get(url, {"sort": "-value"})) == ["HT-2026-000002", "HT-2026-000001"]
    assert numbers(client.get(url, {"sort": "-number"})) == ["HT-2026-000002", "HT-2026-000001"]


def test_it_shows_days_to_end_and_value(client, manager, book):
    client.force_login(manager)
    html = client.get(reverse("contracts:list")).content.decode()
    assert ">10<" in html
    assert "50,000.00" in html


def test_it_answers_bad_filter_values_without_an_error(client, manager, book):
    client.force_login(manager)
    response = client.get(
        reverse("contracts:list"),
        {"ending_within": "soon", "status": "nonsense", "plan": "x", "sort": "DROP", "page": "z"},
    )
    assert response.status_code == 200
    assert len(numbers(response)) == 2


def test_it_keeps_the_valid_filters_when_another_is_invalid(client, manager, book):
    client.force_login(manager)
    response = client.get(reverse("contracts:list"), {"ending_within": "soon", "q": "000002"})
    assert numbers(response) == ["HT-2026-000002"]
    assert "Enter a whole number." in response.content.decode()


def test_it_paginates_25_per_page(client, manager):
    customer = CustomerFactory(account_manager=manager)
    for _ in range(30):
        ContractFactory(customer=customer)
    client.force_login(manager)
    assert len(numbers(client.get(reverse("contracts:list")))) == 25
    assert len(numbers(client.get(reverse("contracts:list"), {"page": 2}))) == 5


@pytest.mark.parametrize("rows", [10, 200])
def test_it_lists_contracts_in_a_constant_number_of_queries(
    client, team_lead, django_assert_max_num_queries, rows
):
    plan = PlanFactory()
    for i in range(rows):
        ContractFactory(plan=plan if i % 2 else None)
    client.force_login(team_lead)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("contracts:list"), {"ending_within": 90})
    assert response.status_code == 200
    assert len(numbers(response)) == min(rows, 25)


# --- detail and timeline --------------------------------------------------------------


def test_it_shows_the_timeline_of_every_event(client, manager):
    customer = CustomerFactory(account_manager=manager)
    contract = ContractFactory(customer=customer, status=ContractStatus.DRAFT)
    contract_void(contract=contract, by=manager, reason="Customer went elsewhere")
    client.force_login(manager)
    response = client.get(reverse("contracts:detail", args=[contract.pk]))
    html = response.content.decode()
    assert 'id="timeline"' in html
    assert "Voided" in html
    assert "Draft → Void" in html
    assert "Customer went elsewhere" in html
    assert str(manager) in html


# --- draft create and edit ------------------------------------------------------------


def _draft_post(customer_code: str, **overrides) -> dict:
    data = {
        "customer": customer_code,
        "plan": "",
        "start_date": "2026-07-01",
        "end_date": "2027-06-30",
        "billing_period": "annual",
        "currency": "cny",
        "terms_version": "",
        "notice_period_days": "30",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-description": "Support",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "1500.00",
        "lines-1-description": "Hosting",
        "lines-1-quantity": "1",
        "lines-1-unit_price": "3000",
        "lines-2-description": "",
        "lines-2-quantity": "1",
        "lines-2-unit_price": "",
    }
    data.update(overrides)
    return data


def test_it_creates_a_draft_with_lines(client, manager):
    customer = CustomerFactory(account_manager=manager, code="C77777")
    client.force_login(manager)
    response = client.post(reverse("contracts:create"), _draft_post("C77777"))
    contract = Contract.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:detail", args=[contract.pk])
    assert contract.status == ContractStatus.DRAFT
    assert contract.total_amount == Decimal("6000.00")
    assert contract.currency == "CNY"
    assert contract.owner == manager
    assert [line.description for line in contract.lines.all()] == ["Support", "Hosting"]
    assert contract.events.get().kind == "created"


def test_it_prefills_the_customer_from_the_query_string(client, manager):
    customer = CustomerFactory(account_manager=manager, code="C55555")
    client.force_login(manager)
    response = client.get(reverse("contracts:create"), {"customer": customer.pk})
    assert response.status_code == 200
    assert 'value="C55555"' in response.content.decode()
    other = CustomerFactory()
    assert client.get(reverse("contracts:create"), {"customer": other.pk}).status_code == 404


def test_it_refuses_a_customer_outside_the_book_when_creating(client, manager):
    CustomerFactory(code="C99999")  # another manager's
    client.force_login(manager)
    response = client.post(reverse("contracts:create"), _draft_post("C99999"))
    assert response.status_code == 200
    assert "No customer with this code in your book." in response.content.decode()
    assert not Contract.objects.exists()


def test_it_shows_validation_errors_for_dates_and_lines(client, manager):
    CustomerFactory(account_manager=manager, code="C77777")
    client.force_login(manager)
    data = _draft_post(
        "C77777",
        end_date="2026-01-01",
        **{"lines-0-quantity": "0", "lines-1-description": "", "lines-1-unit_price": ""},
    )
    data["lines-1-quantity"] = "1"
    response = client.post(reverse("contracts:create"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "The end date must not be before the start date." in html
    assert "is-invalid" in html
    assert not Contract.objects.exists()


def test_it_requires_at_least_one_line(client, manager):
    CustomerFactory(account_manager=manager, code="C77777")
    client.force_login(manager)
    data = _draft_post(
        "C77777",
        **{
            "lines-0-description": "",
            "lines-0-unit_price": "",
            "lines-0-quantity": "1",
            "lines-1-description": "",
            "lines-1-unit_price": "",
            "lines-1-quantity": "1",
        },
    )
    response = client.post(reverse("contracts:create"), data)
    assert "A contract needs at least one line." in response.content.decode()


def test_it_edits_a_draft_and_replaces_its_lines(client, manager):
    customer = CustomerFactory(account_manager=manager, code="C77777")
    client.force_login(manager)
    client.post(reverse("contracts:create"), _draft_post("C77777"))
    contract = Contract.objects.get(customer=customer)
    data = _draft_post("C77777", **{"lines-INITIAL_FORMS": "2", "lines-1-DELETE": "on"})
    del data["customer"]
    response = client.post(reverse("contracts:edit", args=[contract.pk]), data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.total_amount == Decimal("3000.00")
    assert [e.kind for e in contract.events.all()] == ["created", "updated"]


def test_it_refuses_to_edit_a_contract_past_draft(client, manager, book):
    client.force_login(manager)
    response = client.get(reverse("contracts:edit", args=[book[1].pk]), follow=True)
    assert "Only a draft contract can be edited." in response.content.decode()


# --- actions --------------------------------------------------------------------------


def test_it_walks_a_draft_through_signature_and_payment(client, manager):
    customer = CustomerFactory(account_manager=manager)
    contract = ContractFactory(
        customer=customer,
        status=ContractStatus.DRAFT,
        start_date=TODAY - dt.timedelta(days=1),
        end_date=TODAY + dt.timedelta(days=364),
    )
    client.force_login(manager)
    client.post(reverse("contracts:send", args=[contract.pk]))
    client.post(reverse("contracts:sign", args=[contract.pk]), {"signed_on": "2026-06-14"})
    client.post(reverse("contracts:pay", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    assert contract.signed_at.date() == dt.date(2026, 6, 14)
    kinds = list(contract.events.values_list("kind", flat=True))
    assert kinds == ["sent_for_signature", "signed", "paid"]


def test_a_contract_billed_by_invoice_is_paid_on_its_invoice_not_by_the_bare_action(
    client, manager
):
    from billing.services import invoice_issue

    customer = CustomerFactory(account_manager=manager)
    contract = ContractFactory(customer=customer, status=ContractStatus.AWAITING_PAYMENT)
    invoice_issue(
        customer=customer, contract=contract, due_date=TODAY, amount=Decimal("100.00"), by=manager
    )
    client.force_login(manager)

    page = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert reverse("contracts:pay", args=[contract.pk]) not in page
    response = client.post(reverse("contracts:pay", args=[contract.pk]), follow=True)

    assert "record the payment on its invoice" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.AWAITING_PAYMENT


def test_it_shows_a_message_for_an_invalid_transition(client, manager, book):
    client.force_login(manager)
    response = client.post(reverse("contracts:pay", args=[book[1].pk]), follow=True)
    assert response.status_code == 200
    assert "cannot become" in response.content.decode()
    assert ContractEvent.objects.filter(contract=book[1]).count() == 0


def test_it_requires_a_reason_to_void(client, manager):
    customer = CustomerFactory(account_manager=manager)
    contract = ContractFactory(customer=customer, status=ContractStatus.DRAFT)
    client.force_login(manager)
    response = client.post(reverse("contracts:void", args=[contract.pk]), {}, follow=True)
    assert "This field is required." in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT


def test_it_refuses_actions_by_get(client, manager, book):
    client.force_login(manager)
    assert client.get(reverse("contracts:void", args=[book[1].pk])).status_code == 405


def test_it_switches_auto_renew_on_behalf_of_the_customer_with_consent(client, manager, book):
    client.force_login(manager)
    response = client.post(
        reverse("contracts:auto-renew", args=[book[1].pk]),
        {"enabled": "on", "text": "Agreed by phone", "confirmed": "on"},
    )
    assert response.status_code == 302
    consent = AutoRenewConsent.objects.get(contract=book[1])
    assert consent.enabled is True
    assert consent.channel == "staff"
    assert consent.text == "Agreed by phone"
    assert consent.actor == manager
    book[1].refresh_from_db()
    assert book[1].auto_renew is True


def test_it_requires_the_consent_confirmation(client, manager, book):
    client.force_login(manager)
    client.post(
        reverse("contracts:auto-renew", args=[book[1].pk]), {"enabled": "on", "text": "Agreed"}
    )
    assert not AutoRenewConsent.objects.exists()


def test_a_team_lead_can_act_on_any_contract(client, team_lead):
    other = ContractFactory(status=ContractStatus.DRAFT, owner=StaffFactory())
    client.force_login(team_lead)
    client.post(reverse("contracts:void", args=[other.pk]), {"reason": "Duplicate"})
    other.refresh_from_db()
    assert other.status == ContractStatus.VOID


def test_it_keeps_a_retired_plan_on_a_draft_being_edited(client, manager):
    plan = PlanFactory(is_active=True)
    customer = CustomerFactory(account_manager=manager, code="C77777")
    client.force_login(manager)
    client.post(reverse("contracts:create"), _draft_post("C77777", plan=plan.pk))
    contract = Contract.objects.get(customer=customer)
    plan.is_active = False
    plan.save()
    data = _draft_post("C77777", plan=plan.pk, **{"lines-INITIAL_FORMS": "2"})
    del data["customer"]
    response = client.post(reverse("contracts:edit", args=[contract.pk]), data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.plan == plan


def test_the_timeline_shows_event_details_in_words_and_hides_internal_ids(client, manager, book):
    from contracts.selectors import event_payload_display

    rows = event_payload_display(
        {"channel": "staff", "consent_id": 7, "previous": False, "automatic": True, "note": ""}
    )
    assert rows == [("automatic", "yes"), ("channel", "Staff on behalf of the customer")]
    client.force_login(manager)
    client.post(
        reverse("contracts:auto-renew", args=[book[1].pk]),
        {"enabled": "on", "text": "Agreed by phone", "confirmed": "on"},
    )
    html = client.get(reverse("contracts:detail", args=[book[1].pk])).content.decode()
    assert "Auto-renewal switched on" in html
    assert "consent id" not in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "total for the term: CNY 1,195.08"), ("zh-hans", "期限总额: CNY 1,195.08")],
)
def test_the_timeline_shows_amounts_in_the_contracts_currency_like_the_page(
    client, manager, language, expected
):
    contract = ContractFactory(
        customer=CustomerFactory(account_manager=manager),
        currency="CNY",
        total_amount=Decimal("1195.08"),
    )
    ContractEvent.objects.create(
        contract=contract, kind="created", payload={"total_amount": "1195.08"}
    )
    # A provider's reference that only looks like a number is left as it is.
    ContractEvent.objects.create(contract=contract, kind="refunded", payload={"refund": "4200001"})
    manager.language = language
    manager.save()
    client.force_login(manager)

    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()

    payloads = html.split('class="timeline-payload">')[1:]
    assert any(p.startswith(expected) for p in payloads), payloads
    assert ": 1195.08" not in html
    assert any("4200001" in p and "4,200,001" not in p for p in payloads)
