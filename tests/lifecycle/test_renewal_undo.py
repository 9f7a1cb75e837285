"""Undoing an automatic renewal (lifecycle/renewal_undo.py) and withdrawing from a contract
(lifecycle/contract_withdrawal.py), through lifecycle/customer_exits.py: the windows at
month ends and leap days, the refund from the cancellation policy, the statuses, the
ledger, billing's credit note and the confirmation message. Real PostgreSQL; every date
is given."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from billing.models import CreditNote, Invoice
from billing.services import invoice_plan_issue, payment_record, term_end
from compliance.models import RuleSet
from contracts.models import AutoRenewConsent, ContractEvent, ContractStatus
from contracts.services import event_record
from core.errors import DomainError
from lifecycle import contract_withdrawal, renewal_undo
from lifecycle.customer_exits import exit_terms
from notifications.models import Message
from retention import policy
from tests.factories import ContractFactory, CustomerFactory, UserFactory

S = ContractStatus
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_window(settings):
    settings.RENEWDESK = {**settings.RENEWDESK, "AUTO_RENEWAL_UNDO_DAYS": 14}


def _auto_renewed(
    *,
    old_start: dt.date,
    old_end: dt.date,
    renewed_on: dt.date | None = None,
    total: str = "3650.00",
    paid: bool = True,
    country: str = "CN",
    successor_status: str = S.ACTIVE,
):
    """An automatic renewal as lifecycle.auto_renewal leaves it: the old term renewed, its
    successor from the next day for 12 months, invoiced (and paid), the event naming it."""
    customer = CustomerFactory(country=country)
    old = ContractFactory(
        customer=customer,
        status=S.RENEWED,
        start_date=old_start,
        end_date=old_end,
        auto_renew=True,
    )
    start = old_end + dt.timedelta(days=1)
    new = ContractFactory(
        customer=customer,
        predecessor=old,
        status=successor_status,
        start_date=start,
        end_date=term_end(start, 12),
        total_amount=Decimal(total),
        auto_renew=True,
    )
    if successor_status == S.SCHEDULED:
        old.status = S.ACTIVE
        old.save(update_fields=["status"])
    event = event_record(contract=old, kind="auto_renewed", payload={"successor": new.number})
    day = renewed_on or start
    ContractEvent.objects.filter(pk=event.pk).update(
        at=dt.datetime.combine(day, dt.time(9, 0), tzinfo=SHANGHAI)
    )
    (invoice,) = invoice_plan_issue(contract=new, installments=1, first_due_date=start)
    if paid:
        payment_record(
            invoice=invoice, amount=invoice.amount, method="bank_transfer", reference=new.number
        )
    return old, new


# --- the window ----------------------------------------------------------------------------


def test_without_a_rule_or_company_window_an_automatic_renewal_cannot_be_undone():
    _old, new = _auto_renewed(old_start=dt.date(2027, 3, 1), old_end=dt.date(2028, 2, 29))
    assert renewal_undo.undo_available(new, today=dt.date(2028, 3, 1)) is None
    assert renewal_undo.undo_preview(new, today=dt.date(2028, 3, 1)) is None


def test_the_company_window_counts_from_a_leap_day_start(company_window):
    # Old term to 28 Feb 2028; the successor starts on the leap day; 14 days after it.
    _old, new = _auto_renewed(old_start=dt.date(2027, 3, 1), old_end=dt.date(2028, 2, 28))
    window = renewal_undo.undo_available(new, today=dt.date(2028, 2, 29))
    assert window is not None and window.last_day == dt.date(2028, 3, 14)
    assert renewal_undo.undo_available(new, today=dt.date(2028, 3, 14)) is not None
    assert renewal_undo.undo_available(new, today=dt.date(2028, 3, 15)) is None


def test_a_renewal_made_late_opens_its_window_on_the_day_it_was_made(company_window):
    # Term ended on 31 January 2027; the renewal ran only on 3 February (catch-up run).
    _old, new = _auto_renewed(
        old_start=dt.date(2026, 2, 1),
        old_end=dt.date(2027, 1, 31),
        renewed_on=dt.date(2027, 2, 3),
    )
    window = renewal_undo.undo_window(new)
    assert window is not None
    assert (window.renewed_on, window.last_day) == (dt.date(2027, 2, 3), dt.date(2027, 2, 17))
    assert not window.contains(dt.date(2027, 2, 2))


def test_the_rules_window_applies_and_the_longer_of_rules_and_company_wins(settings):
    gb = RuleSet.objects.get(jurisdiction__code="GB", version=1)
    gb.awaiting_commencement = False
    gb.commencement_date = dt.date(2027, 4, 1)
    gb.save()
    _old, new = _auto_renewed(
        old_start=dt.date(2027, 12, 31), old_end=dt.date(2028, 12, 30), country="GB"
    )
    assert renewal_undo.undo_days(new) == 14
    assert renewal_undo.undo_window(new).last_day == dt.date(2029, 1, 14)
    settings.RENEWDESK = {**settings.RENEWDESK, "AUTO_RENEWAL_UNDO_DAYS": 30}
    assert renewal_undo.undo_days(new) == 30


def test_a_contract_renewed_by_hand_has_no_undo(company_window):
    old, new = _auto_renewed(old_start=dt.date(2027, 3, 1), old_end=dt.date(2028, 2, 29))
    ContractEvent.objects.filter(contract=old, kind="auto_renewed").delete()
    assert renewal_undo.undo_window(new) is None


# --- undoing -------------------------------------------------------------------------------


def test_undo_ends_both_terms_and_refunds_the_unused_days_by_the_policy(
    company_window, django_capture_on_commit_callbacks
):
    old, new = _auto_renewed(old_start=dt.date(2027, 3, 1), old_end=dt.date(2028, 2, 29))
    today = dt.date(2028, 3, 5)  # 1-4 March used: 4 of 365 days at 10.00 a day
    preview = renewal_undo.undo_preview(new, today=today)
    # The policy's own arithmetic, with no notice, no fee and a pro-rata refund.
    expected = policy.settlement_compute(
        kind=policy.EARLY_TERMINATION,
        terms=exit_terms(new),
        today=today,
        paid=Decimal("3650.00"),
    )
    assert preview.refund == expected.refund == Decimal("3610.00")
    customer_user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        result = renewal_undo.renewal_undo(
            successor=new,
            today=today,
            by=customer_user,
            expected_refund=Decimal("3610.00"),
            ip_address="203.0.113.9",
            user_agent="Firefox test",
        )
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, new.status) == (S.EXPIRED, S.TERMINATED)
    assert not new.auto_renew
    note = CreditNote.objects.get(contract=new)
    assert result.credit_note == note and note.amount == Decimal("3610.00")
    assert note.refund_due == Decimal("3610.00")  # paid by bank transfer: staff pay it back
    consent = AutoRenewConsent.objects.filter(contract=new).latest("at", "id")
    assert (consent.enabled, consent.ip_address, consent.user_agent) == (
        False,
        "203.0.113.9",
        "Firefox test",
    )
    assert consent.text == renewal_undo.undo_consent_text(
        renewal_undo.UndoWindow(
            successor=new,
            predecessor=old,
            renewed_on=today,
            opens_on=today,
            last_day=today,
            days=14,
        )
    )
    assert ContractEvent.objects.filter(contract=old, kind="renewal_undone").exists()
    assert ContractEvent.objects.filter(contract=new, kind="auto_renewal_undone").exists()
    message = Message.objects.filter(kind="auto_renewal_undone", contract=new).first()
    # The refund on its own paragraph, in the shared money format; the link is the credit
    # note the message speaks of, not the renewal page.
    assert "Automatic renewal is off.\n\nRefund: CNY 3,610.00." in message.body_text
    assert reverse("portal:credit-note", args=[note.pk]) in message.body_text
    assert "/renewal/" not in message.body_text
    # A second undo finds nothing to undo.
    with pytest.raises(DomainError):
        renewal_undo.renewal_undo(successor=new, today=today, by=None, expected_refund=None)


def test_an_amount_other_than_the_one_shown_changes_nothing(company_window):
    old, new = _auto_renewed(old_start=dt.date(2027, 3, 1), old_end=dt.date(2028, 2, 29))
    with pytest.raises(DomainError) as caught:
        renewal_undo.renewal_undo(
            successor=new, today=dt.date(2028, 3, 6), by=None, expected_refund=Decimal("3610.00")
        )
    assert caught.value.code == "amount_changed"
    new.refresh_from_db()
    old.refresh_from_db()
    assert (old.status, new.status) == (S.RENEWED, S.ACTIVE)
    assert not CreditNote.objects.filter(contract=new).exists()


def test_an_unpaid_renewal_invoice_keeps_only_the_days_used(company_window):
    _old, new = _auto_renewed(
        old_start=dt.date(2026, 1, 1), old_end=dt.date(2026, 12, 31), paid=False
    )
    # 2027 has 365 days: 1-2 January used, 20.00.
    result = renewal_undo.renewal_undo(
        successor=new, today=dt.date(2027, 1, 3), by=None, expected_refund=Decimal("0.00")
    )
    assert result.refund == Decimal("0.00") and result.credit_note is None
    invoice = Invoice.objects.get(contract=new, kind="term")
    assert invoice.balance == Decimal("20.00")


def test_a_renewal_not_started_yet_is_voided_and_refunded_in_full(company_window):
    # The renewal ran on the old term's last day (31 Dec 2027); undone the same day.
    old, new = _auto_renewed(
        old_start=dt.date(2027, 1, 1),
        old_end=dt.date(2027, 12, 31),
        renewed_on=dt.date(2027, 12, 31),
        successor_status=S.SCHEDULED,
    )
    result = renewal_undo.renewal_undo(
        successor=new, today=dt.date(2027, 12, 31), by=None, expected_refund=Decimal("3650.00")
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.status == S.VOID and result.refund == Decimal("3650.00")
    # The old term runs to its end and then expires; it no longer renews.
    assert old.status == S.ACTIVE and not old.auto_renew


# --- withdrawal ----------------------------------------------------------------------------


def _signed(*, signed_on: dt.date, country: str = "DE", start: dt.date | None = None):
    customer = CustomerFactory(country=country)
    start = start or signed_on
    return ContractFactory(
        customer=customer,
        start_date=start,
        end_date=term_end(start, 12),
        total_amount=Decimal("3660.00"),
        signed_at=dt.datetime.combine(signed_on, dt.time(12, 0), tzinfo=ZoneInfo("Europe/Berlin")),
    )


def test_the_withdrawal_period_runs_14_days_after_signing_across_a_leap_february():
    contract = _signed(signed_on=dt.date(2028, 2, 15))
    window = contract_withdrawal.withdrawal_available(contract, today=dt.date(2028, 2, 29))
    assert window is not None and window.last_day == dt.date(2028, 2, 29)
    assert contract_withdrawal.withdrawal_available(contract, today=dt.date(2028, 3, 1)) is None


def test_a_contract_made_by_automatic_renewal_offers_no_withdrawal():
    # A French customer inside 14 days of the successor's start: the automatic renewal
    # concluded nothing new, so the way out is the undo window and cancellation.
    _old, new = _auto_renewed(
        old_start=dt.date(2027, 3, 1), old_end=dt.date(2028, 2, 28), country="FR"
    )
    new.signed_at = dt.datetime(2028, 2, 29, 9, 0, tzinfo=SHANGHAI)
    new.save(update_fields=["signed_at"])
    assert contract_withdrawal.withdrawal_available(new, today=dt.date(2028, 3, 1)) is None


def test_a_customer_outside_the_eu_has_no_withdrawal_function():
    contract = _signed(signed_on=dt.date(2028, 2, 15), country="CN")
    assert contract_withdrawal.withdrawal_available(contract, today=dt.date(2028, 2, 16)) is None


def test_withdrawing_terminates_the_contract_and_refunds_the_days_not_used(
    django_capture_on_commit_callbacks,
):
    contract = _signed(signed_on=dt.date(2028, 1, 31))  # a 366-day term from 31 Jan 2028
    (invoice,) = invoice_plan_issue(
        contract=contract, installments=1, first_due_date=contract.start_date
    )
    payment_record(invoice=invoice, amount=invoice.amount, method="bank_transfer", reference="W1")
    contract.refresh_from_db()
    today = dt.date(2028, 2, 10)  # 31 Jan - 9 Feb used: 10 days of 366 at 10.00
    with django_capture_on_commit_callbacks(execute=True):
        result = contract_withdrawal.contract_withdraw(
            contract=contract, today=today, by=None, expected_refund=Decimal("3560.00")
        )
    contract.refresh_from_db()
    assert contract.status == S.TERMINATED
    assert result.credit_note is not None and result.credit_note.amount == Decimal("3560.00")
    assert ContractEvent.objects.filter(contract=contract, kind="withdrawn").exists()
    message = Message.objects.filter(kind="contract_withdrawn", contract=contract).first()
    assert "Refund: CNY 3,560.00." in message.body_text
    assert reverse("portal:credit-note", args=[result.credit_note.pk]) in message.body_text
