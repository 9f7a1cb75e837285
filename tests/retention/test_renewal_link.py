"""Where a cancellation meets the renewal: accepted offers reach the quote, and a confirmed
cancellation withdraws the renewal in progress (as the customer and staff are told)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts.models import ContractLine, ContractStatus
from renewals import services as renewal_services
from renewals.models import QuoteStatus, RenewalCase, Stage
from retention import selectors, services
from retention.models import GrantStatus, OfferGrant, RetentionOffer, Status
from tests.factories import ContractFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def plan(db):
    return PlanFactory(code="PRO", name="Pro", price=Decimal("1000.00"))


@pytest.fixture
def planned(customer, plan, today):
    """An active year 2026 on the Pro plan (12 × 1,000 CNY), 30 days' notice."""
    contract = ContractFactory(
        customer=customer,
        plan=plan,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        total_amount=Decimal("12000.00"),
        annual_value=Decimal("12000.00"),
        notice_period_days=30,
        with_line=False,
    )
    ContractLine.objects.create(
        contract=contract,
        plan=plan,
        description="Pro",
        quantity=Decimal("1"),
        unit_price=Decimal("12000.00"),
    )
    return contract


def sent_quote(contract, manager):
    case, _ = renewal_services.case_open(contract=contract)
    quote = renewal_services.quote_create(case=case, by=manager)
    return renewal_services.quote_send(quote=quote, by=manager)


def accept(contract, offer, user, **kw):
    return services.cancellation_submit(
        contract=contract,
        kind=kw.get("kind", "non_renewal"),
        reason="price",
        by=user,
        offer_answer="accepted",
        offer_id=offer.pk,
    )


# --- accepted offers and the next quote ------------------------------------------------------


def test_it_applies_an_accepted_discount_to_the_next_quote(
    planned, portal_user, manager, today, django_capture_on_commit_callbacks
):
    offer = RetentionOffer.objects.create(
        code="D15", title="15 % off", kind="discount", discount_percent=Decimal("15")
    )
    with django_capture_on_commit_callbacks(execute=True):
        accept(planned, offer, portal_user)
    grant = OfferGrant.objects.get()
    assert grant.status == GrantStatus.PENDING  # no quote yet: it waits for the next one

    case, _ = renewal_services.case_open(contract=planned)
    quote = renewal_services.quote_create(case=case, by=manager)
    assert quote.discount_percent == Decimal("15")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.USED


def test_it_applies_an_offer_accepted_while_the_quote_is_already_sent_to_that_quote(
    planned, portal_user, manager, today, django_capture_on_commit_callbacks
):
    quote = sent_quote(planned, manager)
    assert quote.discount_percent == Decimal("0")
    offer = RetentionOffer.objects.create(
        code="D10", title="10 % off", kind="discount", discount_percent=Decimal("10")
    )
    with django_capture_on_commit_callbacks(execute=True):
        accept(planned, offer, portal_user)
    quote.refresh_from_db()
    assert quote.discount_percent == Decimal("10")
    assert quote.total == Decimal("10800.00")
    # Revised, so back to draft for the account manager to send again.
    assert quote.status == QuoteStatus.DRAFT
    assert OfferGrant.objects.get().status == GrantStatus.USED


def test_it_applies_an_accepted_downgrade_to_a_draft_quote(
    planned, portal_user, manager, today, django_capture_on_commit_callbacks
):
    case, _ = renewal_services.case_open(contract=planned)
    quote = renewal_services.quote_create(case=case, by=manager)
    basic = PlanFactory(code="BASIC", name="Basic", price=Decimal("600.00"))
    offer = RetentionOffer.objects.create(
        code="DOWN", title="Move to Basic", kind="downgrade", downgrade_plan=basic
    )
    with django_capture_on_commit_callbacks(execute=True):
        accept(planned, offer, portal_user)
    quote.refresh_from_db()
    [line] = quote.lines.all()
    assert line.plan == basic
    assert quote.total == Decimal("7200.00")


def test_free_months_extend_the_contract_itself(planned, portal_user, today):
    offer = RetentionOffer.objects.create(code="F2", title="Two free", kind="free_months", months=2)
    req = accept(planned, offer, portal_user)
    planned.refresh_from_db()
    assert req.status == Status.RETAINED
    assert planned.end_date == dt.date(2027, 2, 28)
    assert OfferGrant.objects.get().status == GrantStatus.APPLIED


# --- a renewal in progress -----------------------------------------------------------------------


def test_confirming_a_non_renewal_withdraws_the_unsigned_renewal(
    planned, portal_user, manager, today, django_capture_on_commit_callbacks
):
    quote = sent_quote(planned, manager)
    successor = RenewalCase.objects.get(contract=planned).successor
    assert successor.status == ContractStatus.AWAITING_SIGNATURE
    assert selectors.renewal_in_progress(planned) == successor

    with django_capture_on_commit_callbacks(execute=True):
        req = services.cancellation_submit(
            contract=planned, kind="non_renewal", reason="budget", by=portal_user
        )
    assert req.status == Status.CONFIRMED
    successor.refresh_from_db()
    quote.refresh_from_db()
    case = RenewalCase.objects.get(contract=planned)
    assert successor.status == ContractStatus.VOID
    assert quote.status == QuoteStatus.WITHDRAWN
    assert case.stage == Stage.LOST
    assert case.loss_reason == "budget"
    assert selectors.renewal_in_progress(planned) is None


def test_an_early_termination_in_review_keeps_the_renewal_until_staff_confirm(
    planned, portal_user, manager, today, django_capture_on_commit_callbacks
):
    sent_quote(planned, manager)
    successor = RenewalCase.objects.get(contract=planned).successor
    with django_capture_on_commit_callbacks(execute=True):
        req = services.cancellation_submit(
            contract=planned, kind="early_termination", reason="competitor", by=portal_user
        )
    assert req.status == Status.IN_REVIEW
    successor.refresh_from_db()
    assert successor.status == ContractStatus.AWAITING_SIGNATURE  # withdrawing brings it back

    with django_capture_on_commit_callbacks(execute=True):
        services.cancellation_confirm(request=req, by=manager)
    successor.refresh_from_db()
    assert successor.status == ContractStatus.VOID
    assert RenewalCase.objects.get(contract=planned).loss_reason == "competitor"


def test_a_draft_successor_without_an_open_case_is_voided_too(
    planned, portal_user, today, django_capture_on_commit_callbacks
):
    draft = ContractFactory(
        customer=planned.customer,
        predecessor=planned,
        status=ContractStatus.DRAFT,
        start_date=dt.date(2027, 1, 1),
        end_date=dt.date(2027, 12, 31),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.cancellation_submit(
            contract=planned, kind="non_renewal", reason="other", by=portal_user
        )
    draft.refresh_from_db()
    assert draft.status == ContractStatus.VOID
