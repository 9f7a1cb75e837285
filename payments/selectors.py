"""Reads of payment attempts for the staff pages (docs/payments.md, "What staff see")."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from billing.selectors import invoices_visible_to
from payments.models import AttemptStatus, PaymentAttempt


def attempts_visible_to(user: Any) -> QuerySet[PaymentAttempt]:
    """The attempts of invoices the staff member may see (their book, or all for leads)."""
    return PaymentAttempt.objects.filter(invoice__in=invoices_visible_to(user))


def attempt_needs_attention() -> Q:
    """Mismatches (under, over, another currency) and payments held for review."""
    return ~Q(mismatch_kind="") | Q(status=AttemptStatus.REVIEW)


def attempt_list(
    *, user: Any, status: str = "", mismatches: bool = False
) -> QuerySet[PaymentAttempt]:
    qs = attempts_visible_to(user).select_related("invoice", "customer", "payment")
    if status:
        qs = qs.filter(status=status)
    if mismatches:
        qs = qs.filter(attempt_needs_attention())
    return qs.order_by("-created_at", "-id")


def attempts_for_invoice(*, invoice: Any) -> QuerySet[PaymentAttempt]:
    return (
        PaymentAttempt.objects.filter(invoice=invoice)
        .select_related("payment")
        .order_by("-created_at", "-id")
    )
