"""payments.services.attempts against the in-test fake provider (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine

from billing.models import InvoiceStatus, Payment
from billing.services import invoice_void, payment_record
from core.errors import DomainError
from core.models import Task
from payments.models import AttemptEvent, AttemptStatus, MismatchKind, PaymentAttempt
from payments.providers import provider_get
from payments.services.attempts import attempt_create, attempt_start, payment_event_apply
from payments.services.notifications import event_record

pytestmark = pytest.mark.django_db

RETURN = "https://renew.example.com/portal/return/"
NOTIFY = "https://renew.example.com/payments/notify/x/"


def _start(invoice, code="wechat_pay", by=None):
    return attempt_start(
        invoice=invoice, provider_code=code, by=by, return_url=RETURN, notify_url=NOTIFY
    )


def _settle(attempt, **pay):
    """The fake's customer pays; its notification is verified and applied."""
    fake = provider_get(attempt.provider)
    fake.pay(attempt.reference, **pay)
    body, headers = fake.notification(attempt.reference)
    [event] = fake.notification_verify(body=body, headers=headers)
    return event_record(attempt.provider, event)


def test_it_starts_a_wechat_order_for_the_balance_with_a_qr_code(fake_world, invoice):
    attempt = _start(invoice)
    assert attempt.status == AttemptStatus.PENDING
    assert attempt.amount == invoice.balance == Decimal("3000.00")
    assert attempt.currency == "CNY" and attempt.customer_id == invoice.customer_id
    assert attempt.qr_code.startswith("weixin://") and not attempt.redirect_url
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", attempt.reference)
    assert attempt.expires_at is not None
    assert list(attempt.events.values_list("kind", flat=True)) == ["started"]


def test_it_starts_a_card_order_with_a_redirect(fake_world, invoice):
    attempt = _start(invoice, "card")
    assert attempt.redirect_url.startswith("https://pay.fake.example/card/")
    assert not attempt.qr_code


def test_a_second_click_shows_the_same_pending_order(fake_world, invoice):
    first = _start(invoice)
    second = _start(invoice)
    assert second.pk == first.pk
    assert [c for c in fake_world.calls if c[0] == "checkout_start"] == [
        ("checkout_start", first.reference)
    ]


def test_another_provider_gets_its_own_order(fake_world, invoice):
    assert _start(invoice).pk != _start(invoice, "alipay").pk


def test_an_order_for_an_older_balance_is_replaced(fake_world, invoice):
    first = _start(invoice)
    payment_record(invoice=invoice, amount=Decimal("1000"), method="bank_transfer", reference="B1")
    second = _start(invoice)
    first.refresh_from_db()
    assert first.status == AttemptStatus.CANCELLED
    assert second.amount == Decimal("2000.00") and second.status == AttemptStatus.PENDING


def test_an_order_about_to_expire_is_replaced(fake_world, invoice):
    first = _start(invoice)
    with time_machine.travel(first.expires_at - dt.timedelta(seconds=30)):
        second = _start(invoice)
    assert second.pk != first.pk


def test_void_and_paid_invoices_are_refused(fake_world, invoice, manager):
    payment_record(invoice=invoice, amount=invoice.amount, method="bank_transfer", reference="B")
    with pytest.raises(DomainError) as paid:
        _start(invoice)
    assert paid.value.code == "invoice_paid"


def test_a_void_invoice_is_refused(fake_world, invoice, manager):
    invoice_void(invoice=invoice, by=manager, reason="abandoned")
    with pytest.raises(DomainError) as void:
        _start(invoice)
    assert void.value.code == "invoice_void"
    assert not PaymentAttempt.objects.exists()


def test_a_provider_without_configuration_or_unknown_is_refused(fake_world, invoice, settings):
    settings.PAYMENT_PROVIDERS = {**settings.PAYMENT_PROVIDERS, "alipay": {}}
    with pytest.raises(DomainError):
        _start(invoice, "alipay")
    with pytest.raises(DomainError):
        _start(invoice, "cash")
    assert not PaymentAttempt.objects.exists()


def test_a_provider_refusal_fails_the_attempt_with_a_message(fake_world, invoice):
    fake_world.refuse_next_checkout = True
    with pytest.raises(DomainError) as refused:
        _start(invoice)
    assert refused.value.code == "provider_error"
    attempt = PaymentAttempt.objects.get()
    assert attempt.status == AttemptStatus.FAILED and "SYSTEM_ERROR" in attempt.detail
    # and the next click starts afresh
    assert _start(invoice).status == AttemptStatus.PENDING


def test_a_verified_payment_is_recorded_once_and_settles_the_invoice(fake_world, invoice):
    attempt = _start(invoice)
    result = _settle(attempt)
    assert result.status == "applied" and result.result.startswith("recorded RC-")
    attempt.refresh_from_db()
    invoice.refresh_from_db()
    payment = Payment.objects.get()
    assert attempt.status == AttemptStatus.SUCCEEDED and attempt.payment == payment
    assert payment.method == "wechat_pay" and payment.source == "webhook"
    assert payment.reference == f"tx_{attempt.reference}"
    assert invoice.status == InvoiceStatus.PAID
    assert attempt.mismatch_kind == MismatchKind.NONE
    assert "succeeded" in attempt.events.values_list("kind", flat=True)


def test_a_replayed_notification_changes_nothing(fake_world, invoice):
    attempt = _start(invoice)
    fake = provider_get("wechat_pay")
    fake.pay(attempt.reference)
    body, headers = fake.notification(attempt.reference, event_id="evt_same")
    [event] = fake.notification_verify(body=body, headers=headers)
    assert event_record("wechat_pay", event).status == "applied"
    assert event_record("wechat_pay", event).status == "duplicate"
    assert Payment.objects.count() == 1


def test_the_same_payment_told_twice_under_two_event_ids_is_recorded_once(fake_world, invoice):
    attempt = _start(invoice)
    _settle(attempt)
    query_event = provider_get("wechat_pay").payment_query(reference=attempt.reference)
    assert event_record("wechat_pay", query_event).result.startswith("duplicate")
    assert Payment.objects.count() == 1


def test_an_under_payment_is_recorded_and_flagged_and_the_invoice_stays_open(fake_world, invoice):
    attempt = _start(invoice)
    _settle(attempt, amount=Decimal("2999.00"))
    attempt.refresh_from_db()
    invoice.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    assert attempt.mismatch_kind == MismatchKind.UNDER
    assert attempt.amount_received == Decimal("2999.00")
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance == Decimal("1.00")
    assert AttemptEvent.objects.filter(attempt=attempt, kind="mismatch").exists()


def test_an_over_payment_is_recorded_flagged_and_billing_makes_its_task(fake_world, invoice):
    attempt = _start(invoice)
    _settle(attempt, amount=Decimal("3100.00"))
    attempt.refresh_from_db()
    assert attempt.mismatch_kind == MismatchKind.OVER
    assert attempt.payment.unapplied_amount == Decimal("100.00")
    assert Task.objects.filter(dedupe_key=f"overpayment:{attempt.payment_id}").exists()


def test_a_payment_in_another_currency_records_nothing_and_asks_staff(fake_world, invoice):
    attempt = _start(invoice)
    result = _settle(attempt, currency="USD")
    attempt.refresh_from_db()
    assert result.result.startswith("flagged for review")
    assert not Payment.objects.exists()
    assert attempt.status == AttemptStatus.REVIEW
    assert attempt.mismatch_kind == MismatchKind.CURRENCY and attempt.currency_received == "USD"
    task = Task.objects.get(dedupe_key=f"payment-review:{attempt.pk}")
    assert task.assignee == invoice.customer.account_manager
    # told again: still nothing recorded, one task
    query_event = provider_get("wechat_pay").payment_query(reference=attempt.reference)
    event_record("wechat_pay", query_event)
    assert not Payment.objects.exists() and Task.objects.filter(title=task.title).count() == 1


def test_a_failed_payment_fails_the_attempt_and_a_late_success_is_still_recorded(
    fake_world, invoice
):
    attempt = _start(invoice)
    _settle(attempt, state="failed")
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED and not Payment.objects.exists()
    _settle(attempt)  # the provider took the money after all
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED and Payment.objects.count() == 1


def test_a_payment_on_an_invoice_voided_meanwhile_goes_to_review(fake_world, invoice, manager):
    attempt = _start(invoice)
    invoice_void(invoice=invoice, by=manager, reason="mistake")
    _settle(attempt)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.REVIEW and not Payment.objects.exists()
    assert Task.objects.filter(dedupe_key=f"payment-review:{attempt.pk}").exists()


def test_a_transaction_staff_recorded_already_is_linked_not_recorded_twice(fake_world, invoice):
    attempt = _start(invoice)
    staff_payment = payment_record(
        invoice=invoice,
        amount=invoice.amount,
        method="wechat_pay",
        reference=f"tx_{attempt.reference}",
    )
    _settle(attempt)
    attempt.refresh_from_db()
    assert attempt.payment == staff_payment and Payment.objects.count() == 1


def test_unknown_references_and_pending_events_change_nothing(fake_world, invoice):
    attempt = _start(invoice)
    fake = provider_get("wechat_pay")
    event = fake.payment_query(reference=attempt.reference)
    assert payment_event_apply("wechat_pay", event) == "pending"
    unknown = fake._event("e1", {"out_trade_no": "RDNOPE", "state": "succeeded"})
    assert payment_event_apply("wechat_pay", unknown) == "ignored: unknown reference"
    # a reference of another provider is not this provider's
    assert payment_event_apply("alipay", event) == "ignored: unknown reference"


def test_an_off_session_attempt_is_created_for_the_balance(fake_world, invoice):
    attempt = attempt_create(invoice=invoice, provider_code="card", off_session=True)
    assert attempt.off_session and attempt.status == AttemptStatus.CREATED
    assert attempt.amount == invoice.balance
    assert not attempt.events.exists()  # nothing was asked of a provider yet
