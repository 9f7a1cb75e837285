"""The daily renewal-reminder sweep (docs/product.md §4).

The rule for a day: a contract with N days left (1 ≤ N ≤ its largest offset) is due for
the smallest offset ≥ N; it gets that reminder unless it already has it, and nothing for
larger offsets it missed. Catching up after downtime therefore sends one reminder, marked
late when N is below its offset.

Exactly once per (contract term, offset, channel, recipient) is enforced by PostgreSQL:
``Message.dedupe_key`` is unique (and so is the tuple, see the model's constraint), and
rows are inserted with ON CONFLICT DO NOTHING, so two sweeps running at once, two beats
or a redelivered task all end with one row. The sweep is set-based: one query streams the
window (in the order of the partial index ``contract_active_end``) with each contract's due
offset and whether it already has it; the contracts still missing it are processed in
batches with a fixed number of queries per batch, and memory is flat in the number of
contracts (see sweep.py).
"""

from __future__ import annotations

from .content import (
    LINK_PURPOSES,
    portal_action_url,
    reminder_context,
    reminder_context_for_contract,
    reminder_context_for_message,
)
from .rules import ESCALATION_DAYS, RuleBook, due_offset, reminder_dedupe_key
from .sweep import SIGNED_SUCCESSOR, SweepSummary, reminders_sweep

__all__ = [
    "ESCALATION_DAYS",
    "LINK_PURPOSES",
    "SIGNED_SUCCESSOR",
    "RuleBook",
    "SweepSummary",
    "due_offset",
    "portal_action_url",
    "reminder_context",
    "reminder_context_for_contract",
    "reminder_context_for_message",
    "reminder_dedupe_key",
    "reminders_sweep",
]
