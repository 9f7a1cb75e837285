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

Selection is set-based (ids in batches over the status/end-date indexes); each contract
is then handled in its own transaction under a row lock and re-checked, so running it
twice, or twice at the same time, changes nothing the second time: one successor per
contract (Contract.predecessor is also one-to-one in the database).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import services as contract_services
from .models import ConsentChannel, Contract, ContractStatus

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
        }


def _id_batches(qs: QuerySet[Contract]) -> Iterator[list[int]]:
    ids = qs.order_by("id").values_list("id", flat=True)
    last = 0
    while True:
        batch = list(ids.filter(id__gt=last)[:BATCH_SIZE])
        if not batch:
            return
        yield batch
        last = batch[-1]


def _each(report: EndsReport, qs: QuerySet[Contract], handle: Callable[[int], bool]) -> int:
    done = 0
    for batch in _id_batches(qs):
        for contract_id in batch:
            try:
                done += int(handle(contract_id))
            except Exception as exc:  # one bad contract must not stop the sweep
                log.exception("process_contract_ends failed for contract %s", contract_id)
                report.errors.append(f"{contract_id}: {exc}")
    return done


def _lock(contract_id: int) -> Contract:
    # Lock order as in renewals.services: the renewal case first, then the contract.
    from renewals.models import RenewalCase

    list(RenewalCase.objects.select_for_update().filter(contract_id=contract_id))
    return Contract.objects.select_for_update().get(pk=contract_id)


def renewal_notice_was_delivered(contract: Contract) -> bool:
    """Asks the notifications app. Without it we cannot prove a notice: do not renew."""
    try:
        from notifications.selectors import renewal_notice_delivered
    except ImportError:
        log.warning("notifications.selectors.renewal_notice_delivered missing: no auto-renewal")
        return False
    return bool(renewal_notice_delivered(contract=contract))


def has_valid_consent(contract: Contract) -> bool:
    latest = contract.consents.order_by("-at", "-id").first()
    return bool(latest and latest.enabled)


# --- 1. activation ---------------------------------------------------------------------


def _activate(as_of: dt.date) -> Callable[[int], bool]:
    def handle(contract_id: int) -> bool:
        with transaction.atomic():
            contract = _lock(contract_id)
            if contract.status != S.SCHEDULED or contract.start_date > as_of:
                return False
            contract_services.contract_activate(
                contract=contract, reason=_("The term started on %(day)s") % {"day": as_of}
            )
            return True

    return handle


# --- 3. automatic renewal --------------------------------------------------------------


def _auto_renew(report: EndsReport, as_of: dt.date) -> Callable[[int], bool]:
    from billing.services import add_months, invoice_plan_issue
    from renewals import services as renewal_services
    from renewals.messaging import message_to_customer
    from renewals.selectors import term_months

    def handle(contract_id: int) -> bool:
        with transaction.atomic():
            contract = _lock(contract_id)
            if (
                contract.status != S.ACTIVE
                or not contract.auto_renew
                or contract.end_date > as_of
                or not has_valid_consent(contract)
            ):
                return False
            existing = Contract.objects.filter(predecessor=contract).first()
            if existing is not None and existing.status in SUCCESSOR_TAKES_OVER:
                return False  # renewed by hand already; step 4 ends this one
            if not renewal_notice_was_delivered(contract):
                renewal_services.case_open_for_blocked_auto_renewal(contract=contract)
                report.auto_renew_blocked += 1
                return False
            if not renewal_services.successor_void_if_unsigned(predecessor=contract):
                return False
            start = contract.end_date + dt.timedelta(days=1)
            months = term_months(contract.start_date, contract.end_date)
            lines = renewal_services.renewal_lines_at_current_prices(
                contract=contract, start=start, months=months
            )
            successor = contract_services.contract_create_draft(
                customer=contract.customer,
                by=None,
                start_date=start,
                end_date=add_months(start, months) - dt.timedelta(days=1),
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
            consent = contract.consents.order_by("-at", "-id").first()
            # No signature: the consent the customer gave is the agreement. The successor
            # goes through the same statuses as a signed one, each with its event.
            contract_services._transition(
                contract=successor, to=S.AWAITING_SIGNATURE, by=None, kind="auto_renewal"
            )
            contract_services._transition(
                contract=successor,
                to=S.AWAITING_PAYMENT,
                by=None,
                kind="signed",
                reason=_("Renewed automatically under the customer's consent"),
                payload={"consent_id": consent.pk if consent else None, "automatic": True},
                updates={"signed_at": consent.at if consent else None},
            )
            # Auto-renew stays on for the new term, with its own consent row pointing back.
            contract_services.contract_set_auto_renew(
                contract=successor,
                enabled=True,
                by=None,
                channel=consent.channel if consent else ConsentChannel.IMPORT,
                text=consent.text if consent else "",
                text_version=consent.text_version if consent else "",
            )
            # The successor starts the day after the end whether or not it is paid yet.
            if start <= as_of:
                contract_services.contract_activate(contract=successor, reason=_("Auto-renewal"))
                contract_services.contract_mark_renewed(contract=contract, successor=successor)
            else:
                contract_services._transition(
                    contract=successor, to=S.SCHEDULED, by=None, kind="scheduled"
                )
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
            return True

    return handle


# --- 4./5. end of term -----------------------------------------------------------------


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
            contract_services.contract_expire(
                contract=contract, reason=_("The term ended without a renewal")
            )
            return True

    return handle


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


def process_contract_ends(*, as_of: dt.date) -> EndsReport:
    """Everything that is due on ``as_of`` at the end (or start) of a term. Idempotent."""
    report = EndsReport(as_of=as_of)
    report.activated = _each(
        report,
        Contract.objects.filter(status=S.SCHEDULED, start_date__lte=as_of),
        _activate(as_of),
    )
    _complete_cancellations(report, as_of)
    report.auto_renewed = _each(
        report,
        Contract.objects.filter(status=S.ACTIVE, end_date__lte=as_of, auto_renew=True),
        _auto_renew(report, as_of),
    )
    # Successors that auto-renewal scheduled for a start date that already came.
    report.activated += _each(
        report,
        Contract.objects.filter(status=S.SCHEDULED, start_date__lte=as_of),
        _activate(as_of),
    )
    report.renewed = _each(
        report,
        Contract.objects.filter(
            status=S.ACTIVE, end_date__lt=as_of, successor__status__in=SUCCESSOR_TAKES_OVER
        ),
        _mark_renewed(as_of),
    )
    report.expired = _each(
        report,
        Contract.objects.filter(status=S.ACTIVE, end_date__lt=as_of),
        _expire(as_of),
    )
    log.info("process_contract_ends %s", report.as_dict())
    return report
