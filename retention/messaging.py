"""How retention hands messages to the notifications app.

Messages go through ``notifications.services.message_enqueue`` after the surrounding
transaction commits (a rolled-back cancellation never emails anyone). A message that
cannot be queued is logged, never raised: the business change has already happened.
Customers get each message by email (the durable medium for confirmations) and in the
portal inbox; staff get theirs in the app and by email. Templates:
retention/templates/emails/<kind>.{subject.txt,txt}.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from django.conf import settings
from django.db import transaction

from notifications.services import message_enqueue

log = logging.getLogger(__name__)

CUSTOMER_CHANNELS = ("email", "in_app")
STAFF_CHANNELS = ("in_app", "email")


def _enqueue_now(
    *,
    kind: str,
    channel: str,
    context: dict[str, Any],
    dedupe_key: str,
    customer: Any = None,
    user: Any = None,
    contract: Any = None,
    attachments: list[Any] | None = None,
) -> Any:
    params = inspect.signature(message_enqueue).parameters
    language = (customer.language if customer is not None else getattr(user, "language", "")) or (
        settings.LANGUAGE_CODE
    )
    kwargs: dict[str, Any] = {
        "kind": kind,
        "channel": channel,
        "language": language,
        "context": {"site_url": settings.SITE_URL, **context},
        "dedupe_key": f"{dedupe_key}:{channel}",
        "contract": contract,
    }
    if customer is not None:
        kwargs["recipient_customer"] = customer
        kwargs["context"].setdefault("customer_name", customer.name)
    else:
        kwargs["recipient_user"] = user
        kwargs["context"].setdefault("user_name", str(user))
    # Attachments reach the email only if the notifications app supports them.
    if attachments and "attachments" in params:
        kwargs["attachments"] = attachments
    return message_enqueue(**kwargs)


def send_to_customer_now(
    *,
    kind: str,
    customer: Any,
    contract: Any = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str,
    attachments: list[Any] | None = None,
) -> None:
    for channel in CUSTOMER_CHANNELS:
        try:
            _enqueue_now(
                kind=kind,
                channel=channel,
                customer=customer,
                contract=contract,
                context=dict(context or {}),
                dedupe_key=dedupe_key,
                attachments=attachments,
            )
        except Exception:  # noqa: BLE001 - never undo the business change for a message
            log.exception("%s to customer %s on %s not queued", kind, customer.pk, channel)


def message_to_customer(
    *,
    kind: str,
    customer: Any,
    contract: Any = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str,
) -> None:
    """Enqueue a message of ``kind`` to the customer once the transaction commits."""
    transaction.on_commit(
        lambda: send_to_customer_now(
            kind=kind, customer=customer, contract=contract, context=context, dedupe_key=dedupe_key
        ),
        robust=True,
    )


def message_to_staff(
    *,
    kind: str,
    user: Any,
    customer: Any = None,
    contract: Any = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str,
) -> None:
    if user is None:
        return

    def send() -> None:
        for channel in STAFF_CHANNELS:
            try:
                _enqueue_now(
                    kind=kind,
                    channel=channel,
                    user=user,
                    contract=contract,
                    context={
                        "customer_label": str(customer) if customer else "",
                        **(context or {}),
                    },
                    dedupe_key=dedupe_key,
                )
            except Exception:  # noqa: BLE001
                log.exception("%s to user %s on %s not queued", kind, user.pk, channel)

    transaction.on_commit(send, robust=True)
