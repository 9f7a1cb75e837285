"""Points earned as reactions to contract events (lifecycle/subscriptions.py): an invoice
paid on time, a renewal, a referred customer's first active contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from billing.services import invoice_issue, payment_record
from contracts.models import ContractEvent, ContractStatus
from lifecycle.reactions import deliver_now
from lifecycle.subscriptions import SUBSCRIPTIONS
from loyalty import selectors, services
from loyalty.models import PointsEntry
from tests.factories import ContactFactory, ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

SHANGHAI_NOON = dt.datetime(2026, 3, 31, 4, 0, tzinfo=dt.UTC)


def _pay(invoice):
    return payment_record(
        invoice=invoice, amount=invoice.amount, method="bank_transfer", reference="BANK-1"
    )


def test_an_invoice_paid_by_its_due_date_earns_points_once(
    customer, rules, django_capture_on_commit_callbacks
):
    contract = ContractFactory(customer=customer)
    with time_machine.travel(SHANGHAI_NOON, tick=False):
        invoice = invoice_issue(
            customer=customer,
            due_date=dt.date(2026, 3, 31),
            amount=Decimal("2550.00"),
            contract=contract,
        )
        with django_capture_on_commit_callbacks(execute=True):
            _pay(invoice)
    entries = list(PointsEntry.objects.filter(customer=customer))
    assert [(e.kind, e.points, e.on) for e in entries] == [("earn", 25, dt.date(2026, 3, 31))]
    # the same event delivered again (an admin retry) earns nothing more
    event = ContractEvent.objects.get(contract=contract, kind="invoice_paid")
    ContractEvent.objects.filter(pk=event.pk).update(reacted_at=None)
    deliver_now("contracts.ContractEvent", [event.pk])
    assert selectors.points_balance(customer=customer) == 25


def test_an_invoice_paid_late_earns_nothing(customer, rules, django_capture_on_commit_callbacks):
    contract = ContractFactory(customer=customer)
    invoice = invoice_issue(
        customer=customer,
        due_date=dt.date(2026, 3, 30),
        issue_date=dt.date(2026, 3, 1),
        amount=Decimal("900"),
        contract=contract,
    )
    with time_machine.travel(SHANGHAI_NOON, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            _pay(invoice)
    assert not PointsEntry.objects.filter(customer=customer).exists()


def test_a_renewal_signed_and_then_renewed_earns_once(customer, rules):
    contract = ContractFactory(customer=customer, status=ContractStatus.RENEWED)
    for kind, to_status in (("renewal_signed", ""), ("status", ContractStatus.RENEWED)):
        event = ContractEvent.objects.create(
            contract=contract,
            kind=kind,
            from_status=ContractStatus.ACTIVE if to_status else "",
            to_status=to_status,
            at=dt.datetime(2026, 12, 31, 2, 0, tzinfo=dt.UTC),
        )
        deliver_now("contracts.ContractEvent", [event.pk])
    assert [(e.points, e.on) for e in PointsEntry.objects.filter(customer=customer)] == [
        (500, dt.date(2026, 12, 31))
    ]


def test_the_loyalty_reactions_are_rows_of_the_one_table():
    names = {s.reaction for s in SUBSCRIPTIONS}
    assert {
        "lifecycle.subscriptions.loyalty_points_on_invoice_paid",
        "lifecycle.subscriptions.loyalty_points_on_renewal",
        "lifecycle.subscriptions.loyalty_referral_on_contract_active",
    } <= names


def _activate(contract):
    event = ContractEvent.objects.create(
        contract=contract,
        kind="status",
        from_status=ContractStatus.SCHEDULED,
        to_status=ContractStatus.ACTIVE,
        at=dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC),
    )
    deliver_now("contracts.ContractEvent", [event.pk])


def test_a_referred_customer_whose_first_contract_starts_earns_the_referrer_points(customer, rules):
    referral = services.referral_invite(
        referrer=customer, contact_name="王伟", contact_email="Wang.Wei@Example.com"
    )
    newcomer = CustomerFactory()
    ContactFactory(customer=newcomer, email="wang.wei@example.com")
    first = ContractFactory(
        customer=newcomer, start_date=dt.date(2026, 6, 1), end_date=dt.date(2027, 5, 31)
    )
    _activate(first)
    referral.refresh_from_db()
    assert referral.referred_customer == newcomer and referral.signed_at is not None
    assert selectors.points_balance(customer=customer) == 300
    # a later contract of the same customer earns nothing more
    later = ContractFactory(
        customer=newcomer, start_date=dt.date(2027, 6, 1), end_date=dt.date(2028, 5, 31)
    )
    _activate(later)
    assert selectors.points_balance(customer=customer) == 300
    assert selectors.points_balance(customer=newcomer) == 0


def test_a_customer_nobody_referred_earns_nobody_points(customer, rules):
    _activate(ContractFactory(customer=CustomerFactory()))
    assert not PointsEntry.objects.exists()


def test_staff_can_link_a_referral_code_to_the_new_customer(customer, rules):
    referral = services.referral_invite(
        referrer=customer, contact_name="Li", contact_email="li@other.example"
    )
    newcomer = CustomerFactory()
    services.referral_link(referral=referral, customer=newcomer)
    _activate(ContractFactory(customer=newcomer))
    assert selectors.points_balance(customer=customer) == 300
