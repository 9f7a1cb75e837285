"""How retention hands messages and documents to the other apps.

Messages go through ``notifications.services.message_enqueue`` after the surrounding
transaction commits (a rolled-back cancellation never emails anyone); the call is
adapted to the parameters that function accepts, so an older or newer signature of it
never breaks a cancellation. A message that cannot be queued is logged, never raised:
the business change has already happened and the outbox is not its owner.
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
    except ImportError:
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
    attachments: list[Any] | None = None,
) -> None:
    """Enqueue a message of ``kind`` to the customer once the transaction commits."""

    def send() -> None:
        kwargs: dict[str, Any] = {
            "kind": kind,
            "customer": customer,
            "contract": contract,
            "context": dict(context or {}),
            "dedupe_key": dedupe_key,
        }
        if attachments:
            kwargs["attachments"] = attachments
            kwargs["documents"] = attachments
        _enqueue_now(**kwargs)

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

    transaction.on_commit(send, robust=True)
