"""Signal receivers that turn domain events into webhook deliveries.

Each receiver runs after the commit of the change it reports (the signals are sent
from ``transaction.on_commit``), builds the payload with the API's own serializers
(so a webhook carries the same shape as ``GET`` on the object) and queues deliveries.
A failure here must never break the business action that already committed: it is
logged instead.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from contracts.models import Contract, ContractStatus
from contracts.services import contract_status_changed

from .webhooks import webhook_event_emit, webhook_subscribed

logger = logging.getLogger(__name__)

S = ContractStatus

# Status reached → the specific event (contract.status_changed is sent for every change).
CONTRACT_EVENTS = {
    S.AWAITING_SIGNATURE: "contract.sent_for_signature",
    S.AWAITING_PAYMENT: "contract.signed",
    S.ACTIVE: "contract.activated",
    S.RENEWED: "contract.renewed",
    S.EXPIRED: "contract.expired",
    S.TERMINATED: "contract.terminated",
    S.VOID: "contract.voided",
}


def _contract_data(contract_id: int) -> dict[str, Any] | None:
    from .serializers.contracts import ContractSerializer

    contract = (
        Contract.objects.select_related("customer", "plan", "owner", "terms_version", "predecessor")
        .prefetch_related("lines__plan")
        .filter(pk=contract_id)
        .first()
    )
    return dict(ContractSerializer(contract).data) if contract is not None else None


@receiver(contract_status_changed, dispatch_uid="api.webhooks.contract_status_changed")
def on_contract_status_changed(
    sender: Any,
    *,
    contract_id: int,
    from_status: str,
    to_status: str,
    event_id: int | None = None,
    **kwargs: Any,
) -> None:
    specific = CONTRACT_EVENTS.get(to_status)
    try:
        if not webhook_subscribed("contract.status_changed", *([specific] if specific else [])):
            return
        contract = _contract_data(contract_id)
        if contract is None:
            return
        data = {
            "contract": contract,
            "from_status": from_status,
            "to_status": to_status,
            "contract_event_id": event_id,
        }
        webhook_event_emit(event_type="contract.status_changed", data=data)
        if specific:
            webhook_event_emit(event_type=specific, data=data)
    except Exception:
        logger.exception("could not queue webhooks for contract %s", contract_id)
