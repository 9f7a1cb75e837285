from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import ContractStatus
from retention import services
from retention.models import CancellationRequest, RetentionOffer, Status
from tests.factories import ContractFactory, CustomerFactory, PortalAccountFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal_client(client, portal_user):
    client.force_login(portal_user)
    return client


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def start_url(contract):
    return reverse("portal:cancellation-start", args=[contract.pk])


def form_data(**kw):
    data = {"kind": "early_termination", "reason": "budget", "reason_text": "", "token": "t-1"}
    data.update(kw)
    return data


def review_url(contract):
    return reverse("portal:cancellation-review", args=[contract.pk])


def portal_cancel(client, contract, **kw):
    """The whole portal flow without an offer: the form, then the final confirmation."""
    client.post(start_url(contract), form_data(**kw))
    return client.post(review_url(contract), {"token": form_data(**kw)["token"]})


# --- portal ------------------------------------------------------------------------------------


def test_the_cancel_page_previews_both_ways_before_anything_is_submitted(
    portal_client, contract, today
):
    response = portal_client.get(start_url(contract))
    assert response.status_code == 200
    html = response.content.decode()
    # Non-renewal: effective the day after the term; early termination: today + 30 days.
    assert "1 Jan 2027" in html
    assert "9 Apr 2026" in html
    assert "CNY 1,755.62" in html  # the fee
    assert "What happens to the service" in html
    assert not CancellationRequest.objects.exists()  # GET changes nothing


def test_the_contract_page_links_to_the_cancel_flow(portal_client, contract, today):
    html = portal_client.get(reverse("portal:contract-detail", args=[contract.pk])).content
    assert start_url(contract).encode() in html
    assert b"Cancel / turn off auto-renew" in html


def test_submitting_creates_the_request_and_shows_its_progress(portal_client, contract, today):
    response = portal_cancel(portal_client, contract, reason_text="Budget cut")
    req = CancellationRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:cancellation-detail", args=[req.pk])
    page = portal_client.get(response["Location"]).content.decode()
    assert "In review" in page
    assert "Request submitted" in page
    assert "Withdraw my request" in page


def test_the_same_form_posted_twice_makes_one_request(portal_client, contract, today):
    portal_client.post(start_url(contract), form_data())
    first = portal_client.post(review_url(contract), {"token": "t-1"})
    second = portal_client.post(review_url(contract), {"token": "t-1"})
    assert CancellationRequest.objects.count() == 1
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]


def test_invalid_input_gets_a_message_not_an_error(portal_client, contract, today):
    response = portal_client.post(start_url(contract), form_data(kind="nonsense", reason=""))
    assert response.status_code == 200
    assert b"is-invalid" in response.content or b"invalid-feedback" in response.content
    assert not CancellationRequest.objects.exists()


def test_a_customer_cannot_cancel_someone_elses_contract(portal_client, today):
    other = ContractFactory(customer=CustomerFactory())
    assert portal_client.get(start_url(other)).status_code == 404
    assert portal_client.post(start_url(other), form_data()).status_code == 404
    req = services.cancellation_submit(
        contract=other, kind="early_termination", reason="price", by=None
    )
    url = reverse("portal:cancellation-detail", args=[req.pk])
    assert portal_client.get(url).status_code == 404
    withdraw = reverse("portal:cancellation-withdraw", args=[req.pk])
    assert portal_client.post(withdraw).status_code == 404
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_the_offer_and_continue_to_cancel_are_on_the_same_screen(portal_client, contract, today):
    RetentionOffer.objects.create(
        code="FREE2", title="Two months free", kind="free_months", months=2, reasons=["budget"]
    )
    response = portal_client.post(start_url(contract), form_data(), follow=True)
    html = response.content.decode()
    assert "Two months free" in html
    assert "Accept the offer and keep my contract" in html
    assert "No thanks, continue to cancel" in html
    assert not CancellationRequest.objects.exists()  # nothing sent yet


def test_declining_the_offer_goes_on_and_accepting_keeps_the_contract(
    portal_client, contract, customer, today
):
    offer = RetentionOffer.objects.create(
        code="FREE2", title="Two months free", kind="free_months", months=2, reasons=[]
    )
    offer_url = reverse("portal:cancellation-offer", args=[contract.pk])
    portal_client.post(start_url(contract), form_data())
    portal_client.get(offer_url)
    portal_client.post(offer_url, {"answer": "decline", "offer": offer.pk})
    portal_client.post(review_url(contract), {"token": "t-1"})
    req = CancellationRequest.objects.get()
    assert req.status == Status.IN_REVIEW
    assert req.offer == offer
    assert req.offer_response == "declined"

    second = ContractFactory(
        customer=customer, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31)
    )
    second_offer_url = reverse("portal:cancellation-offer", args=[second.pk])
    portal_client.post(start_url(second), form_data(token="t-2"))
    portal_client.get(second_offer_url)
    portal_client.post(second_offer_url, {"answer": "accept", "offer": offer.pk})
    req2 = CancellationRequest.objects.get(contract=second)
    second.refresh_from_db()
    assert req2.status == Status.RETAINED
    assert second.end_date == dt.date(2027, 2, 28)


def test_withdrawing_from_the_progress_page(portal_client, contract, today):
    portal_cancel(portal_client, contract)
    req = CancellationRequest.objects.get()
    response = portal_client.post(
        reverse("portal:cancellation-withdraw", args=[req.pk]), follow=True
    )
    req.refresh_from_db()
    assert req.status == Status.WITHDRAWN
    assert b"withdrawn" in response.content
    # A second click: no error, still withdrawn.
    portal_client.post(reverse("portal:cancellation-withdraw", args=[req.pk]))
    req.refresh_from_db()
    assert req.status == Status.WITHDRAWN


def test_get_on_an_action_url_changes_nothing(portal_client, contract, today):
    portal_cancel(portal_client, contract)
    req = CancellationRequest.objects.get()
    response = portal_client.get(reverse("portal:cancellation-withdraw", args=[req.pk]))
    assert response.status_code == 405
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_the_portal_speaks_chinese(portal_client, contract, today):
    portal_client.cookies["django_language"] = "zh-hans"
    html = portal_client.get(start_url(contract)).content.decode()
    assert "生效日期" in html
    assert "下一步" in html


# --- staff -------------------------------------------------------------------------------------


def test_the_queue_is_at_the_nav_url_and_highlights_overdue_requests(
    staff_client, contract, portal_user, today, time_machine
):
    assert reverse("retention:queue") == "/staff/cancellations/"
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    html = staff_client.get(reverse("retention:queue")).content.decode()
    assert contract.number in html
    assert "cancellation-overdue" not in html

    time_machine.move_to(dt.datetime(2026, 3, 13, 2, 0, tzinfo=dt.UTC))
    html = staff_client.get(reverse("retention:queue")).content.decode()
    assert f'class="table-danger cancellation-overdue" data-request="{req.pk}"' in html


def test_a_manager_only_sees_requests_of_their_own_book(client, contract, portal_user, today):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    other_manager = StaffFactory()
    client.force_login(other_manager)
    assert contract.number not in client.get(reverse("retention:queue")).content.decode()
    assert client.get(reverse("retention:detail", args=[req.pk])).status_code == 404
    assert client.post(reverse("retention:confirm", args=[req.pk]), {}).status_code == 404


def test_the_request_page_shows_the_numbers_history_and_actions(
    staff_client, contract, portal_user, today
):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    html = staff_client.get(reverse("retention:detail", args=[req.pk])).content.decode()
    assert "CNY 1,755.62" in html
    assert "Customer history and risk" in html
    assert "Confirm with this effective date" in html
    assert "Log contact" in html
    assert "Reject as invalid" not in html  # a valid request cannot be rejected


def test_staff_confirm_with_an_effective_date(staff_client, contract, portal_user, today):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    response = staff_client.post(
        reverse("retention:confirm", args=[req.pk]),
        {"effective_date": "2026-07-01", "confirmed": "yes"},
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == Status.CONFIRMED
    assert req.effective_date == dt.date(2026, 7, 1)


def test_staff_confirm_with_a_too_early_date_gets_a_message(
    staff_client, contract, portal_user, today
):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    response = staff_client.post(
        reverse("retention:confirm", args=[req.pk]),
        {"effective_date": "2026-03-11", "confirmed": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Choose a date between 2026-04-09 and 2026-12-31" in response.content
    response = staff_client.post(
        reverse("retention:confirm", args=[req.pk]),
        {"effective_date": "not a date", "confirmed": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_staff_log_a_contact_and_make_an_offer(staff_client, contract, portal_user, today):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="other", by=portal_user
    )
    offer = RetentionOffer.objects.create(
        code="PAUSE", title="Pause 2 months", kind="pause", months=2, reasons=["price"]
    )
    staff_client.post(
        reverse("retention:contact-add", args=[req.pk]),
        {"channel": "phone", "summary": "Called; open to a pause"},
    )
    staff_client.post(reverse("retention:offer", args=[req.pk]), {"offer": offer.pk})
    req.refresh_from_db()
    assert req.offer == offer
    assert req.contacts.count() == 1
    html = staff_client.get(reverse("retention:detail", args=[req.pk])).content.decode()
    assert "Offer waiting for the customer" in html
    staff_client.post(reverse("retention:offer-accept", args=[req.pk]))
    req.refresh_from_db()
    assert req.status == Status.RETAINED


def test_staff_reject_an_invalid_request(staff_client, contract, portal_user, today):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="other", by=portal_user
    )
    type(contract).objects.filter(pk=contract.pk).update(status=ContractStatus.TERMINATED)
    html = staff_client.get(reverse("retention:detail", args=[req.pk])).content.decode()
    assert "Reject as invalid" in html
    staff_client.post(reverse("retention:reject", args=[req.pk]), {"note": "Already ended"})
    req.refresh_from_db()
    assert req.status == Status.REJECTED


def test_the_offers_page_shows_statistics(staff_client, contract, portal_user, today):
    RetentionOffer.objects.create(
        code="FREE1", title="A free month", kind="free_months", months=1, reasons=[]
    )
    req = services.cancellation_submit(
        contract=contract, kind="non_renewal", reason="price", by=portal_user
    )
    services.cancellation_offer_accept(request=req, by=portal_user)
    html = staff_client.get(reverse("retention:offers")).content.decode()
    assert "A free month" in html
    assert "100.0 %" in html
    assert "11,000.00" in html


def test_the_winback_list_offers_a_new_contract(staff_client, manager, today):
    gone = CustomerFactory(account_manager=manager, name="Gone Ltd")
    ended = ContractFactory(
        customer=gone,
        status=ContractStatus.TERMINATED,
        start_date=dt.date(2025, 6, 1),
        end_date=dt.date(2026, 5, 31),
        annual_value=Decimal("8000"),
    )
    html = staff_client.get(reverse("retention:winback")).content.decode()
    assert "Gone Ltd" in html
    response = staff_client.post(reverse("retention:winback-offer", args=[ended.pk]))
    assert response.status_code == 302
    from contracts.models import Contract

    new = Contract.objects.get(customer=gone, status=ContractStatus.DRAFT)
    assert response["Location"] == reverse("contracts:detail", args=[new.pk])


def test_portal_users_cannot_open_the_staff_queue(client, portal_user):
    client.force_login(portal_user)
    assert client.get(reverse("retention:queue")).status_code == 403


def test_the_admin_catalogue_lists_offers_with_statistics(admin_client, today):
    RetentionOffer.objects.create(
        code="X", title="X offer", kind="discount", discount_percent=Decimal("10")
    )
    response = admin_client.get(reverse("admin:retention_retentionoffer_changelist"))
    assert response.status_code == 200
    assert b"X offer" in response.content
    add = admin_client.post(
        reverse("admin:retention_retentionoffer_add"),
        {
            "code": "BAD",
            "title": "Discount without a percentage",
            "kind": "discount",
            "discount_percent": "0",
            "terms_count": "1",
            "months": "0",
            "installments": "0",
            "priority": "100",
            "is_active": "on",
        },
    )
    assert add.status_code == 200
    assert not RetentionOffer.objects.filter(code="BAD").exists()


def test_a_portal_user_of_another_customer_cannot_accept_an_offer(client, contract, today):
    RetentionOffer.objects.create(code="F", title="F", kind="free_months", months=1)
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=None
    )
    stranger = PortalAccountFactory(customer=CustomerFactory()).user
    client.force_login(stranger)
    url = reverse("portal:cancellation-accept-offer", args=[req.pk])
    assert client.post(url).status_code == 404
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED


def test_the_contract_history_shows_the_cancellation_but_not_staff_notes(
    portal_client, contract, manager, today
):
    portal_cancel(portal_client, contract)
    req = CancellationRequest.objects.get()
    services.contact_log_add(request=req, by=manager, channel="phone", summary="Internal note")
    html = portal_client.get(reverse("portal:contract-detail", args=[contract.pk])).content
    assert b"Cancellation requested" in html
    assert b"Contact about the cancellation" not in html
    assert b"See progress" in html


def test_the_staff_contract_timeline_labels_cancellation_events(
    staff_client, contract, portal_user, today
):
    services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    html = staff_client.get(reverse("contracts:detail", args=[contract.pk])).content
    assert b"Cancellation requested" in html


def test_an_offer_waiting_for_an_answer_is_a_pending_action_on_the_dashboard(
    portal_client, contract, today
):
    # A request recorded by staff (by phone) waits for the customer's answer to its offer.
    RetentionOffer.objects.create(code="F", title="Free month", kind="free_months", months=1)
    services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=None, channel="staff"
    )
    html = portal_client.get(reverse("portal:home")).content.decode()
    assert "An offer is waiting for your answer" in html


def test_staff_record_a_request_received_by_phone(staff_client, contract, today):
    url = reverse("retention:new")
    page = staff_client.get(url, {"number": contract.number.lower()})
    assert page.status_code == 200
    assert "CNY 1,755.62" in page.content.decode()
    response = staff_client.post(
        url,
        {
            "number": contract.number,
            "kind": "early_termination",
            "reason": "competitor",
            "reason_text": "Called in",
            "token": "staff-1",
        },
    )
    req = CancellationRequest.objects.get()
    assert response["Location"] == reverse("retention:detail", args=[req.pk])
    assert req.channel == "staff"
    assert req.status == Status.IN_REVIEW


def test_staff_cannot_record_a_request_outside_their_book(client, contract, today):
    client.force_login(StaffFactory())
    response = client.get(reverse("retention:new"), {"number": contract.number})
    assert response.status_code == 302
    assert not CancellationRequest.objects.exists()


def test_request_states_are_translated_as_states_not_times(portal_client, contract, today):
    portal_cancel(portal_client, contract)
    req = CancellationRequest.objects.get()
    portal_client.cookies["django_language"] = "zh-hans"
    html = portal_client.get(reverse("portal:cancellation-detail", args=[req.pk])).content
    assert "审核中".encode() in html
    assert "撤回申请".encode() in html


def test_an_admin_creates_a_targeted_offer(admin_client, today):
    response = admin_client.post(
        reverse("admin:retention_retentionoffer_add"),
        {
            "code": "Q2",
            "title": "Quality fix: 2 months free",
            "description": "",
            "kind": "free_months",
            "discount_percent": "0",
            "terms_count": "1",
            "months": "2",
            "installments": "0",
            "reasons": ["service_quality", "low_usage"],
            "tiers": ["A"],
            "valid_until": "2026-12-31",
            "priority": "10",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    offer = RetentionOffer.objects.get(code="Q2")
    assert offer.reasons == ["service_quality", "low_usage"]
    assert offer.tiers == ["A"]
    assert offer.targets(reason="low_usage", tier="A")
    assert not offer.targets(reason="price", tier="A")


# --- staff: confirming asks first, and a one-day range is no choice ---------------------------


def test_the_confirm_form_leads_to_a_page_that_asks_before_anything_changes(
    staff_client, contract, portal_user, today
):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    confirm_url = reverse("retention:confirm", args=[req.pk])
    detail = staff_client.get(reverse("retention:detail", args=[req.pk])).content.decode()
    assert f'<form method="get" action="{confirm_url}"' in detail
    assert 'min="2026-04-09" max="2026-12-31"' in detail

    page = staff_client.get(confirm_url, {"effective_date": "2026-07-01"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Yes, confirm with 1 Jul 2026" in html
    assert "30 Jun 2026" in html  # last day of service
    assert 'name="confirmed" value="yes"' in html
    # Without the second step's answer, a POST only asks too.
    staff_client.post(confirm_url, {"effective_date": "2026-07-01"})
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW

    staff_client.post(confirm_url, {"effective_date": "2026-07-01", "confirmed": "yes"})
    req.refresh_from_db()
    assert req.status == Status.CONFIRMED
    assert req.effective_date == dt.date(2026, 7, 1)


@pytest.mark.parametrize("day", ["2026-03-11", "2027-01-01", "9999-12-31", "x"])
def test_a_date_outside_the_range_gets_a_message_on_either_step(
    staff_client, contract, portal_user, today, day
):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    confirm_url = reverse("retention:confirm", args=[req.pk])
    for response in (
        staff_client.get(confirm_url, {"effective_date": day}, follow=True),
        staff_client.post(confirm_url, {"effective_date": day, "confirmed": "yes"}, follow=True),
    ):
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == reverse("retention:detail", args=[req.pk])
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_a_one_day_range_shows_the_date_as_text_not_a_date_input(
    staff_client, customer, portal_user, today
):
    # Notice runs to the term's last day: the only effective date is 2026-04-09.
    short = ContractFactory(
        customer=customer,
        start_date=dt.date(2025, 4, 9),
        end_date=dt.date(2026, 4, 9),
        notice_period_days=30,
    )
    req = services.cancellation_submit(
        contract=short, kind="early_termination", reason="price", by=portal_user
    )
    html = staff_client.get(reverse("retention:detail", args=[req.pk])).content.decode()
    assert 'type="date"' not in html
    assert '<input type="hidden" name="effective_date" value="2026-04-09"' in html
    assert "The only date allowed for this request." in html
    staff_client.post(
        reverse("retention:confirm", args=[req.pk]),
        {"effective_date": "2026-04-09", "confirmed": "yes"},
    )
    req.refresh_from_db()
    assert req.status == Status.CONFIRMED


def test_a_non_renewal_waiting_for_its_offer_has_one_date_shown_as_text(
    staff_client, contract, today
):
    RetentionOffer.objects.create(code="F", title="Free month", kind="free_months", months=1)
    req = services.cancellation_submit(
        contract=contract, kind="non_renewal", reason="price", by=None, channel="staff"
    )
    assert req.status == Status.SUBMITTED
    html = staff_client.get(reverse("retention:detail", args=[req.pk])).content.decode()
    assert 'type="date"' not in html
    assert '<input type="hidden" name="effective_date" value="2027-01-01"' in html
    page = staff_client.get(
        reverse("retention:confirm", args=[req.pk]), {"effective_date": "2027-01-01"}
    )
    assert "confirming records it as declined" in page.content.decode()


def test_the_staff_pages_say_a_renewal_in_progress_is_withdrawn(
    staff_client, contract, portal_user, today
):
    ContractFactory(
        customer=contract.customer,
        predecessor=contract,
        number="HT-2027-000888",
        status=ContractStatus.AWAITING_SIGNATURE,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
    )
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    detail = staff_client.get(reverse("retention:detail", args=[req.pk])).content.decode()
    page = staff_client.get(
        reverse("retention:confirm", args=[req.pk]), {"effective_date": "2026-07-01"}
    ).content.decode()
    for html in (detail, page):
        assert "HT-2027-000888" in html
        assert "Confirming withdraws it" in html


def test_the_confirm_page_speaks_chinese(staff_client, contract, portal_user, today):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    staff_client.cookies["django_language"] = "zh-hans"
    html = staff_client.get(
        reverse("retention:confirm", args=[req.pk]), {"effective_date": "2026-07-01"}
    ).content.decode()
    assert "是，按 2026年7月1日 确认" in html
    assert "否，返回" in html


@pytest.mark.parametrize("posted", ["999999", "abc", ""])
def test_staff_making_an_unknown_offer_get_a_message_not_an_error(
    staff_client, contract, portal_user, today, posted
):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    response = staff_client.post(
        reverse("retention:offer", args=[req.pk]), {"offer": posted}, follow=True
    )
    assert response.status_code == 200
    req.refresh_from_db()
    assert req.offer is None


def test_staff_cannot_open_the_confirm_page_of_a_request_outside_their_book(
    client, contract, portal_user, today
):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=portal_user
    )
    client.force_login(StaffFactory())
    confirm_url = reverse("retention:confirm", args=[req.pk])
    assert client.get(confirm_url, {"effective_date": "2026-07-01"}).status_code == 404
    assert (
        client.post(confirm_url, {"effective_date": "2026-07-01", "confirmed": "yes"}).status_code
        == 404
    )
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_an_empty_offer_catalogue_is_explained_not_an_empty_select(
    staff_client, contract, portal_user, today
):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="other", by=portal_user
    )

    html = staff_client.get(reverse("retention:detail", args=[req.pk])).content.decode()

    assert "No retention offer is valid today" in html
    assert reverse("retention:offer", args=[req.pk]) not in html
