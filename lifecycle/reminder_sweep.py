"""The daily renewal-reminder sweep with what only renewals knows: notifications creates
the reminders, tasks and escalations (notifications.reminders.sweep), and is told which
customers already answered the renewal question (renewals.selectors), so that they are not
escalated. Lifecycle sits above both (docs/architecture.md), so it joins them here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from celery import shared_task

from notifications.reminders.sweep import SweepSummary, reminders_sweep_run
from notifications.tasks import deliver_outbox_task
from renewals import selectors as renewal_selectors

logger = logging.getLogger("lifecycle.reminders")


def customers_responded(contract_ids: list[int]) -> Iterable[int]:
    """The contracts among ``contract_ids`` whose customer has answered (one query)."""
    return renewal_selectors.contracts_with_customer_response(contract_ids=contract_ids)


def reminders_sweep(*, as_of: dt.date | None = None, batch_size: int = 5000) -> SweepSummary:
    """Create the renewal reminders (and staff tasks) due on ``as_of``. Safe to repeat."""
    return reminders_sweep_run(
        as_of=as_of, batch_size=batch_size, customer_responded=customers_responded
    )


# The task keeps the name it had in notifications.tasks: the beat rows of existing
# installations, the queue routes (config/settings) and the schedule name it.
@shared_task(name="notifications.tasks.send_reminders_task", ignore_result=True)
def send_reminders_task(as_of: str | None = None) -> dict:
    day = dt.date.fromisoformat(as_of) if as_of else None
    summary = reminders_sweep(as_of=day)
    logger.info("reminder sweep: %s", summary)
    # Deliver what the sweep created now instead of waiting for the next minute.
    deliver_outbox_task.delay()
    return summary.as_dict()
