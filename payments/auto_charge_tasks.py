"""Beat task: charge auto-renewed invoices with the customers' saved payment methods
(payments/services/auto_charge.py). Routed to the ``sweeps`` queue."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from payments.services.auto_charge import auto_charge_sweep


@shared_task(acks_late=True)
def auto_charge_renewals_task(as_of: str | None = None) -> dict[str, int]:
    """Daily: each due invoice is claimed before it is charged, so reruns charge nothing
    twice."""
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    return auto_charge_sweep(as_of=day)
