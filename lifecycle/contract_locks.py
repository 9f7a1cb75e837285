"""Row locks for the end-of-term processing, always in one order: a contract's renewal
case first, then the contract (as ``renewals.services`` takes them), and for a chunk all
cases, then all contracts, each by contract id. Two chunks that overlap queue on the
locks; they never deadlock."""

from __future__ import annotations

from contracts.models import Contract
from renewals.models import RenewalCase


def contract_lock(contract_id: int) -> Contract:
    """One contract, locked, with the customer, plan and owner an auto-renewal reads."""
    list(RenewalCase.objects.select_for_update().filter(contract_id=contract_id).values_list("pk"))
    # of=self: the joined customer, plan and owner are read, not locked.
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer", "plan", "owner")
        .get(pk=contract_id)
    )


def contracts_lock(ids: list[int]) -> list[Contract]:
    """A chunk of contracts, locked, in id order (one id is a chunk of one)."""
    list(
        RenewalCase.objects.select_for_update()
        .filter(contract_id__in=ids)
        .order_by("contract_id")
        .values_list("pk")
    )
    return list(Contract.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
