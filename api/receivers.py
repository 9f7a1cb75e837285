"""Same-app signal receivers: saving or deleting a webhook endpoint makes every process
read the subscribed events again (``api.webhooks``). Reactions to other apps' events are
not signals: they are declared in ``lifecycle/subscriptions.py`` (the webhooks are in
``api.webhook_reactions``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import WebhookEndpoint
from .webhooks import webhook_subscriptions_changed


@receiver(post_save, sender=WebhookEndpoint, dispatch_uid="api.webhooks.endpoint_saved")
@receiver(post_delete, sender=WebhookEndpoint, dispatch_uid="api.webhooks.endpoint_deleted")
def on_endpoint_changed(sender: Any, **kwargs: Any) -> None:
    # The cached union of subscribed events (api.webhooks) must be read again.
    webhook_subscriptions_changed()
