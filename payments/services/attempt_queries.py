"""Asking the provider about an attempt: when the customer waits on the status page, and
the sweep over attempts nobody told us about (docs/payments.md).

The answer to our own query is a verified fact (we called the provider over TLS with our
credentials), so it goes through the same log and the same apply as a notification.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone

from payments.attempt_states import OPEN_STATUSES
from payments.models import AttemptStatus, PaymentAttempt
from payments.providers import provider_get
from payments.providers.base import ProviderError
from payments.services.attempts import CREATED_GRACE, attempt_expire
from payments.services.notifications import event_record

logger = logging.getLogger(__name__)

# The provider is asked about one attempt at most this often (the page polls every few
# seconds; several tabs or the sweep must not multiply the queries).
QUERY_INTERVAL = dt.timedelta(seconds=10)
# The status page starts asking once the attempt has waited this long for a notification.
QUERY_AFTER = dt.timedelta(seconds=30)
SWEEP_BATCH = 200


def attempt_refresh(attempt: PaymentAttempt, *, now: dt.datetime | None = None) -> PaymentAttempt:
    """Ask the provider about an open attempt and apply the answer; expire it when its
    time is over and the provider has no payment for it. Returns the attempt, fresh."""
    now = now or timezone.now()
    if attempt.status not in OPEN_STATUSES:
        return attempt
    # Claim the query (compare-and-swap on queried_at): one query per interval.
    claimed = (
        PaymentAttempt.objects.filter(pk=attempt.pk, status__in=OPEN_STATUSES)
        .filter(Q(queried_at__isnull=True) | Q(queried_at__lt=now - QUERY_INTERVAL))
        .update(queried_at=now)
    )
    if claimed:
        _query(attempt, now)
    attempt.refresh_from_db()
    return attempt


def _query(attempt: PaymentAttempt, now: dt.datetime) -> None:
    try:
        event = provider_get(attempt.provider).payment_query(
            reference=attempt.reference, provider_reference=attempt.provider_reference
        )
    except ProviderError as exc:
        logger.warning("payments: query of %s failed: %s", attempt.reference, exc)
        return
    except KeyError:
        return  # not an adapter code (an attempt written by hand): nothing to ask
    if event is not None and event.outcome != "pending":
        event_record(attempt.provider, event)
        return
    expired = attempt.expires_at is not None and attempt.expires_at < now
    lost = attempt.status == AttemptStatus.CREATED and attempt.created_at < now - CREATED_GRACE
    if expired or (lost and event is None):
        attempt_expire(attempt, detail="no payment before the order expired")


def attempts_stale_ids(*, now: dt.datetime, limit: int = SWEEP_BATCH) -> list[int]:
    """Open attempts that waited long enough to ask about, oldest first (the partial
    index ``attempt_open_created``)."""
    return list(
        PaymentAttempt.objects.filter(status__in=OPEN_STATUSES, created_at__lt=now - QUERY_AFTER)
        .filter(Q(queried_at__isnull=True) | Q(queried_at__lt=now - QUERY_INTERVAL))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def attempts_sweep(*, now: dt.datetime | None = None) -> int:
    """The beat's sweep: ask about (and expire) attempts no notification closed. Each is
    claimed by ``attempt_refresh``, so two sweeps at once ask once. Returns how many were
    looked at."""
    now = now or timezone.now()
    ids = attempts_stale_ids(now=now)
    for attempt in PaymentAttempt.objects.filter(pk__in=ids):
        attempt_refresh(attempt, now=now)
    return len(ids)
