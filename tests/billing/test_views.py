"""Staff billing pages: invoices, payments, credit notes and refunds; access by book."""

from __future__ import annotations

import datetime as dt
import re
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


def _pay(client, invoice, **fields):
    data = {"amount": "100.00", "method": "bank_transfer", "reference": "ICBC-1"}
    data["received_on"] = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    data.update(fields)
    return client.post(reverse("billing:invoice-pay", args=[invoice.pk]), data)


def test_a_refused_payment_keeps_the_form_open_with_the_error_beside_its_field(
    client, manager, invoice
):
    client.force_login(manager)

    response = _pay(client, invoice, amount="0", reference="ICBC-9")

    assert response.status_code == 200
    form = response.context["payment_form"]
    assert form.errors == {"amount": ["The amount must be greater than zero."]}
    page = response.content.decode()
    assert 'value="ICBC-9"' in page  # what was typed is still there
    assert "autofocus" in page
    assert not Payment.objects.exists()


def test_a_payment_without_a_reference_names_the_reference_field(client, manager, invoice):
    client.force_login(manager)

    response = _pay(client, invoice, reference="   ")

    assert list(response.context["payment_form"].errors) == ["reference"]
    assert not Payment.objects.exists()


def test_a_duplicate_payment_reference_is_shown_beside_the_reference(client, manager, invoice):
    client.force_login(manager)
    _pay(client, invoice, amount="10")

    response = _pay(client, invoice, amount="20")

    assert response.context["payment_form"].errors == {
        "reference": ["A payment with this reference was already recorded."]
    }
    assert Payment.objects.count() == 1


def test_a_refused_payment_from_the_renewal_case_still_returns_there_when_corrected(
    client, manager, invoice
):
    client.force_login(manager)
    back = f"/staff/renewals/cases/{invoice.contract_id}/"

    refused = _pay(client, invoice, amount="-5", next=back)
    assert f'name="next" value="{back}"' in refused.content.decode()
    done = _pay(client, invoice, next=back)

    assert done.status_code == 302 and done["Location"] == back


def test_the_payment_errors_are_in_the_users_language(client, manager, invoice):
    manager.language = "zh-hans"
    manager.save(update_fields=["language"])
    client.force_login(manager)

    response = _pay(client, invoice, amount="0")

    assert response.context["payment_form"].errors["amount"] == ["金额必须大于零。"]
    assert "付款未登记" in " ".join(str(m) for m in response.context["messages"])


def test_a_refused_credit_note_shows_its_errors_beside_the_fields(client, manager, invoice):
    client.force_login(manager)

    response = client.post(
        reverse("billing:invoice-credit", args=[invoice.pk]), {"amount": "-1", "reason": " "}
    )

    assert response.status_code == 200
    assert set(response.context["credit_form"].errors) == {"amount", "reason"}
    invoice.refresh_from_db()
    assert invoice.balance == Decimal("3000.00")


def test_a_refused_refund_keeps_its_row_form_with_the_error(client, manager, invoice):
    note = credit_note_issue(
        customer=invoice.customer, amount=Decimal("200"), reason="Pro-rata refund", by=manager
    )
    client.force_login(manager)

    response = client.post(
        reverse("billing:credit-note-refund", args=[note.pk]),
        {"amount": "0", "method": "bank_transfer", "reference": "RF-7"},
    )

    assert response.status_code == 200
    assert response.context["refund_form"].errors == {
        "amount": ["The amount must be greater than zero."]
    }
    page = response.content.decode()
    assert 'value="RF-7"' in page
    assert "The amount must be greater than zero." in page
    assert not Payment.objects.filter(kind="refund").exists()


def test_the_invoice_page_gives_each_form_its_own_field_ids(client, manager, invoice):
    """The payment and the credit note forms both have an amount: each label must point
    at its own form's field."""
    client.force_login(manager)
    html = client.get(reverse("billing:invoice", args=[invoice.pk])).content.decode()
    ids = re.findall(r'\sid="(id_[^"]+)"', html)
    assert ids and len(ids) == len(set(ids))
