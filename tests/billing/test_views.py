"""Staff billing pages: invoices, payments, credit notes and refunds; access by book."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from billing.models import Payment
from billing.services import credit_note_issue
from tests.factories import StaffFactory


def test_a_refund_is_paid_out_from_the_credit_notes_page(client, manager, invoice):
    note = credit_note_issue(
        customer=invoice.customer, amount=Decimal("200"), reason="Pro-rata refund", by=manager
    )
    client.force_login(manager)
    page = client.get(reverse("billing:credit-notes"))
    assert note.number in page.content.decode()
    response = client.post(
        reverse("billing:credit-note-refund", args=[note.pk]),
        {"amount": "250", "method": "bank_transfer", "reference": "RF-1"},
        follow=True,
    )
    assert "Only 200.00" in " ".join(str(m) for m in response.context["messages"])
    client.post(
        reverse("billing:credit-note-refund", args=[note.pk]),
        {"amount": "200", "method": "bank_transfer", "reference": "RF-1"},
    )
    refund = Payment.objects.get(kind="refund")
    assert refund.amount == Decimal("200.00") and refund.credit_note == note


def test_another_managers_invoices_and_credit_notes_are_not_found(client, invoice):
    note = credit_note_issue(customer=invoice.customer, amount=Decimal("1"), reason="x")
    client.force_login(StaffFactory(username="bob"))
    assert client.get(reverse("billing:invoice", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("billing:invoice-pdf", args=[invoice.pk])).status_code == 404
    assert (
        client.post(
            reverse("billing:invoice-pay", args=[invoice.pk]),
            {"amount": "1", "method": "cash", "reference": "x", "received_on": "2026-01-01"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            reverse("billing:credit-note-refund", args=[note.pk]),
            {"amount": "1", "method": "cash", "reference": "x"},
        ).status_code
        == 404
    )
    assert invoice.number not in client.get(reverse("billing:invoices")).content.decode()


def test_the_invoice_list_filters_overdue_invoices(client, manager, invoice):
    client.force_login(manager)
    assert invoice.number in client.get(reverse("billing:invoices")).content.decode()
    page = client.get(reverse("billing:invoices"), {"status": "overdue"}).content.decode()
    assert invoice.number not in page  # due in 14 days


def test_a_payment_dated_in_the_future_is_refused_with_a_message(client, manager, invoice):
    client.force_login(manager)
    response = client.post(
        reverse("billing:invoice-pay", args=[invoice.pk]),
        {"amount": "1", "method": "cash", "reference": "C-1", "received_on": "2999-01-01"},
        follow=True,
    )
    assert response.status_code == 200 and not Payment.objects.exists()
    assert list(response.context["messages"])


def test_a_credit_note_from_the_invoice_page_reduces_the_balance(client, manager, invoice):
    client.force_login(manager)
    client.post(
        reverse("billing:invoice-credit", args=[invoice.pk]),
        {"amount": "500", "reason": "Goodwill"},
    )
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("2500.00")
