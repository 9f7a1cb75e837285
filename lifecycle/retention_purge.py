"""The retention purge: deletes the records the compliance rules keep for a period, once
that period is over (docs/compliance.md, "Evidence and retention").

What it deletes, for one contract, and only when every condition holds:

- the contract's **consent records** (contracts.AutoRenewConsent: auto-renewal switches
  and automatic-payment consents, with their texts, IP addresses and user agents), except
  those a saved payment method (payments.PaymentMandate) still points to;
- the **delivery logs** of the messages about the contract (notifications.MessageAttempt:
  one row per delivery attempt with the provider's error). The messages themselves and
  their status events (the notice and its delivery proof) are kept.

The conditions: the contract and every successor in its renewal chain have ended (renewed,
expired, terminated or void: nothing live); at least one rule set of a contract in the
chain names a consent retention period (``RuleSet.consent_retention_years``; without one,
nothing is deleted); and the longest such period, never less than the product's own 3
years, has passed since the chain's last day. The period runs in whole years in the
customer's calendar, clamped at month ends: a chain that ended on 29 February 2028 with 3
years is kept until 28 February 2031 inclusive and purged from 1 March 2031.

Each run writes one lifecycle.RetentionPurge row (counts, and per contract what went) and
logs it. Running it twice is harmless: the second run finds nothing left.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from celery import shared_task
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from compliance.calendar import months_shift
from compliance.selectors import contract_ruleset_snapshot
from contracts.models import ENDED_STATUSES, AutoRenewConsent, Contract, ContractStatus
from notifications.models import MessageAttempt
from payments.models import PaymentMandate

from .models import RetentionPurge

logger = logging.getLogger(__name__)

# PRODUCT.md: the consent ledger is "kept at least 3 years", whatever a rule says.
MIN_CONSENT_RETENTION_YEARS = 3
# Not live: nothing will happen under it any more.
CLOSED_STATUSES = (*ENDED_STATUSES, ContractStatus.VOID)
BATCH_SIZE = 500
# A renewal chain longer than this is a data error: such a contract is left alone.
MAX_CHAIN = 200
# The run's row lists at most this many contracts (the counts are always complete).
DETAIL_LIMIT = 5000


@dataclass(frozen=True)
class Verdict:
    """Whether one contract's records may go on ``as_of``, and until when they are kept."""

    purge: bool
    keep_until: dt.date | None
    reason: str


def _end_day(contract: Contract) -> dt.date:
    """The contract's last day: its end date, or the day it really ended if later."""
    if contract.ended_at is not None:
        return max(contract.end_date, timezone.localdate(contract.ended_at))
    return contract.end_date


def _chain(contract: Contract) -> list[Contract] | None:
    """The contract and its successors, in order; None if the chain does not end."""
    chain = [contract]
    current = contract
    for _step in range(MAX_CHAIN):
        nxt = Contract.objects.filter(predecessor_id=current.pk).first()
        if nxt is None:
            return chain
        chain.append(nxt)
        current = nxt
    return None


def retention_verdict(contract: Contract, *, as_of: dt.date) -> Verdict:
    """The rule for one contract (the module docstring says it in words)."""
    chain = _chain(contract)
    if chain is None:
        return Verdict(False, None, "chain too long")
    if any(c.status not in CLOSED_STATUSES for c in chain):
        return Verdict(False, None, "live")
    named = [
        years
        for c in chain
        if (years := contract_ruleset_snapshot(c).consent_retention_years) is not None
    ]
    if not named:
        return Verdict(False, None, "no retention rule")
    years = max(max(named), MIN_CONSENT_RETENTION_YEARS)
    keep_until = months_shift(max(_end_day(c) for c in chain), 12 * years)
    return Verdict(as_of > keep_until, keep_until, "past" if as_of > keep_until else "kept")


def _candidates(as_of: dt.date) -> Iterable[list[int]]:
    """Ids of closed contracts that still have records to purge and ended long enough ago
    that the shortest possible period may be over, in batches. A purged contract has
    nothing left, so it is not read again the next day."""
    horizon = months_shift(as_of, -12 * MIN_CONSENT_RETENTION_YEARS)
    qs = (
        Contract.objects.filter(status__in=CLOSED_STATUSES, end_date__lt=horizon)
        .filter(
            Exists(AutoRenewConsent.objects.filter(contract_id=OuterRef("pk")))
            | Exists(MessageAttempt.objects.filter(message__contract_id=OuterRef("pk")))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    last = 0
    while True:
        ids = list(qs.filter(pk__gt=last)[:BATCH_SIZE])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _mandate_consent_ids() -> Q:
    # NOT IN over a column with NULLs matches nothing: leave the NULLs out.
    return Q(
        pk__in=PaymentMandate.objects.filter(consent_id__isnull=False).values("consent_id")
    ) | Q(
        pk__in=PaymentMandate.objects.filter(revoke_consent_id__isnull=False).values(
            "revoke_consent_id"
        )
    )


def _purge_one(contract: Contract) -> tuple[int, int, int]:
    """Delete one contract's consents and delivery logs: (consents, logs, consents kept)."""
    with transaction.atomic():
        consents = AutoRenewConsent.objects.filter(contract_id=contract.pk)
        kept = consents.filter(_mandate_consent_ids()).count()
        deleted, _ = consents.exclude(_mandate_consent_ids()).delete()
        logs, _ = MessageAttempt.objects.filter(message__contract_id=contract.pk).delete()
    return deleted, logs, kept


def retention_purge(*, as_of: dt.date) -> RetentionPurge:
    """Purge what is past its time on ``as_of`` (the business day); one row per run."""
    run = RetentionPurge.objects.create(as_of=as_of, started_at=timezone.now())
    detail: dict[str, dict[str, object]] = {}
    for ids in _candidates(as_of):
        for contract in Contract.objects.filter(pk__in=ids).order_by("pk"):
            run.contracts_examined += 1
            verdict = retention_verdict(contract, as_of=as_of)
            if not verdict.purge:
                continue
            consents, logs, kept = _purge_one(contract)
            run.consents_deleted += consents
            run.delivery_logs_deleted += logs
            run.consents_kept_for_mandates += kept
            if consents or logs:
                run.contracts_purged += 1
                logger.info(
                    "retention purge %s: contract %s kept until %s, deleted %s consent "
                    "record(s) and %s delivery log row(s)",
                    as_of,
                    contract.number,
                    verdict.keep_until,
                    consents,
                    logs,
                )
                if len(detail) < DETAIL_LIMIT:
                    detail[contract.number] = {
                        "consents": consents,
                        "delivery_logs": logs,
                        "kept_until": verdict.keep_until.isoformat()
                        if verdict.keep_until
                        else None,
                    }
    run.detail = {"contracts": detail, "truncated": run.contracts_purged > len(detail)}
    run.finished_at = timezone.now()
    run.save()
    logger.info(
        "retention purge %s: %s contract(s) examined, %s purged, %s consent record(s) and "
        "%s delivery log row(s) deleted, %s consent record(s) kept for a payment method",
        as_of,
        run.contracts_examined,
        run.contracts_purged,
        run.consents_deleted,
        run.delivery_logs_deleted,
        run.consents_kept_for_mandates,
    )
    return run


@shared_task(name="lifecycle.retention_purge.retention_purge_task")
def retention_purge_task() -> dict[str, object]:
    """Daily (beat, the sweeps queue): the purge for today in the business time zone."""
    run = retention_purge(as_of=timezone.localdate())
    return {
        "as_of": run.as_of.isoformat(),
        "consents_deleted": run.consents_deleted,
        "delivery_logs_deleted": run.delivery_logs_deleted,
    }
