"""Compensation claims: filed by the customer for a breached period, approved into a
credit note (never above what is due) or rejected with a reason; the customer is told."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from billing.models import CreditNote
from core.errors import DomainError
from notifications.models import Message
from relations.compensation_claims import claim_approve, claim_file, claim_reject
from relations.models import ClaimStatus, CompensationClaim, SlaClaimEvent
from relations.service_levels import measurement_record

from .sla_world import agreed, renewal, uptime_spec

pytestmark = pytest.mark.django_db
D = dt.date
FEBRUARY = dt.date(2028, 2, 1)


def breach(world, indicator=None, *, start=FEBRUARY, value="98"):
    return measurement_record(
        contract=world["successor"],
        indicator=indicator or world["indicator"],
        period_start=start,
        value=Decimal(value),
        as_of=D(2028, 12, 31),
    )


@pytest.fixture
def world(db):
    w = renewal()
    w["indicator"] = agreed(w)
    return w


def test_a_customer_files_a_claim_for_a_breach_and_the_manager_is_told(
    world, django_capture_on_commit_callbacks
):
    measurement = breach(world)
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_file(
            customer=world["customer"], measurement=measurement, reason="Down for 14 hours."
        )
    assert claim.status == ClaimStatus.FILED and claim.contract == world["successor"]
    event = SlaClaimEvent.objects.get(claim=claim)
    assert (event.kind, event.from_status, event.to_status) == ("sla_claim_filed", "", "filed")
    note = Message.objects.get(kind="sla_claim_filed_staff")
    assert note.user == world["manager"]
    assert "Down for 14 hours." in note.body_text and world["successor"].number in note.subject


def test_one_claim_per_breach(world):
    measurement = breach(world)
    claim_file(customer=world["customer"], measurement=measurement, reason="First")
    with pytest.raises(DomainError, match="already filed"):
        claim_file(customer=world["customer"], measurement=measurement, reason="Again")
    assert CompensationClaim.objects.count() == 1


def test_a_met_period_another_customer_or_no_reason_is_refused(world):
    met = breach(world, start=D(2028, 1, 1), value="100")
    with pytest.raises(DomainError, match="nothing to claim"):
        claim_file(customer=world["customer"], measurement=met, reason="x")
    stranger = renewal()["customer"]
    missed = breach(world)
    with pytest.raises(DomainError, match="not about one of your contracts"):
        claim_file(customer=stranger, measurement=missed, reason="x")
    with pytest.raises(DomainError, match="why you claim"):
        claim_file(customer=world["customer"], measurement=missed, reason="   ")
    with pytest.raises(DomainError, match="under 2000 characters"):
        claim_file(customer=world["customer"], measurement=missed, reason="x" * 2001)
    assert not CompensationClaim.objects.exists()


def test_approval_credits_the_amount_due_and_tells_the_customer(
    world, django_capture_on_commit_callbacks
):
    # 10% of a leap February's fee: 29 days at 100 a day
    claim = claim_file(customer=world["customer"], measurement=breach(world), reason="Outage")
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_approve(claim=claim, by=world["manager"])
    assert claim.status == ClaimStatus.CREDITED and claim.amount == Decimal("290.00")
    note = claim.credit_note
    assert note.amount == Decimal("290.00") and note.contract == world["successor"]
    assert note.customer == world["customer"]
    assert "Uptime (%), 2028-02" in note.reason
    assert [e.to_status for e in claim.events.order_by("id")] == ["filed", "approved", "credited"]
    message = Message.objects.filter(kind="sla_claim_approved", customer=world["customer"]).first()
    assert (
        message is not None and note.number in message.body_text and "290.00" in message.body_text
    )


def test_staff_may_approve_less_but_never_more_than_due(world):
    claim = claim_file(customer=world["customer"], measurement=breach(world), reason="Outage")
    with pytest.raises(DomainError, match="At most CNY 290.00"):
        claim_approve(claim=claim, by=world["manager"], amount=Decimal("290.01"))
    with pytest.raises(DomainError, match="greater than zero"):
        claim_approve(claim=claim, by=world["manager"], amount=Decimal("0"))
    claim = claim_approve(claim=claim, by=world["manager"], amount=Decimal("100"), note="Partial")
    assert claim.amount == Decimal("100.00") and claim.credit_note.amount == Decimal("100.00")
    assert claim.decision_note == "Partial"


def test_the_cap_limits_the_sum_of_the_terms_claims():
    w = renewal()
    indicator = agreed(w, uptime_spec(compensation_cap=Decimal("500")))
    jan = claim_file(
        customer=w["customer"], measurement=breach(w, indicator, start=D(2028, 1, 1)), reason="a"
    )
    feb = claim_file(customer=w["customer"], measurement=breach(w, indicator), reason="b")
    assert claim_approve(claim=jan, by=w["manager"]).amount == Decimal("310.00")  # 31 days
    assert claim_approve(claim=feb, by=w["manager"]).amount == Decimal("190.00")  # 500 - 310
    mar = claim_file(
        customer=w["customer"], measurement=breach(w, indicator, start=D(2028, 3, 1)), reason="c"
    )
    with pytest.raises(DomainError, match="cap for this term is used up"):
        claim_approve(claim=mar, by=w["manager"])
    assert CreditNote.objects.count() == 2


def test_a_rejection_needs_a_reason_and_is_told_to_the_customer(
    world, django_capture_on_commit_callbacks
):
    claim = claim_file(customer=world["customer"], measurement=breach(world), reason="Outage")
    with pytest.raises(DomainError, match="reason for the rejection"):
        claim_reject(claim=claim, by=world["manager"], reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_reject(claim=claim, by=world["manager"], reason="Planned maintenance.")
    assert claim.status == ClaimStatus.REJECTED and claim.credit_note is None
    message = Message.objects.filter(kind="sla_claim_rejected", customer=world["customer"]).first()
    assert message is not None and "Planned maintenance." in message.body_text
    with pytest.raises(DomainError, match="already decided"):
        claim_approve(claim=claim, by=world["manager"])
    assert not CreditNote.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_approvals_of_the_same_claim_make_one_credit_note():
    w = renewal()
    indicator = agreed(w)
    claim = claim_file(customer=w["customer"], measurement=breach(w, indicator), reason="Outage")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve() -> None:
        try:
            barrier.wait(timeout=10)
            claim_approve(claim=CompensationClaim.objects.get(pk=claim.pk), by=w["manager"])
            outcomes.append("approved")
        except DomainError as exc:
            outcomes.append(exc.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("approved") == 1
    assert any("already decided" in outcome for outcome in outcomes)
    assert CreditNote.objects.count() == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CREDITED and claim.credit_note == CreditNote.objects.get()
