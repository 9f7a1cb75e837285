"""The one place renewals and billing hand messages to the notifications app.

The notifications app owns templates, channels, preferences and delivery; we only say
who, what kind, about which contract, with which context. Messages are enqueued after
the surrounding transaction commits, so a rolled-back renewal never emails anyone.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def _enqueue_now(**kwargs: Any) -> Any:
    try:
        from notifications.services import message_enqueue
    except ImportError:  # the notifications app is not there yet: log instead of failing
        log.warning("notifications.services.message_enqueue missing; %s not sent", kwargs["kind"])
        return None
    params = inspect.signature(message_enqueue).parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    call = {k: v for k, v in kwargs.items() if accepts_any or k in params}
    return message_enqueue(**call)


def message_to_customer(
    *,
    kind: str,
    customer: Any,
    contract: Any = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Enqueue a message of ``kind`` to the customer once the transaction commits."""

    def send() -> None:
        _enqueue_now(
            kind=kind,
            customer=customer,
            contract=contract,
            context=dict(context or {}),
            dedupe_key=dedupe_key,
        )

    # robust: a message that cannot be queued is logged, it never undoes the business change.
    transaction.on_commit(send, robust=True)


def message_to_staff(
    *,
    kind: str,
    user: Any,
    customer: Any = None,
    contract: Any = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Enqueue a message to a staff member (the account manager), after commit."""
    if user is None:
        return

    def send() -> None:
        _enqueue_now(
            kind=kind,
            user=user,
            recipient_user=user,
            customer=customer,
            contract=contract,
            context=dict(context or {}),
            dedupe_key=dedupe_key,
        )

    # robust: a message that cannot be queued is logged, it never undoes the business change.
    transaction.on_commit(send, robust=True)
