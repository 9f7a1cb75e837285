"""Keep, per contract, the rules that applied when it was signed (docs/compliance.md).

A reaction to the contract's "signed", "paid" and "activated" events (lifecycle/
subscriptions.py), after the commit: ``compliance.services.contract_rules_capture`` writes
the snapshot once; a later event of the same contract finds it and changes nothing. An
automatic renewal's successor ("signed" with ``automatic`` in its payload) is captured
with the rules in force on its first day: its ``signed_at`` is the moment of the old
consent, not of the new agreement.
"""

from __future__ import annotations

from compliance.services import contract_rules_capture
from contracts.models import ContractEvent

# The events after which a contract's terms are agreed.
CAPTURE_KINDS = frozenset({"signed", "paid", "activated"})


def contract_rules_capture_on_event(event: ContractEvent) -> None:
    """Capture the contract's rules (idempotent)."""
    automatic = bool((event.payload or {}).get("automatic"))
    contract = event.contract
    contract_rules_capture(contract=contract, on=contract.start_date if automatic else None)
