"""What one reminder sweep did: the figures both sweeps (set-based and portable) fill in."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class SweepSummary:
    """What one sweep did. Every count but ``contracts_seen`` is of rows this run wrote
    (or found written): a rerun, or a sweep that a concurrent one beat to every insert,
    reports zeros however many contracts were due."""

    as_of: str = ""
    contracts_seen: int = 0  # contracts read: their schedule said due (not written)
    created: int = 0  # reminder messages inserted
    skipped: int = 0  # reminder messages due that existed already
    late: int = 0  # of ``created``, the late ones (catch-up after their offset day)
    tasks: int = 0  # staff tasks inserted, escalations included
    escalations: int = 0  # of ``tasks``, the escalations to a team lead
    statutory: int = 0  # statutory auto-renewal notices added (statutory.py)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
