"""Webhooks that cannot be lost: the emission marker and the catch-up sweep.

The receivers in ``api.receivers`` run after the business transaction commits. If the
process dies (or a receiver fails) between that commit and the creation of the delivery
rows, nothing else would ever queue the event. Every contract status change and every
timeline event that webhooks report is stored as a ``ContractEvent`` row in the same
transaction as the change, so the sweep below (``api.tasks.catch_up_webhooks_task``,
every minute) looks at the recent rows that have no ``WebhookEmission`` marker yet and
queues their webhooks itself.

Exactly once per endpoint: the receiver and the sweep both insert the marker with
``INSERT … ON CONFLICT DO NOTHING`` in the transaction that creates the deliveries, and
only the one whose insert went in creates them. A concurrent insert of the same marker
waits on the unique index until the first transaction ends: it then does nothing if the
first committed, or goes ahead if it rolled back.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from contracts.models import ContractEvent

from . import webhooks
from .models import WebhookDelivery, WebhookEmission, WebhookEndpoint
from .webhooks import _body

logger = logging.getLogger(__name__)

CONTRACT_EVENT = "contract_event"


def catch_up_window() -> dt.timedelta:
    """How far back the sweep looks (API_WEBHOOK_CATCH_UP_HOURS, default 24)."""
    return dt.timedelta(hours=int(getattr(settings, "API_WEBHOOK_CATCH_UP_HOURS", 24)))


def catch_up_grace() -> dt.timedelta:
    """Events younger than this are left to their receiver (default 120 seconds)."""
    seconds = int(getattr(settings, "API_WEBHOOK_CATCH_UP_GRACE_SECONDS", 120))
    return dt.timedelta(seconds=seconds)


def webhook_emission_claim(*, source: str, source_ids: Iterable[int]) -> set[int]:
    """Insert the markers and return the ids whose marker this call inserted.

    Must run inside the transaction that creates the deliveries: if it rolls back, the
    markers go with it and the sweep tries again. Ids are inserted in ascending order so
    that two sweeps running at once wait on each other instead of deadlocking.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhook_emission_claim needs the caller's transaction")
    ids = sorted(set(source_ids))
    if not ids:
        return set()
    table = connection.ops.quote_name(WebhookEmission._meta.db_table)
    now = timezone.now()
    values = ", ".join(["(%s, %s, %s)"] * len(ids))
    params: list[Any] = [value for pk in ids for value in (source, pk, now)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (source, source_id, created_at) VALUES {values} "  # noqa: S608 - table name from the model, values are parameters
            "ON CONFLICT (source, source_id) DO NOTHING RETURNING source_id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def _webhook_types(event: ContractEvent) -> list[str]:
    """The webhook events this stored event stands for, as the receivers send them."""
    from .receivers import CONTRACT_EVENTS, TIMELINE_EVENTS

    if event.kind in TIMELINE_EVENTS:
        return [TIMELINE_EVENTS[event.kind]]
    if event.from_status and event.to_status:
        # Written by contracts.services._transition / contracts_transition_locked, which
        # send contract_status_changed for exactly these rows.
        specific = CONTRACT_EVENTS.get(event.to_status)
        return ["contract.status_changed", *([specific] if specific else [])]
    return []


def _contracts_data(contract_ids: set[int]) -> dict[int, dict[str, Any]]:
    """The contracts as the API shows them, read in a fixed number of queries."""
    from contracts.models import Contract

    from .serializers.contracts import ContractSerializer, with_serializer_relations

    if not contract_ids:
        return {}
    contracts = with_serializer_relations(Contract.objects.filter(pk__in=contract_ids))
    return {row["id"]: dict(row) for row in ContractSerializer(contracts, many=True).data}


def _emit(events: list[ContractEvent], endpoints: list[WebhookEndpoint]) -> tuple[int, int]:
    """Claim these events and queue their webhooks in one transaction.

    Returns (events claimed, deliveries queued). An event is sent to the active
    endpoints that wanted it and already existed when it happened: an endpoint added
    later does not receive the past day's events.
    """
    from .receivers import _cancellation_data, _renewal_data

    with transaction.atomic():
        claimed = webhook_emission_claim(source=CONTRACT_EVENT, source_ids=[e.pk for e in events])
        plan: list[tuple[ContractEvent, list[tuple[str, list[WebhookEndpoint]]]]] = []
        for event in events:
            if event.pk not in claimed:
                continue  # the receiver (or another sweep) queued it
            targets = [
                (event_type, wanting)
                for event_type in _webhook_types(event)
                if (
                    wanting := [
                        e for e in endpoints if e.wants(event_type) and e.created_at <= event.at
                    ]
                )
            ]
            if targets:
                plan.append((event, targets))
        contracts = _contracts_data(
            {event.contract_id for event, targets in plan if targets[0][0].startswith("contract.")}
        )
        now = timezone.now()
        deliveries: list[WebhookDelivery] = []
        for event, targets in plan:
            first = targets[0][0]
            payload = event.payload or {}
            data: dict[str, Any] | None
            if first.startswith("contract."):
                contract = contracts.get(event.contract_id)
                data = contract and {
                    "contract": contract,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "contract_event_id": event.pk,
                }
            elif first.startswith("renewal."):
                data = _renewal_data(payload.get("case"), event.contract_id)
            else:
                data = _cancellation_data(payload.get("request"))
            if data is None:
                continue  # the object is gone: the receiver would have sent nothing either
            for event_type, wanting in targets:
                event_id = uuid.uuid4()
                body = _body(event_id=event_id, event_type=event_type, data=data, at=now)
                deliveries.extend(
                    WebhookDelivery(
                        endpoint=endpoint,
                        event_id=event_id,
                        event_type=event_type,
                        body=body,
                        next_attempt_at=now,
                    )
                    for endpoint in wanting
                )
        created = WebhookDelivery.objects.bulk_create(deliveries)
        ids = [d.pk for d in created]
        if ids:
            transaction.on_commit(lambda: webhooks._enqueue(ids))
    return len(claimed), len(ids)


def webhooks_catch_up(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Queue the webhooks of recent contract events that no receiver queued.

    Looks at ``ContractEvent`` rows between the window's start (24 h) and the grace
    period (2 min) without a marker. The query walks the index on ``ContractEvent.at``
    over the window only and checks each row against the marker's unique index (an
    anti-join), so its cost follows the number of events of the last day, not the
    millions of rows in the table.
    """
    from .receivers import CONTRACT_EVENTS, TIMELINE_EVENTS

    now = now or timezone.now()
    window = catch_up_window()
    purged, _ = WebhookEmission.objects.filter(
        created_at__lt=now - window - dt.timedelta(days=1)
    ).delete()
    subscribed = webhooks._subscribed_events()  # read once (the cache of webhook_subscribed)
    everything = "*" in subscribed
    status_subscribed = everything or bool(
        subscribed & {"contract.status_changed", *CONTRACT_EVENTS.values()}
    )
    timeline_kinds = [
        kind for kind, name in TIMELINE_EVENTS.items() if everything or name in subscribed
    ]
    if not status_subscribed and not timeline_kinds:
        return {"events": 0, "queued": 0, "purged": purged}
    wanted = Q(kind__in=timeline_kinds)
    if status_subscribed:
        wanted |= ~Q(from_status="") & ~Q(to_status="")
    marked = WebhookEmission.objects.filter(source=CONTRACT_EVENT, source_id=OuterRef("pk"))
    events = list(
        ContractEvent.objects.filter(at__gte=now - window, at__lte=now - catch_up_grace())
        .filter(wanted)
        .filter(~Exists(marked))
        .only("id", "contract_id", "kind", "from_status", "to_status", "payload", "at")
        .order_by("at", "id")[:limit]
    )
    if not events:
        return {"events": 0, "queued": 0, "purged": purged}
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    try:
        claimed, queued = _emit(events, endpoints)
    except Exception:
        # One event whose payload cannot be built must not hold back the others.
        logger.exception("webhook catch-up batch failed; trying its events one by one")
        claimed = queued = 0
        for event in events:
            try:
                one_claimed, one_queued = _emit([event], endpoints)
            except Exception:
                logger.exception("could not queue webhooks for contract event %s", event.pk)
                continue
            claimed += one_claimed
            queued += one_queued
    if claimed:
        logger.info("webhook catch-up: %s events, %s deliveries queued", claimed, queued)
    return {"events": claimed, "queued": queued, "purged": purged}
