"""The end-of-term rules that change many contracts at once: a scheduled term starts, an
ended term with a successor is renewed, an ended term without one expires.

Each rule is one function over a list of contract ids: it locks them
(``contracts_lock``), keeps those the rule applies to and changes them through
``contract_states.contracts_transition_locked`` (one UPDATE, one INSERT of events). The
per-contract path is the same function with one id (``lifecycle.contract_ends`` redoes a
failed chunk that way), so the batch and the single path cannot disagree.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from contracts import contract_states
from contracts.models import Contract, ContractStatus
from renewals import services as renewal_services
from renewals.models import RenewalCase

from .contract_locks import contracts_lock

S = ContractStatus
# A successor in one of these statuses means the contract was renewed (signed at least).
SUCCESSOR_TAKES_OVER = (S.AWAITING_PAYMENT, S.SCHEDULED, S.ACTIVE)


def successors_taking_over(ids: list[int]) -> dict[int, Contract]:
    """Predecessor id → its successor in a status that takes over (one at most each)."""
    found = Contract.objects.filter(predecessor_id__in=ids, status__in=SUCCESSOR_TAKES_OVER).only(
        "id", "number", "status", "predecessor_id"
    )
    return {s.predecessor_id: s for s in found if s.predecessor_id is not None}


def activation_reason(as_of: dt.date) -> str:
    return _("The term started on %(day)s") % {"day": as_of}


def expiry_reason() -> str:
    return _("The term ended without a renewal")


def terms_start(ids: list[int], as_of: dt.date) -> int:
    """Scheduled contracts whose start date came become active. Returns how many."""
    with transaction.atomic():
        due = [c for c in contracts_lock(ids) if c.status == S.SCHEDULED and c.start_date <= as_of]
        contract_states.contracts_transition_locked(
            contracts=due, change=contract_states.ACTIVATE, reason=activation_reason(as_of)
        )
        return len(due)


def terms_renewed(ids: list[int], as_of: dt.date) -> int:
    """Active contracts whose term is over and that have a signed successor become
    renewed; their renewal case is won. Returns how many."""
    with transaction.atomic():
        ended = [c for c in contracts_lock(ids) if c.status == S.ACTIVE and c.end_date < as_of]
        successors = successors_taking_over([c.pk for c in ended])
        due = [c for c in ended if c.pk in successors]
        contract_states.contracts_transition_locked(
            contracts=due,
            change=contract_states.MARK_RENEWED,
            payload=lambda c: contract_states.renewed_payload(successors[c.pk]),
        )
        for case in RenewalCase.objects.filter(contract__in=due).order_by("contract_id"):
            renewal_services.case_mark_won(case=case)
        return len(due)


def terms_expire(ids: list[int], as_of: dt.date) -> int:
    """Active contracts whose term is over and that have no successor taking over
    expire, and their open renewal cases are closed as lost. Returns how many."""
    with transaction.atomic():
        ended = [c for c in contracts_lock(ids) if c.status == S.ACTIVE and c.end_date < as_of]
        renewed = successors_taking_over([c.pk for c in ended])
        due = [c for c in ended if c.pk not in renewed]
        contract_states.contracts_transition_locked(
            contracts=due, change=contract_states.EXPIRE, reason=expiry_reason()
        )
        # Their renewal cases still open are lost ("no response" when never answered).
        renewal_services.cases_lose_at_term_end(contract_ids=[c.pk for c in due])
        return len(due)
