"""Reminders for overdue invoices, after a grace period.

Each reminder links to the invoice's page in the portal, where the customer pays online
("Pay now": card, WeChat Pay, Alipay, as configured), and offers a bank transfer only when
bank details are configured (``BANK_*`` settings, never a placeholder account). The
automatic payment of a renewal hands its failures here too (``auto_charge_failed``): the
same link, saying the automatic payment did not go through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.documents import bank_details
from billing.models import (
    Invoice,
    InvoiceStatus,
)
from contracts.services import event_record
from core.models import TaskKind
from core.services import in_language_of, task_create
from notifications.customer_messages import message_to_customer

DUNNING_INTERVAL_DAYS = 7
DUNNING_MAX_LEVEL = 3
BATCH_SIZE = 500

# --- dunning ----------------------------------------------------------------------------


def dunning_due_ids(*, as_of: dt.date) -> Iterable[list[int]]:
    """Ids of open invoices due for a dunning reminder, in batches (uses invoice_open_due)."""
    grace = settings.RENEWDESK.get("DUNNING_GRACE_DAYS", 7)
    qs = (
        Invoice.objects.filter(
            status=InvoiceStatus.OPEN,
            due_date__lt=as_of - dt.timedelta(days=grace),
            dunning_level__lt=DUNNING_MAX_LEVEL,
        )
        .exclude(last_dunning_on__gt=as_of - dt.timedelta(days=DUNNING_INTERVAL_DAYS))
        .order_by("id")
        .values_list("id", flat=True)
    )
    last = 0
    while True:
        batch = list(qs.filter(id__gt=last)[:BATCH_SIZE])
        if not batch:
            return
        yield batch
        last = batch[-1]


def invoice_pay_url(invoice: Invoice) -> str:
    """The absolute link to the invoice's page in the portal, where "Pay now" is."""
    return settings.SITE_URL + reverse("portal:invoice", kwargs={"pk": invoice.pk})


def invoice_dunning_send(
    *, invoice_id: int, as_of: dt.date, auto_charge_failed: bool = False
) -> bool:
    """Send the next dunning reminder for one overdue invoice. Returns False if another
    worker already did (claimed by a compare-and-swap on the dunning level).
    ``auto_charge_failed``: sent because the saved payment method was refused (the message
    says so)."""
    invoice = Invoice.objects.select_related("customer", "contract").get(pk=invoice_id)
    if invoice.status != InvoiceStatus.OPEN:
        return False
    with transaction.atomic():
        level = invoice.dunning_level + 1
        claimed = Invoice.objects.filter(
            pk=invoice.pk, status=InvoiceStatus.OPEN, dunning_level=invoice.dunning_level
        ).update(dunning_level=level, last_dunning_on=as_of)
        if not claimed:
            return False
        if invoice.contract is not None:
            event_record(
                contract=invoice.contract,
                kind="dunning_sent",
                payload={"invoice": invoice.number, "level": level},
            )
        pay_url = invoice_pay_url(invoice)
        message_to_customer(
            kind="dunning",
            customer=invoice.customer,
            contract=invoice.contract,
            context={
                "invoice_number": invoice.number,
                "amount": str(invoice.balance),
                "currency": invoice.currency,
                "due_date": invoice.due_date.isoformat(),
                "level": level,
                "pay_url": pay_url,
                # Templates edited in the admin that link {{ portal_url }} reach Pay now too.
                "portal_url": pay_url,
                # Empty when no account is configured: then no transfer is offered.
                "bank": bank_details(),
                "auto_charge_failed": auto_charge_failed,
            },
            dedupe_key=f"dunning:{invoice.pk}:{level}",
        )
        if level >= 2 and invoice.customer.account_manager_id:
            with in_language_of(invoice.customer.account_manager):
                task_create(
                    assignee=invoice.customer.account_manager,
                    kind=TaskKind.FOLLOW_UP,
                    title=_("Invoice %(number)s is overdue (reminder %(level)s): call the customer")
                    % {"number": invoice.number, "level": level},
                    due_date=as_of,
                    customer=invoice.customer,
                    contract=invoice.contract,
                    dedupe_key=f"dunning-call:{invoice.pk}:{level}",
                )
    return True


def dunning_sweep(*, as_of: dt.date) -> int:
    """Send every dunning reminder due on ``as_of``. Safe to run twice or concurrently."""
    sent = 0
    for batch in dunning_due_ids(as_of=as_of):
        for invoice_id in batch:
            sent += int(invoice_dunning_send(invoice_id=invoice_id, as_of=as_of))
    return sent
