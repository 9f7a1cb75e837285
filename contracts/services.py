"""Drafting and editing contracts, and their status changes through ``contract_states``
(the one module that assigns ``Contract.status``). Auto-renewal consent is in
``auto_renew_consent``, imported contracts in ``import_rows``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, InvalidTransition
from core.money import money
from core.sequences import sequence_next
from customers.models import Customer

from . import contract_states as states
from .annual_value import annual_value

# Re-exported: many callers switch auto-renewal through this module.
from .auto_renew_consent import contract_set_auto_renew as contract_set_auto_renew
from .contract_states import contract_event_new, contract_transition
from .models import Contract, ContractEvent, ContractLine, ContractStatus, Plan, TermsVersion

S = ContractStatus


@dataclass(frozen=True)
class LineSpec:
    description: str
    quantity: Decimal
    unit_price: Decimal
    plan: Plan | None = None


def contract_number_next(*, year: int | None = None) -> str:
    year = year or timezone.localdate().year
    prefix = settings.RENEWDESK["CONTRACT_NUMBER_PREFIX"]
    n = sequence_next(name=f"contract-{year}")
    return f"{prefix}-{year}-{n:06d}"


def event_record(*, contract: Contract, kind: str, **fields: Any) -> ContractEvent:
    """Write one audit row (``fields`` as ``contract_event_new`` takes them: by,
    from_status, to_status, reason, payload). Callers are inside the transaction that
    made the change."""
    event = contract_event_new(contract=contract, kind=kind, **fields)
    event.save()
    return event


def _annualise(total: Decimal, start: dt.date, end: dt.date) -> Decimal:
    # By whole months when the term is one (a one-month term at 500 is 6,000 a year).
    return annual_value(total, start, end)


def contract_dates_validate(start_date: dt.date, end_date: dt.date) -> None:
    """The one rule for a term's dates (drafts, edits, imports)."""
    if end_date < start_date:
        raise DomainError(_("The end date must not be before the start date."))


def contract_line_rows(contract: Contract, lines: Iterable[LineSpec]) -> list[ContractLine]:
    """The lines as rows, and the contract's totals from them (nothing saved yet)."""
    objs = [
        ContractLine(
            contract=contract,
            plan=spec.plan,
            description=spec.description,
            quantity=spec.quantity,
            unit_price=money(spec.unit_price),
            position=i,
        )
        for i, spec in enumerate(lines)
    ]
    total = money(sum((o.amount for o in objs), Decimal("0")))
    contract.total_amount = total
    contract.annual_value = _annualise(total, contract.start_date, contract.end_date)
    return objs


def _write_lines(contract: Contract, lines: Iterable[LineSpec]) -> None:
    contract.lines.all().delete()
    ContractLine.objects.bulk_create(contract_line_rows(contract, lines))


def contract_policy_from_plan(contract: Contract) -> None:
    if contract.plan is not None:
        contract.etf_kind = contract.plan.etf_kind
        contract.etf_value = contract.plan.etf_value
        contract.refund_policy = contract.plan.refund_policy


@transaction.atomic
def contract_create_draft(
    *,
    customer: Customer,
    by: Any,
    start_date: dt.date,
    end_date: dt.date,
    lines: Iterable[LineSpec],
    plan: Plan | None = None,
    owner: Any = None,
    billing_period: str | None = None,
    currency: str | None = None,
    terms_version: TermsVersion | None = None,
    notice_period_days: int | None = None,
    predecessor: Contract | None = None,
) -> Contract:
    contract_dates_validate(start_date, end_date)
    lines = list(lines)
    if not lines:
        raise DomainError(_("A contract needs at least one line."))
    contract = Contract(
        number=contract_number_next(year=start_date.year),
        customer=customer,
        plan=plan,
        owner=owner or customer.account_manager,
        status=S.DRAFT,
        start_date=start_date,
        end_date=end_date,
        billing_period=billing_period or (plan.billing_period if plan else "monthly"),
        currency=currency or (plan.currency if plan else "CNY"),
        terms_version=terms_version,
        notice_period_days=(
            notice_period_days
            if notice_period_days is not None
            else (plan.default_notice_days if plan else 30)
        ),
        predecessor=predecessor,
    )
    contract_policy_from_plan(contract)
    # A new contract has no lines to replace: totals first, then one INSERT for the
    # contract and one for its lines.
    objs = contract_line_rows(contract, lines)
    contract.save()
    for obj in objs:
        obj.contract = contract
    ContractLine.objects.bulk_create(objs)
    event_record(
        contract=contract,
        kind="created",
        by=by,
        to_status=S.DRAFT,
        payload={"total_amount": str(contract.total_amount)},
    )
    return contract


@transaction.atomic
def contract_update_draft(
    *,
    contract: Contract,
    by: Any,
    lines: Iterable[LineSpec] | None = None,
    **fields: Any,
) -> Contract:
    """Edit a draft. Anything past draft has been sent or signed and cannot be edited."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.status != S.DRAFT:
        raise InvalidTransition(_("Only a draft contract can be edited."))
    allowed = {
        "plan",
        "owner",
        "start_date",
        "end_date",
        "billing_period",
        "currency",
        "terms_version",
        "notice_period_days",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changed = {}
    for name, value in fields.items():
        if getattr(locked, name) != value:
            changed[name] = str(value)
            setattr(locked, name, value)
    contract_dates_validate(locked.start_date, locked.end_date)
    contract_policy_from_plan(locked)
    if lines is not None:
        lines = list(lines)
        if not lines:
            raise DomainError(_("A contract needs at least one line."))
        _write_lines(locked, lines)
        changed["total_amount"] = str(locked.total_amount)
    else:
        locked.annual_value = _annualise(locked.total_amount, locked.start_date, locked.end_date)
    locked.save()
    event_record(contract=locked, kind="updated", by=by, payload=changed)
    return locked


def contract_send_for_signature(*, contract: Contract, by: Any) -> Contract:
    if not contract.lines.exists():
        raise DomainError(_("A contract needs at least one line."))
    return contract_transition(contract=contract, change=states.SEND_FOR_SIGNATURE, by=by)


def contract_return_to_draft(*, contract: Contract, by: Any, reason: str = "") -> Contract:
    return contract_transition(
        contract=contract, change=states.RETURN_TO_DRAFT, by=by, reason=reason
    )


def contract_record_signature(
    *,
    contract: Contract,
    by: Any,
    signed_at: dt.datetime | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Contract:
    """Signed: the cancellation policy is frozen from the plan as it is now."""
    policy: dict[str, Any] = {}
    plan = contract.plan
    if plan is not None:
        policy = {
            "etf_kind": plan.etf_kind,
            "etf_value": plan.etf_value,
            "refund_policy": plan.refund_policy,
        }
    return contract_transition(
        contract=contract,
        change=states.SIGN,
        by=by,
        payload=payload,
        updates={"signed_at": signed_at or timezone.now(), **policy},
    )


def contract_record_first_payment(
    *, contract: Contract, by: Any, today: dt.date | None = None
) -> Contract:
    """First invoice paid: the contract starts now, or is scheduled for its start date."""
    today = today or timezone.localdate()
    change = states.PAID_ACTIVE if contract.start_date <= today else states.PAID_SCHEDULED
    return contract_transition(contract=contract, change=change, by=by)


def contract_activate(*, contract: Contract, by: Any = None, reason: str = "") -> Contract:
    """Start a term. Used for scheduled contracts on their start date and for auto-renewals."""
    return contract_transition(contract=contract, change=states.ACTIVATE, by=by, reason=reason)


def contract_expire(*, contract: Contract, by: Any = None, reason: str = "") -> Contract:
    return contract_transition(contract=contract, change=states.EXPIRE, by=by, reason=reason)


def contract_mark_renewed(*, contract: Contract, successor: Contract, by: Any = None) -> Contract:
    return contract_transition(
        contract=contract,
        change=states.MARK_RENEWED,
        by=by,
        payload=states.renewed_payload(successor),
    )


def contract_terminate(
    *,
    contract: Contract,
    by: Any = None,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
) -> Contract:
    return contract_transition(
        contract=contract, change=states.TERMINATE, by=by, reason=reason, payload=payload
    )


def contract_void(*, contract: Contract, by: Any, reason: str = "") -> Contract:
    return contract_transition(contract=contract, change=states.VOID, by=by, reason=reason)
