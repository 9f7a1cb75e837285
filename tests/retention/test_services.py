from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts.models import AutoRenewConsent, ContractEvent, ContractStatus
from core.errors import DomainError, InvalidTransition
from core.models import Document, Task
from retention import selectors, services
from retention.models import (
    CancellationRequest,
    GrantStatus,
    OfferResponse,
    RequestEvent,
    RetentionOffer,
    Status,
)
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def offer(**kw) -> RetentionOffer:
    base = dict(
        code="SAVE20",
        title="20 % off your next year",
        kind="discount",
        discount_percent=Decimal("20"),
        terms_count=1,
        reasons=["price", "budget"],
        tiers=[],
    )
    base.update(kw)
    return RetentionOffer.objects.create(**base)


def submit(contract, user, **kw):
    kw.setdefault("kind", "early_termination")
    kw.setdefault("reason", "service_quality")
    return services.cancellation_submit(contract=contract, by=user, **kw)


# --- submission ----------------------------------------------------------------------------


def test_it_records_an_early_termination_for_review_with_its_preview(
    contract, portal_user, manager, today
):
    req = submit(contract, portal_user, reason_text="Too slow")

    assert req.status == Status.IN_REVIEW
    assert req.preview["effective_date"] == "2026-04-09"
    assert req.preview["fee"] == "1755.62"  # 20 % of 267/365 of 12 000
    # Submitted Tuesday 10:00 Shanghai: two business days later, Thursday 10:00.
    assert req.sla_due_at == dt.datetime(2026, 3, 12, 2, 0, tzinfo=dt.UTC)
    kinds = list(req.events.values_list("kind", flat=True))
    assert kinds == ["submitted", "in_review"]
    assert ContractEvent.objects.filter(contract=contract, kind="cancellation_submitted").exists()
    task = Task.objects.get(dedupe_key=f"cancellation-request-{req.pk}")
    assert task.assignee == manager
    assert task.due_date == dt.date(2026, 3, 12)


def test_it_shows_at_most_one_offer_targeted_by_reason_and_tier(contract, portal_user, today):
    offer(code="A-ONLY", tiers=["B"], priority=1)  # wrong tier
    offer(code="QUALITY", reasons=["service_quality"], priority=5)  # wrong reason
    expected = offer(code="PRICE", reasons=["price"], priority=10)
    offer(code="PRICE2", reasons=["price"], priority=20)  # fits, but lower priority

    req = submit(contract, portal_user, reason="price")

    assert req.status == Status.SUBMITTED
    assert req.offer == expected
    assert req.offer_shown_at is not None
    assert req.awaiting_offer_answer


def test_it_does_not_show_an_expired_offer(contract, portal_user, today):
    offer(valid_until=dt.date(2026, 3, 9))
    req = submit(contract, portal_user, reason="price")
    assert req.offer is None
    assert req.status == Status.IN_REVIEW


def test_the_same_form_posted_twice_makes_one_request(contract, portal_user, today):
    first = submit(contract, portal_user, token="tok-1")
    second = submit(contract, portal_user, token="tok-1")
    assert first.pk == second.pk
    assert CancellationRequest.objects.filter(contract=contract).count() == 1


def test_a_second_request_for_the_same_contract_is_refused(contract, portal_user, today):
    submit(contract, portal_user, token="tok-1")
    with pytest.raises(DomainError) as exc:
        submit(contract, portal_user, token="tok-2")
    assert exc.value.code == "duplicate"


def test_it_refuses_to_cancel_a_contract_whose_renewal_is_signed(contract, portal_user, today):
    ContractFactory(
        customer=contract.customer, predecessor=contract, status=ContractStatus.AWAITING_PAYMENT
    )
    with pytest.raises(DomainError) as exc:
        submit(contract, portal_user)
    assert exc.value.code == "renewal_signed"


def test_it_refuses_an_early_termination_when_the_notice_runs_past_the_term(
    customer, portal_user, today
):
    c = ContractFactory(
        customer=customer,
        start_date=dt.date(2025, 4, 1),
        end_date=dt.date(2026, 3, 31),
        notice_period_days=30,
    )
    with pytest.raises(DomainError) as exc:
        submit(c, portal_user)
    assert exc.value.code == "notice_past_term"


def test_it_refuses_an_unknown_reason(contract, portal_user, today):
    with pytest.raises(DomainError):
        submit(contract, portal_user, reason="because")


# --- the customer goes on, or withdraws -------------------------------------------------------


def test_continue_declines_the_offer_and_sends_the_request_to_review(contract, portal_user, today):
    offer()
    req = submit(contract, portal_user, reason="price")
    req = services.cancellation_continue(request=req, by=portal_user)
    assert req.status == Status.IN_REVIEW
    assert req.offer_response == OfferResponse.DECLINED
    assert list(req.events.values_list("kind", flat=True)) == [
        "submitted",
        "offer_shown",
        "offer_declined",
        "in_review",
    ]


def test_a_non_renewal_is_confirmed_at_once_and_switches_auto_renew_off_in_the_ledger(
    contract, portal_user, today, django_capture_on_commit_callbacks
):
    from notifications.models import Message

    with django_capture_on_commit_callbacks(execute=True):
        req = submit(
            contract,
            portal_user,
            kind="non_renewal",
            reason="low_usage",
            ip_address="203.0.113.9",
            user_agent="pytest",
        )

    assert req.status == Status.CONFIRMED
    assert req.effective_date == dt.date(2027, 1, 1)
    assert (req.fee_amount, req.refund_amount) == (Decimal("0"), Decimal("0"))
    contract.refresh_from_db()
    assert contract.auto_renew is False
    consent = AutoRenewConsent.objects.get(contract=contract)
    assert consent.enabled is False
    assert consent.channel == "portal"
    assert consent.ip_address == "203.0.113.9"
    assert contract.number in consent.text
    req.refresh_from_db()
    assert req.confirmation_document.kind == "cancellation"
    assert len(req.confirmation_document.sha256) == 64
    sent = Message.objects.filter(kind="cancellation_confirmed", customer=contract.customer)
    assert set(sent.values_list("channel", flat=True)) == {"email", "in_app"}
    email = sent.get(channel="email")
    assert email.to_address == "buyer@example.com"
    assert contract.number in email.subject
    assert "2027-01-01" in email.body_text
    assert f"/portal/documents/{req.confirmation_document.pk}/" in email.body_text


def test_the_customer_can_withdraw_before_confirmation_but_not_after(
    contract, portal_user, manager, today
):
    req = submit(contract, portal_user)
    req = services.cancellation_withdraw(request=req, by=portal_user)
    assert req.status == Status.WITHDRAWN
    assert req.withdrawn_at is not None

    other = submit(contract, portal_user, token="again")
    services.cancellation_confirm(request=other, by=manager)
    with pytest.raises(InvalidTransition):
        services.cancellation_withdraw(request=other, by=portal_user)


# --- staff decisions -------------------------------------------------------------------------


def test_staff_confirm_fixes_the_date_and_the_money(contract, portal_user, manager, today):
    req = submit(contract, portal_user)
    req = services.cancellation_confirm(request=req, by=manager, effective_date=dt.date(2026, 7, 1))
    assert req.status == Status.CONFIRMED
    assert req.effective_date == dt.date(2026, 7, 1)
    # 184 days left of 365: 6049.32 remaining; 20 % fee 1209.86; refund 4839.46.
    assert req.fee_amount == Decimal("1209.86")
    assert req.refund_amount == Decimal("4839.46")
    assert req.confirmed_by == manager
    assert req.first_response_at is not None
    contract.refresh_from_db()
    assert contract.auto_renew is False
    assert ContractEvent.objects.filter(contract=contract, kind="cancellation_confirmed").exists()


def test_staff_cannot_confirm_before_the_notice_period(contract, portal_user, manager, today):
    req = submit(contract, portal_user)
    with pytest.raises(DomainError) as exc:
        services.cancellation_confirm(request=req, by=manager, effective_date=dt.date(2026, 4, 1))
    assert exc.value.code == "bad_effective_date"
    req.refresh_from_db()
    assert req.status == Status.IN_REVIEW


def test_a_valid_request_cannot_be_rejected(contract, portal_user, manager, today):
    req = submit(contract, portal_user)
    with pytest.raises(DomainError) as exc:
        services.cancellation_reject(request=req, by=manager, note="We would rather not")
    assert exc.value.code == "valid_request"


def test_a_request_for_an_already_ended_contract_is_rejected(contract, portal_user, manager, today):
    req = submit(contract, portal_user)
    type(contract).objects.filter(pk=contract.pk).update(status=ContractStatus.EXPIRED)
    req.refresh_from_db()
    req = services.cancellation_reject(request=req, by=manager, note="Ended last month")
    assert req.status == Status.REJECTED
    assert req.events.get(kind="rejected").payload == {"ground": "already_ended"}


def test_contact_log_counts_as_a_response_and_stays_internal(contract, portal_user, manager, today):
    req = submit(contract, portal_user)
    services.contact_log_add(request=req, by=manager, channel="phone", summary="Called, thinking")
    req.refresh_from_db()
    assert req.first_response_at is not None
    assert RequestEvent.objects.get(request=req, kind="contact_logged").internal is True
    with pytest.raises(DomainError):
        services.contact_log_add(request=req, by=manager, channel="phone", summary="  ")


def test_staff_may_make_one_offer_per_request(contract, portal_user, manager, today):
    req = submit(contract, portal_user)  # no catalogue offer fits: none shown
    o = offer(code="STAFF", reasons=[])
    req = services.cancellation_offer_make(request=req, offer=o, by=manager)
    assert req.offer == o
    with pytest.raises(DomainError) as exc:
        services.cancellation_offer_make(request=req, offer=o, by=manager)
    assert exc.value.code == "offer_used"


def test_it_is_overdue_after_two_business_days(contract, portal_user, today, time_machine):
    req = submit(contract, portal_user)
    time_machine.move_to(dt.datetime(2026, 3, 12, 2, 1, tzinfo=dt.UTC))
    assert req.is_overdue()
    assert list(selectors.queue_for(contract.customer.account_manager)) == [req]


# --- offers accepted -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "event_kind", "grant_status"),
    [
        ("free_months", {"months": 2}, "extended", GrantStatus.APPLIED),
        ("pause", {"months": 3}, "paused", GrantStatus.APPLIED),
        (
            "discount",
            {"discount_percent": Decimal("15"), "terms_count": 2},
            "offer_granted",
            GrantStatus.PENDING,
        ),
        ("installments", {"installments": 4}, "offer_granted", GrantStatus.PENDING),
        ("added_service", {"added_service": "Priority support"}, "line_added", GrantStatus.APPLIED),
    ],
)
def test_accepting_an_offer_applies_it_and_withdraws_the_request(
    contract, portal_user, today, kind, fields, event_kind, grant_status
):
    o = offer(code=kind.upper(), kind=kind, reasons=[], **fields)
    req = submit(contract, portal_user, reason="price")
    assert req.offer == o

    req = services.cancellation_offer_accept(request=req, by=portal_user)

    assert req.status == Status.RETAINED
    assert req.offer_response == OfferResponse.ACCEPTED
    assert req.grant.status == grant_status
    assert ContractEvent.objects.filter(contract=contract, kind=event_kind).exists()
    assert ContractEvent.objects.filter(
        contract=contract, kind="cancellation_offer_accepted"
    ).exists()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    if kind == "free_months":
        assert contract.end_date == dt.date(2027, 2, 28)  # 31 Dec + 2 months, clamped
    if kind == "pause":
        assert contract.end_date == dt.date(2027, 3, 31)
        assert req.grant.details["pause_until"] == "2026-06-09"
    if kind == "added_service":
        assert contract.lines.filter(description="Priority support", unit_price=0).exists()
    if grant_status == GrantStatus.PENDING:
        assert list(selectors.pending_grants_for_next_quote(contract=contract)) == [req.grant]


def test_a_downgrade_offer_is_recorded_as_an_amendment(contract, portal_user, today):
    from tests.factories import PlanFactory

    small = PlanFactory(code="SMALL", price=Decimal("500"), billing_period="monthly")
    offer(code="DOWN", kind="downgrade", downgrade_plan=small, reasons=[])
    req = submit(contract, portal_user, reason="budget")
    req = services.cancellation_offer_accept(request=req, by=portal_user)
    event = ContractEvent.objects.get(contract=contract, kind="amendment_recorded")
    assert event.payload["to_plan"] == "SMALL"
    # Early termination at risk: remaining 8778.08 − fee 1755.62 = 7022.46 (preview at
    # submission); the downgrade gives away 12 000 − 12 × 500 = 6000.
    assert req.revenue_saved == Decimal("1022.46")


def test_offer_statistics_count_shown_accepted_and_revenue_kept(customer, portal_user, today):
    o = offer(code="STATS", kind="free_months", months=1, reasons=[])
    c1 = ContractFactory(
        customer=customer,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        annual_value=Decimal("12000.00"),
    )
    c2 = ContractFactory(
        customer=customer,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        annual_value=Decimal("12000.00"),
    )
    r1 = submit(c1, portal_user, kind="non_renewal", reason="price")
    services.cancellation_offer_accept(request=r1, by=portal_user)
    r2 = submit(c2, portal_user, kind="non_renewal", reason="price")
    services.cancellation_continue(request=r2, by=portal_user)

    [stats] = selectors.offer_stats(RetentionOffer.objects.filter(pk=o.pk))
    assert (stats.shown, stats.accepted, stats.declined) == (2, 1, 1)
    # Non-renewal: the next year (12 000) at risk, less one free month (1 000).
    assert stats.revenue_saved.amounts == {"CNY": Decimal("11000.00")}
    assert stats.acceptance_rate == Decimal("50.0")


def test_an_offer_cannot_be_accepted_after_it_expired(contract, portal_user, today, time_machine):
    offer(valid_until=dt.date(2026, 3, 10))
    req = submit(contract, portal_user, reason="price")
    time_machine.move_to(dt.datetime(2026, 3, 11, 2, 0, tzinfo=dt.UTC))
    with pytest.raises(DomainError) as exc:
        services.cancellation_offer_accept(request=req, by=portal_user)
    assert exc.value.code == "offer_expired"


# --- the portal auto-renew path and win-back ---------------------------------------------------


def test_winback_lists_recently_ended_customers_without_a_current_contract(manager, today):
    gone = CustomerFactory(account_manager=manager)
    ended = ContractFactory(
        customer=gone,
        status=ContractStatus.EXPIRED,
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
        annual_value=Decimal("9000"),
    )
    stayed = CustomerFactory(account_manager=manager)
    ContractFactory(
        customer=stayed,
        status=ContractStatus.EXPIRED,
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
    )
    ContractFactory(customer=stayed, status=ContractStatus.ACTIVE)
    long_gone = CustomerFactory(account_manager=manager)
    ContractFactory(
        customer=long_gone,
        status=ContractStatus.EXPIRED,
        start_date=dt.date(2024, 1, 1),
        end_date=dt.date(2024, 12, 31),
    )

    assert list(selectors.winback_list(manager)) == [ended]

    new = services.winback_contract_offer(contract=ended, by=manager)
    assert new.status == ContractStatus.DRAFT
    assert new.predecessor is None  # the successor link belongs to the renewal flow
    assert ended.events.get(kind="winback_offered").payload == {"new_contract": new.number}
    assert new.start_date == dt.date(2026, 3, 10)
    assert new.end_date == dt.date(2027, 3, 9)
    assert list(selectors.winback_list(manager)) == []
    with pytest.raises(DomainError):
        services.winback_contract_offer(contract=ended, by=manager)


def test_a_document_is_stored_once_per_confirmation(
    contract, portal_user, manager, today, django_capture_on_commit_callbacks
):
    from retention.documents import confirmation_document_create

    with django_capture_on_commit_callbacks(execute=True):
        req = services.cancellation_confirm(request=submit(contract, portal_user), by=manager)
    req.refresh_from_db()
    again = confirmation_document_create(request=req)
    assert again.pk == req.confirmation_document_id
    assert Document.objects.filter(kind="cancellation", contract=contract).count() == 1


def test_the_confirmation_email_speaks_the_customers_language(
    contract, portal_user, today, django_capture_on_commit_callbacks
):
    from notifications.models import Message

    contract.customer.language = "zh-hans"
    contract.customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        submit(contract, portal_user, kind="non_renewal", reason="price")
    email = Message.objects.get(kind="cancellation_confirmed", channel="email")
    assert "解约已确认" in email.subject
    assert "不再续约" in email.body_text
    assert "Early termination" not in email.body_text


def test_the_account_managers_task_closes_when_the_request_is_decided(
    contract, portal_user, manager, today
):
    req = submit(contract, portal_user)
    task = Task.objects.get(dedupe_key=f"cancellation-request-{req.pk}")
    assert task.done_at is None
    services.cancellation_confirm(request=req, by=manager)
    task.refresh_from_db()
    assert task.done_at is not None
    assert task.done_by == manager


def test_the_confirmation_email_carries_the_pdf(
    contract, portal_user, today, django_capture_on_commit_callbacks, mailoutbox
):
    from notifications.models import Message
    from notifications.services import message_deliver

    with django_capture_on_commit_callbacks(execute=True):
        req = submit(contract, portal_user, kind="non_renewal", reason="price")
    message = Message.objects.get(kind="cancellation_confirmed", channel="email")
    message_deliver(message_id=message.pk)

    [sent] = mailoutbox
    [(filename, content, mimetype)] = sent.attachments
    assert mimetype == "application/pdf"
    assert filename.endswith(".pdf")
    req.refresh_from_db()
    with req.confirmation_document.file.open("rb") as fh:
        assert content == fh.read()


def test_continue_twice_is_harmless(contract, portal_user, today):
    offer()
    req = submit(contract, portal_user, reason="price")
    services.cancellation_continue(request=req, by=portal_user)
    req = services.cancellation_continue(request=req, by=portal_user)
    assert req.status == Status.IN_REVIEW
    assert req.events.filter(kind="in_review").count() == 1


def test_a_staff_offer_during_review_can_be_declined_from_the_progress_page(
    contract, portal_user, manager, today
):
    req = submit(contract, portal_user)
    o = offer(code="LATE", reasons=[])
    services.cancellation_offer_make(request=req, offer=o, by=manager)
    req = services.cancellation_continue(request=req, by=portal_user)
    assert req.status == Status.IN_REVIEW
    assert req.offer_response == OfferResponse.DECLINED


def test_the_sla_is_configurable(contract, portal_user, today, settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "CANCELLATION_SLA_BUSINESS_DAYS": 5}
    req = submit(contract, portal_user)
    # Tuesday 10 March + 5 business days = Tuesday 17 March, 10:00 Shanghai.
    assert req.sla_due_at == dt.datetime(2026, 3, 17, 2, 0, tzinfo=dt.UTC)


def test_a_non_renewal_cannot_be_confirmed_for_another_date(contract, portal_user, manager, today):
    offer(reasons=["price"])
    req = submit(contract, portal_user, kind="non_renewal", reason="price")
    with pytest.raises(DomainError) as exc:
        services.cancellation_confirm(request=req, by=manager, effective_date=dt.date(2026, 6, 1))
    assert "2027-01-01" in exc.value.message
    req = services.cancellation_confirm(request=req, by=manager)
    assert req.effective_date == dt.date(2027, 1, 1)
