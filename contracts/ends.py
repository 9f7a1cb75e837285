"""End-of-term processing: what happens to contracts on a given business date.

``process_contract_ends(as_of=...)`` is run daily by Celery beat and by the operator's
``process_contract_ends`` command. In order:

1. scheduled contracts whose start date came become active;
2. cancellations due by that date are completed (the retention app decides which);
3. active contracts ending by that date with auto-renew on, a valid consent and a
   delivered renewal notice renew into a successor at the then-current price (starting
   the day after the end, invoiced, confirmed to the customer); without a delivered
   notice nothing renews silently: the renewal case is flagged and the customer told;
4. active contracts whose term is over and that have a signed successor become renewed;
5. the remaining active contracts whose term is over expire.

A contract whose renewal (step 3 or 4) fails with an error is *held*: left as it is for
the rest of the run (neither renewed nor expired: an error is not a decision not to
renew), named in the report (``renewal_failed``) and retried by the next run. Its
half-made successor goes with the transaction that failed.

Selection is set-based (ids in batches over the status/end-date indexes), then handled
in chunks: each contract is locked (renewal case, then contract) and re-checked before it
changes, so running it twice, or twice at the same time, changes nothing the second
time: one successor per contract (Contract.predecessor is also one-to-one in the
database). Activation, mark-renewed and expiry lock a whole chunk in one transaction and
change it set-based (redone one contract per transaction if anything in it fails); an
auto-renewal is its own transaction. ``process_contract_ends_fan_out`` shares the chunks
of each step with Celery workers, step after step (docs/scaling.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services as contract_services
from .models import AutoRenewConsent, Contract, ContractStatus

log = logging.getLogger(__name__)

S = ContractStatus
BATCH_SIZE = 500
# A successor in one of these statuses means the contract was renewed (signed at least).
SUCCESSOR_TAKES_OVER = (S.AWAITING_PAYMENT, S.SCHEDULED, S.ACTIVE)


@dataclass
class EndsReport:
    as_of: dt.date
    activated: int = 0
    cancellations_completed: int = 0
    auto_renewed: int = 0
    auto_renew_blocked: int = 0
    renewed: int = 0
    expired: int = 0
    errors: list[str] = field(default_factory=list)
    # Held contracts (id -> number): their renewal failed with an error in this run.
    renewal_failed: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "activated": self.activated,
            "cancellations_completed": self.cancellations_completed,
            "auto_renewed": self.auto_renewed,
            "auto_renew_blocked": self.auto_renew_blocked,
            "renewed": self.renewed,
            "expired": self.expired,
            "errors": len(self.errors),
            "renewal_failed": sorted(self.renewal_failed.values()),
        }


def _id_batches(qs: QuerySet[Contract], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    ids = qs.order_by("id").values_list("id", flat=True)
    last = 0
    while True:
        batch = list(ids.filter(id__gt=last)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1]


def _contract_number(contract_id: int) -> str:
    """For the report, after an error: the database may be what failed."""
    try:
        number = Contract.objects.filter(pk=contract_id).values_list("number", flat=True).first()
    except Exception:  # noqa: BLE001 - the id is enough to find it
        number = None
    return number or f"#{contract_id}"


def _each(
    report: EndsReport, ids: list[int], handle: Callable[[int], bool], *, hold: bool = False
) -> int:
    """One contract at a time, each in its own transaction: errors stay per contract.
    ``hold``: a contract whose handling failed is a renewal that failed; the later steps
    of the run leave it alone (see ``step_chunks``)."""
    done = 0
    for contract_id in ids:
        try:
            # Counted once handle's transaction has committed: it returns after that.
            done += int(handle(contract_id))
        except Exception as exc:  # one bad contract must not stop the sweep
            log.exception("process_contract_ends failed for contract %s", contract_id)
            report.errors.append(f"{contract_id}: {exc}")
            if hold:
                report.renewal_failed[contract_id] = _contract_number(contract_id)
    return done


def _batched(
    report: EndsReport,
    ids: list[int],
    batch: Callable[[list[int]], int],
    handle: Callable[[int], bool],
    *,
    hold: bool = False,
) -> int:
    """A chunk in one transaction (its rows locked together, set-based reads); if
    anything in it fails, the chunk is rolled back and redone one contract at a time,
    so that a bad contract is reported alone and does not hold the others back."""
    try:
        return batch(ids)
    except Exception:
        log.warning("process_contract_ends: chunk of %s contracts redone one by one", len(ids))
        return _each(report, ids, handle, hold=hold)


def _lock(contract_id: int) -> Contract:
    # Lock order as in renewals.services: the renewal case first, then the contract.
    from renewals.models import RenewalCase

    list(RenewalCase.objects.select_for_update().filter(contract_id=contract_id).values_list("pk"))
    # of=self: the joined customer, plan and owner are read, not locked.
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer", "plan", "owner")
        .get(pk=contract_id)
    )


def _lock_many(ids: list[int]) -> list[Contract]:
    """Row locks on a chunk, in the same order as ``_lock`` (all cases, then all
    contracts, each by contract id: two chunks that overlap queue, never deadlock)."""
    from renewals.models import RenewalCase

    list(
        RenewalCase.objects.select_for_update()
        .filter(contract_id__in=ids)
        .order_by("contract_id")
        .values_list("pk")
    )
    return list(Contract.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def renewal_notice_was_delivered(contract: Contract) -> bool:
    """Asks the notifications app. Without it we cannot prove a notice: do not renew."""
    try:
        from notifications.selectors import renewal_notice_delivered
    except ImportError:
        log.warning("notifications.selectors.renewal_notice_delivered missing: no auto-renewal")
        return False
    return bool(renewal_notice_delivered(contract=contract))


def _latest_consent(contract: Contract) -> AutoRenewConsent | None:
    return contract.consents.order_by("-at", "-id").first()


def has_valid_consent(contract: Contract) -> bool:
    latest = _latest_consent(contract)
    return bool(latest and latest.enabled)


# --- 1. activation ---------------------------------------------------------------------


def _activation_reason(as_of: dt.date) -> str:
    return _("The term started on %(day)s") % {"day": as_of}


def _activate(as_of: dt.date) -> Callable[[int], bool]:
    def handle(contract_id: int) -> bool:
        with transaction.atomic():
            contract = _lock(contract_id)
            if contract.status != S.SCHEDULED or contract.start_date > as_of:
                return False
            contract_services.contract_activate(contract=contract, reason=_activation_reason(as_of))
            return True

    return handle


def _activate_batch(as_of: dt.date) -> Callable[[list[int]], int]:
    def batch(ids: list[int]) -> int:
        with transaction.atomic():
            due = [c for c in _lock_many(ids) if c.status == S.SCHEDULED and c.start_date <= as_of]
            # As contract_activate, for rows locked here.
            contract_services.contracts_transition_locked(
                contracts=due,
                to=S.ACTIVE,
                kind="activated",
                reason=_activation_reason(as_of),
                expect_from=[S.SCHEDULED, S.AWAITING_PAYMENT],
            )
            return len(due)

    return batch


# --- 3. automatic renewal --------------------------------------------------------------


def successor_term_end(start: dt.date, months: int) -> dt.date:
    """The last day of the successor's term (billing.services.term_end, the one rule that
    quotes follow too)."""
    from billing.services import term_end

    return term_end(start, months)


_RENEWED, _BLOCKED = "renewed", "blocked"


def _auto_renew(report: EndsReport, as_of: dt.date) -> Callable[[int], bool]:
    from billing.services import invoice_plan_issue
    from renewals import services as renewal_services
    from renewals.messaging import message_to_customer
    from renewals.selectors import term_months

    def renew(contract_id: int) -> str:
        """_RENEWED, _BLOCKED or "" (nothing to do); inside handle's transaction."""
        contract = _lock(contract_id)
        if contract.status != S.ACTIVE or not contract.auto_renew or contract.end_date > as_of:
            return ""
        # The latest consent row decides (read under the contract's lock, which
        # contract_set_auto_renew takes too); it is also what the successor inherits.
        consent = _latest_consent(contract)
        if not (consent and consent.enabled):
            return ""
        existing = Contract.objects.filter(predecessor=contract).first()
        if existing is not None and existing.status in SUCCESSOR_TAKES_OVER:
            return ""  # renewed by hand already; step 4 ends this one
        if not renewal_notice_was_delivered(contract):
            renewal_services.case_open_for_blocked_auto_renewal(contract=contract)
            return _BLOCKED
        # Without any successor there is nothing to void (the call would only look).
        if existing is not None and not renewal_services.successor_void_if_unsigned(
            predecessor=contract
        ):
            return ""
        start = contract.end_date + dt.timedelta(days=1)
        months = term_months(contract.start_date, contract.end_date)
        lines = renewal_services.renewal_lines_at_current_prices(
            contract=contract, start=start, months=months
        )
        successor = contract_services.contract_create_draft(
            customer=contract.customer,
            by=None,
            start_date=start,
            end_date=successor_term_end(start, months),
            lines=[
                contract_services.LineSpec(
                    description=s.description,
                    quantity=s.quantity,
                    unit_price=s.unit_price,
                    plan=s.plan,
                )
                for s in lines
            ],
            plan=contract.plan,
            owner=contract.owner,
            billing_period=contract.billing_period,
            currency=contract.currency,
            terms_version=contract.terms_version,
            notice_period_days=contract.notice_period_days,
            predecessor=contract,
        )
        # No signature: the consent the customer gave is the agreement. The successor
        # goes through the same statuses as a signed one, each with its event. It was
        # created in this transaction (nobody else sees it) and the predecessor is
        # locked above, so the transitions need no second lock.
        transition = contract_services.contracts_transition_locked
        transition(contracts=[successor], to=S.AWAITING_SIGNATURE, kind="auto_renewal")
        transition(
            contracts=[successor],
            to=S.AWAITING_PAYMENT,
            kind="signed",
            reason=_("Renewed automatically under the customer's consent"),
            payload={"consent_id": consent.pk, "automatic": True},
            updates={"signed_at": consent.at},
        )
        # Auto-renew stays on for the new term, with its own consent row pointing back.
        contract_services.contract_set_auto_renew(
            contract=successor,
            enabled=True,
            by=None,
            channel=consent.channel,
            text=consent.text,
            text_version=consent.text_version,
        )
        # The successor starts the day after the end whether or not it is paid yet.
        if start <= as_of:
            # As contract_activate and contract_mark_renewed.
            transition(
                contracts=[successor],
                to=S.ACTIVE,
                kind="activated",
                reason=_("Auto-renewal"),
                expect_from=[S.SCHEDULED, S.AWAITING_PAYMENT],
            )
            transition(
                contracts=[contract],
                to=S.RENEWED,
                kind="renewed",
                payload={"successor": successor.number},
                updates={"ended_at": timezone.now()},
            )
        else:
            transition(contracts=[successor], to=S.SCHEDULED, kind="scheduled")
        invoices = invoice_plan_issue(
            contract=successor, installments=1, first_due_date=max(start, as_of)
        )
        contract_services.event_record(
            contract=contract,
            kind="auto_renewed",
            payload={"successor": successor.number, "total": str(successor.total_amount)},
        )
        renewal_services.case_attach_auto_renewal(predecessor=contract, successor=successor)
        message_to_customer(
            kind="auto_renewal_confirmation",
            customer=contract.customer,
            contract=successor,
            context={
                "contract_number": contract.number,
                "successor_number": successor.number,
                "start_date": successor.start_date.isoformat(),
                "end_date": successor.end_date.isoformat(),
                "total": str(successor.total_amount),
                "currency": successor.currency,
                "invoice_number": invoices[0].number if invoices else "",
            },
            dedupe_key=f"auto-renewal-confirmation:{successor.pk}",
        )
        return _RENEWED

    def handle(contract_id: int) -> bool:
        # One transaction per contract (a savepoint inside a caller's transaction): if
        # anything fails, the successor, its invoice and every other write go with it.
        with transaction.atomic():
            outcome = renew(contract_id)
        # Counted after the commit: a transaction that fails to commit counts nothing.
        if outcome == _BLOCKED:
            report.auto_renew_blocked += 1
        return outcome == _RENEWED

    return handle


# --- 4./5. end of term -----------------------------------------------------------------


def _successors_taking_over(ids: list[int]) -> dict[int, Contract]:
    """Predecessor id → its successor in a status that takes over (one at most each)."""
    return {
        s.predecessor_id: s
        for s in Contract.objects.filter(
            predecessor_id__in=ids, status__in=SUCCESSOR_TAKES_OVER
        ).only("id", "number", "status", "predecessor_id")
    }


def _mark_renewed(as_of: dt.date) -> Callable[[int], bool]:
    from renewals.models import RenewalCase
    from renewals.services import case_mark_won

    def handle(contract_id: int) -> bool:
        with transaction.atomic():
            contract = _lock(contract_id)
            successor = Contract.objects.filter(
                predecessor=contract, status__in=SUCCESSOR_TAKES_OVER
            ).first()
            if contract.status != S.ACTIVE or contract.end_date >= as_of or successor is None:
                return False
            contract_services.contract_mark_renewed(contract=contract, successor=successor)
            case = RenewalCase.objects.filter(contract=contract).first()
            if case is not None:
                case_mark_won(case=case)
            return True

    return handle


def _mark_renewed_batch(as_of: dt.date) -> Callable[[list[int]], int]:
    from renewals.models import RenewalCase
    from renewals.services import case_mark_won

    def batch(ids: list[int]) -> int:
        with transaction.atomic():
            ended = [c for c in _lock_many(ids) if c.status == S.ACTIVE and c.end_date < as_of]
            successors = _successors_taking_over([c.pk for c in ended])
            due = [c for c in ended if c.pk in successors]
            # As contract_mark_renewed, for rows locked here.
            contract_services.contracts_transition_locked(
                contracts=due,
                to=S.RENEWED,
                kind="renewed",
                payload=lambda c: {"successor": successors[c.pk].number},
                updates={"ended_at": timezone.now()},
            )
            for case in RenewalCase.objects.filter(contract__in=due).order_by("contract_id"):
                case_mark_won(case=case)
            return len(due)

    return batch


def _expiry_reason() -> str:
    return _("The term ended without a renewal")


def _expire(as_of: dt.date) -> Callable[[int], bool]:
    def handle(contract_id: int) -> bool:
        with transaction.atomic():
            contract = _lock(contract_id)
            if contract.status != S.ACTIVE or contract.end_date >= as_of:
                return False
            if Contract.objects.filter(
                predecessor=contract, status__in=SUCCESSOR_TAKES_OVER
            ).exists():
                return False
            contract_services.contract_expire(contract=contract, reason=_expiry_reason())
            return True

    return handle


def _expire_batch(as_of: dt.date) -> Callable[[list[int]], int]:
    def batch(ids: list[int]) -> int:
        with transaction.atomic():
            ended = [c for c in _lock_many(ids) if c.status == S.ACTIVE and c.end_date < as_of]
            renewed = _successors_taking_over([c.pk for c in ended])
            due = [c for c in ended if c.pk not in renewed]
            # As contract_expire, for rows locked here.
            contract_services.contracts_transition_locked(
                contracts=due,
                to=S.EXPIRED,
                kind="expired",
                reason=_expiry_reason(),
                updates={"ended_at": timezone.now()},
            )
            return len(due)

    return batch


def _complete_cancellations(report: EndsReport, as_of: dt.date) -> None:
    try:
        from retention.services import cancellations_complete_due
    except ImportError:
        log.warning("retention.services.cancellations_complete_due missing: skipped")
        return
    try:
        result = cancellations_complete_due(as_of=as_of)
    except Exception as exc:
        log.exception("cancellations_complete_due failed")
        report.errors.append(f"cancellations: {exc}")
        return
    if isinstance(result, int):
        report.cancellations_completed = result
    elif isinstance(result, list | tuple | set):
        report.cancellations_completed = len(result)


# --- the steps, in order -----------------------------------------------------------------

# Contracts per transaction (and per fan-out task). An auto-renewal writes a successor,
# its lines, invoice and messages: small chunks keep each task short.
CHUNK_SIZE = 100
AUTO_RENEW_CHUNK_SIZE = 25

# Step name → report field. "cancellations" is the retention app's own set-based pass.
STEPS: tuple[tuple[str, str], ...] = (
    ("activate", "activated"),
    ("cancellations", "cancellations_completed"),
    ("auto_renew", "auto_renewed"),
    # Successors that auto-renewal scheduled for a start date that already came.
    ("activate_scheduled", "activated"),
    ("mark_renewed", "renewed"),
    ("expire", "expired"),
)
STEP_FIELDS = dict(STEPS)


def step_queryset(step: str, as_of: dt.date) -> QuerySet[Contract]:
    """What a step selects (set-based, over the status/end-date indexes)."""
    if step in ("activate", "activate_scheduled"):
        return Contract.objects.filter(status=S.SCHEDULED, start_date__lte=as_of)
    if step == "auto_renew":
        return Contract.objects.filter(status=S.ACTIVE, end_date__lte=as_of, auto_renew=True)
    if step == "mark_renewed":
        return Contract.objects.filter(
            status=S.ACTIVE, end_date__lt=as_of, successor__status__in=SUCCESSOR_TAKES_OVER
        )
    if step == "expire":
        return Contract.objects.filter(status=S.ACTIVE, end_date__lt=as_of)
    raise ValueError(f"unknown step {step}")


def step_chunks(step: str, as_of: dt.date, *, held: Collection[int] = ()) -> Iterator[list[int]]:
    """The ids a step selects, in chunks, without the ``held`` ones (renewals that failed
    earlier in the run: an error must not let the expiry step end them)."""
    size = AUTO_RENEW_CHUNK_SIZE if step == "auto_renew" else CHUNK_SIZE
    for batch in _id_batches(step_queryset(step, as_of)):
        ids = [i for i in batch if i not in held]
        for i in range(0, len(ids), size):
            yield ids[i : i + size]


def step_run_chunk(step: str, as_of: dt.date, ids: list[int], report: EndsReport) -> int:
    """Handle one chunk of a step: every contract is locked and re-checked first, so a
    chunk may run anywhere, twice, or at the same time as another run of the same day.
    Adds to the report's counters, errors and held contracts; returns how many contracts
    it changed."""
    if step in ("activate", "activate_scheduled"):
        done = _batched(report, ids, _activate_batch(as_of), _activate(as_of))
    elif step == "auto_renew":
        done = _each(report, ids, _auto_renew(report, as_of), hold=True)
    elif step == "mark_renewed":
        done = _batched(report, ids, _mark_renewed_batch(as_of), _mark_renewed(as_of), hold=True)
    elif step == "expire":
        done = _batched(report, ids, _expire_batch(as_of), _expire(as_of))
    else:
        raise ValueError(f"unknown step {step}")
    field_name = STEP_FIELDS[step]
    setattr(report, field_name, getattr(report, field_name) + done)
    return done


def process_contract_ends(*, as_of: dt.date) -> EndsReport:
    """Everything that is due on ``as_of`` at the end (or start) of a term. Idempotent."""
    report = EndsReport(as_of=as_of)
    for step, _field in STEPS:
        if step == "cancellations":
            _complete_cancellations(report, as_of)
            continue
        for ids in step_chunks(step, as_of, held=report.renewal_failed):
            step_run_chunk(step, as_of, ids, report)
    log.info("process_contract_ends %s", report.as_dict())
    return report


# --- fan-out over Celery workers -----------------------------------------------------------
#
# The coordinator (the daily task, or the command with --fan-out) goes through the steps
# in order. For each step it selects the ids, sends one task per chunk, then works on
# the chunks nobody has taken yet itself and waits until every chunk is done before it
# selects the next step (auto-renewal must be over before expiry looks, and the renewals
# that failed in a worker are held from the later steps). Claims and results go through
# the shared cache (Redis): a chunk is claimed with cache.add, so it normally runs once;
# if the cache forgets (restart) a chunk runs twice, which the row locks and re-checks
# make harmless. A chunk not done after CHUNK_STALE_SECONDS
# (a worker died holding it) is done by the coordinator itself.

CHUNK_STALE_SECONDS = 300
FAN_OUT_POLL_SECONDS = 0.5
_KEY_SECONDS = 2 * 24 * 3600


def fan_out_possible() -> bool:
    """Workers can only report back through a cache they share with the coordinator."""
    from django.conf import settings

    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return True  # chunk tasks run in this process
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return not backend.endswith(("LocMemCache", "DummyCache"))


def _chunk_key(run: str, step: str, index: int, what: str) -> str:
    return f"renewdesk:ends:{run}:{step}:{index}:{what}"


def chunk_claim_and_run(*, run: str, step: str, as_of: dt.date, index: int, ids: list[int]) -> bool:
    """A worker's part: run the chunk unless somebody claimed it already."""
    from django.core.cache import cache

    if not cache.add(_chunk_key(run, step, index, "claim"), 1, _KEY_SECONDS):
        return False
    _chunk_run_and_record(run=run, step=step, as_of=as_of, index=index, ids=ids)
    return True


def _chunk_run_and_record(
    *, run: str, step: str, as_of: dt.date, index: int, ids: list[int]
) -> dict[str, Any]:
    from django.core.cache import cache

    part = EndsReport(as_of=as_of)
    done = step_run_chunk(step, as_of, ids, part)
    result = {
        "done": done,
        "blocked": part.auto_renew_blocked,
        "errors": part.errors,
        "renewal_failed": part.renewal_failed,
    }
    cache.set(_chunk_key(run, step, index, "done"), result, _KEY_SECONDS)
    return result


def _dispatch_chunk(run: str, step: str, as_of: dt.date, index: int, ids: list[int]) -> None:
    from .tasks import process_contract_ends_chunk_task

    process_contract_ends_chunk_task.delay(run, step, as_of.isoformat(), index, ids)


def process_contract_ends_fan_out(
    *,
    as_of: dt.date,
    dispatch: Callable[[str, str, dt.date, int, list[int]], None] | None = None,
    stale_seconds: float = CHUNK_STALE_SECONDS,
) -> EndsReport:
    """``process_contract_ends`` with the chunks of each step shared with Celery workers.
    Same result and report; without a shared cache it simply runs synchronously."""
    import time
    import uuid

    from django.core.cache import cache

    if not fan_out_possible():
        return process_contract_ends(as_of=as_of)
    dispatch = dispatch or _dispatch_chunk
    run = uuid.uuid4().hex
    report = EndsReport(as_of=as_of)
    for step, field_name in STEPS:
        if step == "cancellations":
            _complete_cancellations(report, as_of)
            continue
        # Renewals that failed in an earlier step (merged below) are held from here on.
        chunks = list(step_chunks(step, as_of, held=report.renewal_failed))
        if len(chunks) <= 1:  # nothing to share
            for ids in chunks:
                step_run_chunk(step, as_of, ids, report)
            continue
        for index, ids in enumerate(chunks):
            try:
                dispatch(run, step, as_of, index, ids)
            except Exception:  # broker down: the coordinator does the chunk itself below
                log.exception("process_contract_ends: chunk %s/%s not sent", step, index)
        results: dict[int, dict[str, Any]] = {}
        keys = {index: _chunk_key(run, step, index, "done") for index in range(len(chunks))}
        # Help: take every chunk no worker has claimed yet.
        for index, ids in enumerate(chunks):
            if cache.add(_chunk_key(run, step, index, "claim"), 1, _KEY_SECONDS):
                results[index] = _chunk_run_and_record(
                    run=run, step=step, as_of=as_of, index=index, ids=ids
                )
        # Wait for the workers' chunks; redo those whose worker seems gone.
        waited_since = time.monotonic()
        while len(results) < len(chunks):
            missing = {i: k for i, k in keys.items() if i not in results}
            found = cache.get_many(list(missing.values()))
            for index, key in missing.items():
                if key in found:
                    results[index] = found[key]
            if len(results) == len(chunks):
                break
            if time.monotonic() - waited_since > stale_seconds:
                for index in [i for i in keys if i not in results]:
                    log.warning("process_contract_ends: chunk %s/%s redone here", step, index)
                    results[index] = _chunk_run_and_record(
                        run=run, step=step, as_of=as_of, index=index, ids=chunks[index]
                    )
                break
            time.sleep(FAN_OUT_POLL_SECONDS)
        for result in results.values():
            setattr(report, field_name, getattr(report, field_name) + int(result["done"]))
            report.auto_renew_blocked += int(result.get("blocked", 0))
            report.errors.extend(result.get("errors", []))
            report.renewal_failed.update(result.get("renewal_failed", {}))
    log.info("process_contract_ends (fan-out) %s", report.as_dict())
    return report
