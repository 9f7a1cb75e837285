"""Messages to a customer on the channels they chose, and to their account manager.

Renewals, billing (dunning), insights and the lifecycle hand their messages over here:
they say who, what kind, about which contract, with which context; the notifications app
owns templates, channels, preferences and delivery. Messages are enqueued after the
surrounding transaction commits, so a rolled-back change never emails anyone.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from .services import message_enqueue

log = logging.getLogger(__name__)


def _enqueue_now(**kwargs: Any) -> Any:
    return message_enqueue(**kwargs)


def _portal_link(contract: Any) -> str:
    if contract is None:
        return settings.SITE_URL + "/portal/"
    try:
        return settings.SITE_URL + reverse("portal:renewal", kwargs={"pk": contract.pk})
    except NoReverseMatch:
        return settings.SITE_URL + "/portal/"


def message_to_customer(
    *,
    kind: str,
    customer: Any,
    contract: Any = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Enqueue a message of ``kind`` to the customer on each channel they chose (email,
    in the portal) once the transaction commits. Templates: templates/emails/<kind>.*"""
    key = dedupe_key or f"{kind}:{getattr(contract, 'pk', '')}:{uuid.uuid4().hex}"

    def send() -> None:
        ctx = {
            "customer_name": customer.name,
            "portal_url": _portal_link(contract),
            **(context or {}),
        }
        channels = []
        if customer.notify_email:
            channels.append("email")
        if customer.notify_in_app or not channels:
            channels.append("in_app")
        for channel in channels:
            _enqueue_now(
                recipient_customer=customer,
                channel=channel,
                kind=kind,
                language=customer.language,
                context=ctx,
                dedupe_key=f"{key}:{channel}",
                contract=contract,
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
    """Enqueue an in-app message to a staff member (the account manager), after commit."""
    if user is None:
        return
    key = dedupe_key or f"{kind}:{getattr(contract, 'pk', '')}:{uuid.uuid4().hex}"

    def send() -> None:
        _enqueue_now(
            recipient_user=user,
            channel="in_app",
            kind=kind,
            language=getattr(user, "language", "zh-hans"),
            context={
                "customer_name": getattr(customer, "name", ""),
                "contract_number": getattr(contract, "number", ""),
                **(context or {}),
            },
            dedupe_key=f"{key}:in_app",
            contract=contract,
        )

    transaction.on_commit(send, robust=True)
