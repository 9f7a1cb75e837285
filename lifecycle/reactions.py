"""Running the reactions of ``lifecycle/subscriptions.py`` from the committed event rows.

Every event table derives from ``core.events.EventBase``. A row waits with ``reacted_at``
empty until its reactions have run. Two callers claim such rows, with
``SELECT … FOR UPDATE SKIP LOCKED`` and the same code:

- ``deliver_now(label, ids)``, named by ``settings.RENEWDESK_EVENT_DELIVERY``: right after
  the writer's commit, in the writer's process, for the rows it wrote;
- ``events_sweep()`` (``lifecycle.reaction_tasks.react_to_events_task``, every minute):
  every unreacted row of every event table, in batches, oldest first. It picks up what a
  crash between a commit and its reactions left behind, and the retries.

A claimed row's matching reactions run in the claim's transaction, inside one savepoint
per row, and the row's ``reacted_at`` is set in the same transaction: a reaction's
writes (webhook deliveries, surveys, messages) commit exactly once with the mark. Two
sweepers (or a sweeper and ``deliver_now``) never hold the same row. If a reaction
raises, that row's savepoint rolls back (its other reactions too), ``reaction_attempts``
goes up, ``reaction_error`` keeps the error and ``reaction_retry_at`` the time of the next
try (1, 2, 4 … minutes later, at most 6 hours); the row is left alone after
``RENEWDESK_REACTION_MAX_ATTEMPTS`` attempts (default 8), shown in the admin's
"reactions failed" filter for a person to look at.

``react_in_transaction``, named by ``settings.RENEWDESK_EVENT_IN_TRANSACTION``, runs the
few subscriptions declared ``in_transaction`` while the writer's transaction is open.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.events import EventBase, reactions_failed, reactions_waiting

from .subscriptions import Subscription, subscriptions_for

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most 6 h."""
    base = int(getattr(settings, "RENEWDESK_REACTION_RETRY_BASE_SECONDS", 60))
    return dt.timedelta(seconds=min(base * 2 ** (attempts - 1), 6 * 3600))


def event_models() -> list[type[EventBase]]:
    """Every concrete event table, in a stable order."""
    found = [
        m
        for m in apps.get_models()
        if issubclass(m, EventBase) and not m._meta.abstract and not m._meta.proxy
    ]
    return sorted(found, key=lambda m: m._meta.label)


@dataclass
class ReactionReport:
    reacted: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: ReactionReport) -> None:
        self.reacted += other.reacted
        self.failed += other.failed
        self.errors.extend(other.errors)


# --- in the writer's transaction -------------------------------------------------------


def react_in_transaction(label: str, ids: Sequence[int], rows: Sequence[EventBase] | None) -> None:
    """The ``in_transaction`` subscriptions for rows just written (``core.events``)."""
    subscriptions = subscriptions_for(label, in_transaction=True)
    if not subscriptions:
        return
    if rows is None:
        wanted = Q()
        for subscription in subscriptions:
            wanted |= subscription.rows()
        rows = list(apps.get_model(label)._default_manager.filter(wanted, pk__in=ids))
    for row in rows:
        for subscription in subscriptions:
            if subscription.matches(row):
                subscription.function(row)


# --- after the commit: claim, react, mark ------------------------------------------------


def deliver_now(label: str, ids: Sequence[int]) -> ReactionReport:
    """Run the reactions of these rows now (right after the commit that wrote them)."""
    model = apps.get_model(label)
    return _claim_and_react(model, Q(pk__in=list(ids)), limit=len(ids))


def _due(now: dt.datetime) -> Q:
    """Rows never tried, or whose retry delay has passed."""
    return Q(reaction_retry_at__isnull=True) | Q(reaction_retry_at__lte=now)


def events_sweep(
    *,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int = 50,
    models: Iterable[type[EventBase]] | None = None,
) -> ReactionReport:
    """Claim and react to the due unreacted rows of every event table, batch by batch."""
    now = now or timezone.now()
    report = ReactionReport()
    for model in models if models is not None else event_models():
        for _batch in range(max_batches):
            done = _claim_and_react(model, _due(now), limit=batch_size)
            report.add(done)
            if done.reacted + done.failed < batch_size:
                break
    if report.reacted or report.failed:
        logger.info("reactions: %s rows reacted, %s failed", report.reacted, report.failed)
    return report


def _claim_and_react(model: type[EventBase], which: Q, *, limit: int) -> ReactionReport:
    report = ReactionReport()
    subscriptions = subscriptions_for(model._meta.label, in_transaction=False)
    with transaction.atomic():
        rows = list(
            model._default_manager.filter(which)
            .filter(reactions_waiting())
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")[:limit]
        )
        if not rows:
            return report
        reacted: list[int] = []
        for row in rows:
            error = _react(row, subscriptions)
            if error is None:
                reacted.append(row.pk)
                continue
            report.failed += 1
            report.errors.append(error)
            attempts = row.reaction_attempts + 1
            model._default_manager.filter(pk=row.pk).update(
                reaction_attempts=attempts,
                reaction_error=error,
                reaction_retry_at=timezone.now() + retry_delay(attempts),
            )
        if reacted:
            model._default_manager.filter(pk__in=reacted).update(
                reacted_at=timezone.now(), reaction_error="", reaction_retry_at=None
            )
        report.reacted = len(reacted)
    return report


def _react(row: EventBase, subscriptions: Sequence[Subscription]) -> str | None:
    """Run the row's reactions in one savepoint; the error text if one raised."""
    matching = [s for s in subscriptions if s.matches(row)]
    if not matching:
        return None
    current: Subscription | None = None
    try:
        with transaction.atomic():
            for current in matching:
                current.function(row)
    except Exception as exc:  # noqa: BLE001 - recorded on the row and retried
        name = current.name if current is not None else "?"
        logger.exception("reaction %r to %s %s failed", name, row._meta.label, row.pk)
        trace = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return f"{name}: {trace}"[:2000]
    return None


def reactions_for(row: EventBase) -> list[str]:
    """The names of the after-commit reactions a row has (for the admin)."""
    label = row._meta.label
    return [s.name for s in subscriptions_for(label, in_transaction=False) if s.matches(row)]


def rows_failed(model: type[EventBase]) -> Any:
    """The rows given up on after the last attempt (the admin's filter)."""
    return model._default_manager.filter(reactions_failed())
