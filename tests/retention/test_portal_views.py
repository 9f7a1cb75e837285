"""The portal's cancel flow: the form, the one offer that fits (with "continue to cancel" on
the same screen), and a final confirmation with the numbers before anything is sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from contracts.models import ContractStatus
from core.errors import DomainError
from retention import services
from retention.models import CancellationRequest, RetentionOffer, Status
from tests.factories import ContractFactory, CustomerFactory, PortalAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal_client(client, portal_user):
    client.force_login(portal_user)
    return client


@pytest.fixture
def free_months(db):
    return RetentionOffer.objects.create(
        code="FREE2",
        title="Two months free",
        description="We add two months at no charge.",
        kind="free_months",
        months=2,
        reasons=["budget", "price"],
    )


def url(name, obj):
    return reverse(f"portal:cancellation-{name}", args=[obj.pk])


def choose(client, contract, **kw):
    data = {"kind": "early_termination", "reason": "budget", "reason_text": "", "token": "tok-1"}
    data.update(kw)
    return client.post(url("start", contract), data)


# --- the steps ------------------------------------------------------------------------------


def test_it_shows_the_fitting_offer_after_the_form_and_sends_nothing_yet(
    portal_client, contract, free_months, today
):
    response = choose(portal_client, contract)
    assert response["Location"] == url("offer", contract)
    html = portal_client.get(url("offer", contract)).content.decode()
    assert html.count('id="retention-offer"') == 1
    assert "Two months free" in html
    assert "Accept the offer and keep my contract" in html
    assert "No thanks, continue to cancel" in html
    assert not CancellationRequest.objects.exists()


def test_it_goes_straight_to_the_final_step_when_no_offer_fits(portal_client, contract, today):
    RetentionOffer.objects.create(
        code="TIER_C", title="Only for C", kind="free_months", months=1, tiers=["C"]
    )
    RetentionOffer.objects.create(
        code="OLD",
        title="Expired",
        kind="free_months",
        months=1,
        valid_until=dt.date(2026, 3, 9),
    )
    RetentionOffer.objects.create(
        code="QUALITY", title="Quality fix", kind="free_months", months=1, reasons=["quality"]
    )
    response = choose(portal_client, contract)
    assert response["Location"] == url("review", contract)
    # The offer step itself sends an unfitting case on too.
    assert portal_client.get(url("offer", contract))["Location"] == url("review", contract)


def test_the_final_step_shows_date_fee_refund_and_service_before_anything_is_sent(
    portal_client, contract, today
):
    choose(portal_client, contract, reason_text="Budget cut")
    html = portal_client.get(url("review", contract)).content.decode()
    assert "9 Apr 2026" in html  # effective date: today + 30 days' notice
    assert "8 Apr 2026" in html  # last day of service
    assert "CNY 1,755.62" in html  # the fee
    assert "Refund" in html
    assert "What happens to the service" in html
    assert "Budget cut" in html
    assert "Confirm cancellation" in html
    assert not CancellationRequest.objects.exists()


def test_declining_then_confirming_records_the_offer_as_declined(
    portal_client, contract, free_months, today
):
    choose(portal_client, contract)
    portal_client.get(url("offer", contract))
    response = portal_client.post(
        url("offer", contract), {"answer": "decline", "offer": free_months.pk}
    )
    assert response["Location"] == url("review", contract)
    assert not CancellationRequest.objects.exists()

    response = portal_client.post(url("review", contract), {"token": "tok-1"})
    req = CancellationRequest.objects.get()
    assert response["Location"] == url("detail", req)
    assert req.status == Status.IN_REVIEW
    assert (req.offer, req.offer_response) == (free_months, "declined")
    assert list(req.events.values_list("kind", flat=True)) == [
        "submitted",
        "offer_shown",
        "offer_declined",
        "in_review",
    ]
    html = portal_client.get(url("detail", req)).content.decode()
    assert 'id="retention-offer"' not in html  # one offer per request: not shown again


def test_a_non_renewal_switches_auto_renew_off_only_on_the_final_confirmation(
    portal_client, contract, today
):
    choose(portal_client, contract, kind="non_renewal")
    page = portal_client.get(url("review", contract)).content.decode()
    assert "1 Jan 2027" in page
    assert "Automatic renewal is switched off" in page
    contract.refresh_from_db()
    assert contract.auto_renew is True

    portal_client.post(url("review", contract), {"token": "tok-1"})
    req = CancellationRequest.objects.get()
    contract.refresh_from_db()
    assert req.status == Status.CONFIRMED
    assert contract.auto_renew is False


def test_accepting_keeps_the_customer_and_records_the_offer(
    portal_client, contract, free_months, today
):
    choose(portal_client, contract, kind="non_renewal", reason="price")
    portal_client.get(url("offer", contract))
    response = portal_client.post(
        url("offer", contract), {"answer": "accept", "offer": free_months.pk}, follow=True
    )
    req = CancellationRequest.objects.get()
    contract.refresh_from_db()
    assert req.status == Status.RETAINED
    assert req.offer_response == "accepted"
    assert contract.end_date == dt.date(2027, 2, 28)
    assert contract.auto_renew is True  # nothing was cancelled
    assert "Thank you for staying" in response.content.decode()


def test_a_double_click_on_the_final_confirmation_makes_one_request(portal_client, contract, today):
    choose(portal_client, contract)
    first = portal_client.post(url("review", contract), {"token": "tok-1"})
    second = portal_client.post(url("review", contract), {"token": "tok-1"})
    req = CancellationRequest.objects.get()
    assert first["Location"] == second["Location"] == url("detail", req)


def test_the_back_link_keeps_the_answers(portal_client, contract, today):
    choose(portal_client, contract, reason_text="Budget cut")
    html = portal_client.get(url("start", contract)).content.decode()
    assert "Budget cut" in html
    assert 'value="budget" selected' in html


# --- tampering and stale steps ------------------------------------------------------------------


@pytest.mark.parametrize("posted", ["999999", "abc", ""])
def test_an_unknown_offer_id_gets_a_message_not_an_error(
    portal_client, contract, free_months, today, posted
):
    choose(portal_client, contract)
    portal_client.get(url("offer", contract))
    response = portal_client.post(
        url("offer", contract), {"answer": "accept", "offer": posted}, follow=True
    )
    assert response.status_code == 200
    assert "This offer is no longer available." in response.content.decode()
    assert not CancellationRequest.objects.exists()


def test_an_offer_that_does_not_fit_cannot_be_accepted_by_its_id(
    portal_client, contract, free_months, today
):
    other = RetentionOffer.objects.create(
        code="BIG", title="Half price", kind="discount", discount_percent=50, reasons=["other"]
    )
    choose(portal_client, contract)
    portal_client.get(url("offer", contract))
    portal_client.post(url("offer", contract), {"answer": "accept", "offer": other.pk})
    assert not CancellationRequest.objects.exists()
    # Nor through the service directly.
    with pytest.raises(DomainError):
        services.cancellation_submit(
            contract=contract,
            kind="early_termination",
            reason="budget",
            by=None,
            offer_answer="accepted",
            offer_id=other.pk,
        )


def test_the_later_steps_without_the_form_start_again(portal_client, contract, today):
    for name in ("offer", "review"):
        response = portal_client.get(url(name, contract))
        assert response["Location"] == url("start", contract)
    response = portal_client.post(url("review", contract), {"token": "forged"})
    assert response["Location"] == url("start", contract)
    assert not CancellationRequest.objects.exists()


def test_the_steps_of_someone_elses_contract_are_not_found(portal_client, today):
    other = ContractFactory(customer=CustomerFactory())
    for name in ("start", "offer", "review"):
        assert portal_client.get(url(name, other)).status_code == 404
        assert portal_client.post(url(name, other), {"answer": "accept"}).status_code == 404
    assert not CancellationRequest.objects.exists()


def test_a_customer_cannot_answer_someone_elses_request(client, contract, free_months, today):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="price", by=None, channel="staff"
    )
    client.force_login(PortalAccountFactory(customer=CustomerFactory()).user)
    for name in ("continue", "accept-offer", "withdraw"):
        assert client.post(url(name, req)).status_code == 404
    assert client.get(url("continue", req)).status_code == 404
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED


# --- a request recorded by staff, waiting for the customer's answer ------------------------------


def test_continue_to_cancel_on_a_waiting_request_asks_with_the_numbers_first(
    portal_client, contract, free_months, today
):
    req = services.cancellation_submit(
        contract=contract, kind="early_termination", reason="budget", by=None, channel="staff"
    )
    assert req.status == Status.SUBMITTED
    detail = portal_client.get(url("detail", req)).content.decode()
    assert "No thanks, continue to cancel" in detail
    assert f'method="get" action="{url("continue", req)}"' in detail

    page = portal_client.get(url("continue", req)).content.decode()
    assert "CNY 1,755.62" in page
    assert "Confirm cancellation" in page
    req.refresh_from_db()
    assert req.status == Status.SUBMITTED  # GET changed nothing

    portal_client.post(url("continue", req))
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW
    assert req.offer_response == "declined"


# --- a renewal in progress ---------------------------------------------------------------------


def test_the_final_step_says_what_happens_to_a_renewal_in_progress(portal_client, contract, today):
    ContractFactory(
        customer=contract.customer,
        predecessor=contract,
        number="HT-2027-000777",
        status=ContractStatus.AWAITING_SIGNATURE,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
    )
    choose(portal_client, contract, kind="non_renewal")
    html = portal_client.get(url("review", contract)).content.decode()
    assert 'id="renewal-in-progress"' in html
    assert "HT-2027-000777" in html
    assert "it is withdrawn when the cancellation is confirmed" in html


# --- language ----------------------------------------------------------------------------------


def test_the_offer_and_final_steps_speak_chinese(portal_client, contract, free_months, today):
    portal_client.cookies["django_language"] = "zh-hans"
    choose(portal_client, contract)
    offer = portal_client.get(url("offer", contract)).content.decode()
    assert "不用了，继续解约" in offer
    review = portal_client.get(url("review", contract)).content.decode()
    assert "确认解约" in review
    assert "提交前" in review or "确认之前" in review


def test_going_back_and_changing_the_reason_brings_up_no_second_offer(
    portal_client, contract, free_months, today
):
    RetentionOffer.objects.create(
        code="QUALITY", title="Service review", kind="free_months", months=1, reasons=["other"]
    )
    choose(portal_client, contract)
    portal_client.get(url("offer", contract))  # "Two months free" shown
    response = choose(portal_client, contract, reason="other")
    assert response["Location"] == url("review", contract)
    assert portal_client.get(url("offer", contract))["Location"] == url("review", contract)
    # Back to the first reason: the same offer again is still the one offer.
    assert choose(portal_client, contract)["Location"] == url("offer", contract)
