"""Reads for billing, always scoped: staff through core.access, customers by customer."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from customers.access import customers_visible_to

from .models import CreditNote, Invoice, InvoiceStatus, Payment


def invoices_visible_to(user: Any) -> QuerySet[Invoice]:
    return Invoice.objects.filter(customer__in=customers_visible_to(user))


def invoice_list(*, user: Any, status: str = "", q: str = "") -> QuerySet[Invoice]:
    qs = invoices_visible_to(user).select_related("customer", "contract")
    if status == "overdue":
        qs = qs.filter(status=InvoiceStatus.OPEN, due_date__lt=timezone.localdate())
    elif status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(number__icontains=q) | Q(customer__name__icontains=q) | Q(contract__number=q)
        )
    return qs.order_by("-issue_date", "-id")


def invoices_for_contract(*, contract: Any) -> QuerySet[Invoice]:
    return Invoice.objects.filter(contract=contract).order_by("installment_no", "id")


def invoices_for_customer(*, customer: Any) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(customer=customer)
        .exclude(status=InvoiceStatus.VOID)
        .select_related("contract")
        .order_by("-issue_date", "-id")
    )


def payments_for_invoice(*, invoice: Invoice) -> QuerySet[Payment]:
    return invoice.payments.select_related("recorded_by").order_by("received_at", "id")


def credit_notes_visible_to(user: Any) -> QuerySet[CreditNote]:
    return CreditNote.objects.filter(customer__in=customers_visible_to(user)).order_by(
        "-issue_date", "-id"
    )
