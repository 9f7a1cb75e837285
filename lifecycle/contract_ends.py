"""End-of-term processing: what happens to contracts on a given business date.

``process_contract_ends(as_of=...)`` runs every step here, in this process (the
operator's ``process_contract_ends`` command); the daily Celery task runs the same steps
and shares a step's chunks with the workers (``lifecycle.end_tasks``). In order:

1. scheduled contracts whose start date came become active;
2. cancellations due by that date are completed (the retention app decides which);
3. active contracts ending by that date renew automatically when they may
   (``lifecycle.auto_renewal``);
4. successors that auto-renewal scheduled for a start date that already came start;
5. active contracts whose term is over and that have a signed successor become renewed;
6. the remaining active contracts whose term is over expire (not an open-ended contract
   going on month by month: its end date is not an end, contracts.open_ended).

A contract whose renewal (step 3 or 5) fails with an error is *held*: left as it is for
the rest of the run (neither renewed nor expired: an error is not a decision not to
renew), named in the report (``renewal_failed``) and retried by the next run.

Selection is set-based (ids in batches over the status/end-date indexes), then handled
in chunks: each contract is locked and re-checked before it changes, so running a chunk
twice, or at the same time as another run, changes nothing the second time. Activation,
mark-renewed and expiry change a chunk in one transaction (``lifecycle.term_changes``;
redone one contract per transaction if anything in it fails); an auto-renewal is its
own transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from contracts.models import Contract, ContractStatus
from contracts.open_ended import open_ended_continuing
from retention import services as retention_services

from . import auto_renewal, term_changes

log = logging.getLogger(__name__)

S = ContractStatus
BATCH_SIZE = 500
# Contracts per transaction (and per Celery chunk task). An auto-renewal writes a
# successor, its lines, invoice and messages: small chunks keep each task short.
CHUNK_SIZE = 100
AUTO_RENEW_CHUNK_SIZE = 25

COUNTERS = (
    "activated",
    "cancellations_completed",
    "auto_renewed",
    "auto_renew_blocked",
    "renewed",
    "expired",
)


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
        """The summary: what the command prints and the daily task returns."""
        return {
            "as_of": self.as_of.isoformat(),
            **{name: getattr(self, name) for name in COUNTERS},
            "errors": len(self.errors),
            "renewal_failed": sorted(self.renewal_failed.values()),
        }

    # Between Celery tasks the report travels as JSON (object keys are strings there).

    def state(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            **{name: getattr(self, name) for name in COUNTERS},
            "errors": list(self.errors),
            "renewal_failed": [[pk, number] for pk, number in self.renewal_failed.items()],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> EndsReport:
        return cls(
            as_of=dt.date.fromisoformat(state["as_of"]),
            **{name: int(state.get(name, 0)) for name in COUNTERS},
            errors=list(state.get("errors", [])),
            renewal_failed={int(pk): str(number) for pk, number in state.get("renewal_failed", [])},
        )

    def merge(self, part: EndsReport) -> None:
        """Add a chunk's report (run elsewhere) to this one."""
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(part, name))
        self.errors.extend(part.errors)
        self.renewal_failed.update(part.renewal_failed)


def _contract_number(contract_id: int) -> str:
    """For the report, after an error: the database may be what failed."""
    try:
        number = Contract.objects.filter(pk=contract_id).values_list("number", flat=True).first()
    except Exception:  # noqa: BLE001 - the id is enough to find it
        number = None
    return number or f"#{contract_id}"


def _failed(report: EndsReport, contract_id: int, exc: Exception, *, hold: bool) -> None:
    log.exception("process_contract_ends failed for contract %s", contract_id)
    report.errors.append(f"{contract_id}: {exc}")
    if hold:
        report.renewal_failed[contract_id] = _contract_number(contract_id)


def _chunk_or_one_by_one(
    report: EndsReport, ids: list[int], rule: Callable[[list[int]], int], *, hold: bool
) -> int:
    """The chunk in one transaction; if anything in it fails, it is rolled back and
    redone one contract at a time through the same rule, so that a bad contract is
    reported alone and does not hold the others back. ``hold``: a contract that fails
    is a renewal that failed; the later steps of the run leave it alone."""
    try:
        return rule(ids)
    except Exception:
        log.warning("process_contract_ends: chunk of %s contracts redone one by one", len(ids))
    done = 0
    for contract_id in ids:
        try:
            done += rule([contract_id])
        except Exception as exc:  # one bad contract must not stop the sweep
            _failed(report, contract_id, exc, hold=hold)
    return done


def _auto_renew_each(report: EndsReport, ids: list[int], as_of: dt.date) -> int:
    done = 0
    for contract_id in ids:
        try:
            # Counted once its transaction has committed: it returns after that.
            outcome = auto_renewal.contract_auto_renew(contract_id, as_of=as_of)
        except Exception as exc:  # one bad contract must not stop the sweep
            _failed(report, contract_id, exc, hold=True)
            continue
        report.auto_renew_blocked += outcome == auto_renewal.BLOCKED
        done += outcome == auto_renewal.RENEWED
    return done


def _complete_cancellations(report: EndsReport) -> None:
    try:
        report.cancellations_completed += retention_services.cancellations_complete_due(
            as_of=report.as_of
        )
    except Exception as exc:
        log.exception("cancellations_complete_due failed")
        report.errors.append(f"cancellations: {exc}")


# --- the steps, in order -----------------------------------------------------------------

CANCELLATIONS = "cancellations"
# Step name → report field. "cancellations" is the retention app's own set-based pass.
STEPS: tuple[tuple[str, str], ...] = (
    ("activate", "activated"),
    (CANCELLATIONS, "cancellations_completed"),
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
            status=S.ACTIVE,
            end_date__lt=as_of,
            successor__status__in=term_changes.SUCCESSOR_TAKES_OVER,
        )
    if step == "expire":
        # An open-ended contract going on month by month does not end at its end date:
        # the auto-renewal step continues it, and one it held (a price rise without its
        # notice) stays in force for the account manager to settle, never expires silently.
        # With automatic renewal off (the customer gave notice) it expires like any term.
        return Contract.objects.filter(status=S.ACTIVE, end_date__lt=as_of).exclude(
            open_ended_continuing()
        )
    raise ValueError(f"unknown step {step}")


def _id_batches(qs: QuerySet[Contract], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    ids = qs.order_by("id").values_list("id", flat=True)
    last = 0
    while True:
        batch = list(ids.filter(id__gt=last)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1]


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
        done = _chunk_or_one_by_one(
            report, ids, lambda i: term_changes.terms_start(i, as_of), hold=False
        )
    elif step == "auto_renew":
        done = _auto_renew_each(report, ids, as_of)
    elif step == "mark_renewed":
        done = _chunk_or_one_by_one(
            report, ids, lambda i: term_changes.terms_renewed(i, as_of), hold=True
        )
    elif step == "expire":
        done = _chunk_or_one_by_one(
            report, ids, lambda i: term_changes.terms_expire(i, as_of), hold=False
        )
    else:
        raise ValueError(f"unknown step {step}")
    field_name = STEP_FIELDS[step]
    setattr(report, field_name, getattr(report, field_name) + done)
    return done


@dataclass(frozen=True)
class StepToShare:
    """A step with several chunks, for the Celery workers; the run goes on at ``then``
    (an index into STEPS) once every chunk is done."""

    step: str
    chunks: list[list[int]]
    then: int


def steps_run(report: EndsReport, *, start: int = 0, share: bool = False) -> StepToShare | None:
    """Run the steps from ``start`` on, in this process. With ``share``, the first step
    that has more than one chunk is not run but returned, for the caller to hand to the
    workers; None when every step is done."""
    for index in range(start, len(STEPS)):
        step = STEPS[index][0]
        if step == CANCELLATIONS:
            _complete_cancellations(report)
            continue
        # Renewals that failed in an earlier step are held from here on.
        chunks = step_chunks(step, report.as_of, held=report.renewal_failed)
        if share:
            listed = list(chunks)
            if len(listed) > 1:
                return StepToShare(step=step, chunks=listed, then=index + 1)
            chunks = iter(listed)
        for ids in chunks:
            step_run_chunk(step, report.as_of, ids, report)
    return None


def process_contract_ends(*, as_of: dt.date) -> EndsReport:
    """Everything that is due on ``as_of`` at the end (or start) of a term, in this
    process. Idempotent."""
    report = EndsReport(as_of=as_of)
    steps_run(report)
    log.info("process_contract_ends %s", report.as_dict())
    return report
