"""Signal receivers: a CSAT survey after a renewal or a cancellation."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from contracts.services import contract_status_changed

logger = logging.getLogger(__name__)


@receiver(contract_status_changed, dispatch_uid="insights.surveys.contract_status_changed")
def on_contract_status_changed(
    sender: Any, *, contract_id: int, to_status: str, **kwargs: Any
) -> None:
    from .surveys import on_contract_status_changed as survey_trigger

    try:
        survey_trigger(contract_id=contract_id, to_status=to_status)
    except Exception:
        # Runs after the contract's transaction committed: a survey problem must never
        # surface as an error of the renewal or cancellation itself.
        logger.exception("satisfaction survey for contract %s not sent", contract_id)
