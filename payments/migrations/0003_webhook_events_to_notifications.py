# The generic payment webhook became an adapter of the payments pipeline: its deliveries are
# logged in ProviderNotification (provider "generic") from now on. The deliveries accepted
# before are copied there, so that a replay of one is still answered "duplicate" by the
# unique (provider, event_id). billing.WebhookEvent keeps its rows (history) and is no longer
# written.

from django.db import migrations
from django.db.models import Case, Value, When

BATCH = 500


def _payload(event):
    payload = event.payload if isinstance(event.payload, dict) else {}
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    is_payment = event.event_type == "payment.succeeded"
    return {
        "kind": "payment" if is_payment else "ignored",
        "reference": str(data.get("invoice", ""))[:100] if is_payment else "",
        "outcome": "succeeded" if is_payment else "pending",
        "transaction_id": str(data.get("reference") or event.event_id)[:100] if is_payment else "",
        "amount": str(data["amount"]) if is_payment and "amount" in data else None,
        "currency": str(data.get("currency", ""))[:3],
        "detail": "copied from billing.WebhookEvent",
        "mandate": {},
        "raw": {"type": event.event_type, "data": data},
    }


def copy_webhook_events(apps, schema_editor):
    WebhookEvent = apps.get_model("billing", "WebhookEvent")
    ProviderNotification = apps.get_model("payments", "ProviderNotification")
    events = WebhookEvent.objects.order_by("pk")
    last = 0
    while True:
        batch = list(events.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        rows = []
        for event in batch:
            payload = _payload(event)
            rows.append(
                ProviderNotification(
                    provider="generic",
                    event_id=event.event_id,
                    kind=payload["kind"],
                    reference=payload["reference"],
                    outcome=payload["outcome"],
                    payload=payload,
                    result=event.result,
                )
            )
        # ignore_conflicts: running it again (or after a delivery already logged) adds
        # nothing.
        ProviderNotification.objects.bulk_create(rows, ignore_conflicts=True)
        # received_at is auto_now_add: set it to when the delivery really came.
        ProviderNotification.objects.filter(
            provider="generic", event_id__in=[e.event_id for e in batch]
        ).update(
            received_at=Case(
                *(When(event_id=e.event_id, then=Value(e.received_at)) for e in batch),
                default="received_at",
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("payments", "0002_refunds_and_mandates"),
    ]

    operations = [
        migrations.RunPython(copy_webhook_events, migrations.RunPython.noop),
    ]
