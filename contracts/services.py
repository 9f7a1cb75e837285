"""Every write to contracts goes through here. Status changes only happen in ``_transition``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError, InvalidTransition
from core.money import money
from core.sequences import sequence_next
from customers.models import Customer

from .models import (
    AutoRenewConsent,
    ConsentChannel,
    Contract,
    ContractEvent,
    ContractLine,
    ContractStatus,
    Plan,
    TermsVersion,
)

S = ContractStatus

# Which status may follow which. Anything else is refused with InvalidTransition.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.AWAITING_SIGNATURE, S.VOID}),
    S.AWAITING_SIGNATURE: frozenset({S.DRAFT, S.AWAITING_PAYMENT, S.VOID}),
    S.AWAITING_PAYMENT: frozenset({S.SCHEDULED, S.ACTIVE, S.VOID}),
    S.SCHEDULED: frozenset({S.ACTIVE, S.VOID}),
    S.ACTIVE: frozenset({S.RENEWED, S.EXPIRED, S.TERMINATED}),
    S.RENEWED: frozenset(),
    S.EXPIRED: frozenset(),
    S.TERMINATED: frozenset(),
    S.VOID: frozenset(),
}

# Sent after the transaction that changed a contract's status commits.
# Receivers (notifications, webhooks) get contract_id, from_status, to_status, event_id.
contract_status_changed = Signal()


@dataclass(frozen=True)
class LineSpec:
    description: str
    quantity: Decimal
    unit_price: Decimal
    plan: Plan | None = None


def contract_number_next(*, year: int | None = None) -> str:
    from django.conf import settings

    year = year or timezone.localdate().year
    prefix = settings.RENEWDESK["CONTRACT_NUMBER_PREFIX"]
    n = sequence_next(name=f"contract-{year}")
    return f"{prefix}-{year}-{n:06d}"


def event_record(
    *,
    contract: Contract,
    kind: str,
    by: Any = None,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
) -> ContractEvent:
    """Write one audit row. Callers are inside the transaction that made the change."""
    actor = by if (by is not None and getattr(by, "is_authenticated", False)) else None
    return ContractEvent.objects.create(
        contract=contract,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        payload=dict(payload or {}),
    )


def _annualise(total: Decimal, start: dt.date, end: dt.date) -> Decimal:
    days = (end - start).days + 1
    return money(total * Decimal(365) / Decimal(days)) if days > 0 else money(total)


def _validate_dates(start_date: dt.date, end_date: dt.date) -> None:
    if end_date < start_date:
        raise DomainError(_("The end date must not be before the start date."))


def _line_objects(contract: Contract, lines: Iterable[LineSpec]) -> list[ContractLine]:
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
    ContractLine.objects.bulk_create(_line_objects(contract, lines))


def _copy_policy_from_plan(contract: Contract) -> None:
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
    _validate_dates(start_date, end_date)
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
    _copy_policy_from_plan(contract)
    # A new contract has no lines to replace: totals first, then one INSERT for the
    # contract and one for its lines.
    objs = _line_objects(contract, lines)
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
    _validate_dates(locked.start_date, locked.end_date)
    _copy_policy_from_plan(locked)
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


def _transition(
    *,
    contract: Contract,
    to: str,
    by: Any,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
    kind: str = "status_changed",
    expect_from: Iterable[str] | None = None,
    updates: Mapping[str, Any] | None = None,
) -> Contract:
    """Lock the row, check the transition, change it and write the event in one transaction.

    Two callers racing on the same contract queue on the row lock; the second one sees
    the new status and is refused, so exactly one transition happens.
    """
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        current = locked.status
        allowed_from = set(expect_from) if expect_from is not None else None
        if to not in ALLOWED_TRANSITIONS[current] or (
            allowed_from is not None and current not in allowed_from
        ):
            raise InvalidTransition(
                _("A contract that is “%(current)s” cannot become “%(target)s”.")
                % {"current": S(current).label, "target": S(to).label}
            )
        locked.status = to
        fields = ["status", "updated_at"]
        for name, value in (updates or {}).items():
            setattr(locked, name, value)
            fields.append(name)
        locked.save(update_fields=fields)
        event = event_record(
            contract=locked,
            kind=kind,
            by=by,
            from_status=current,
            to_status=to,
            reason=reason,
            payload=payload,
        )
        transaction.on_commit(
            lambda: contract_status_changed.send(
                sender=Contract,
                contract_id=locked.pk,
                from_status=current,
                to_status=to,
                event_id=event.pk,
            )
        )
    contract.refresh_from_db()
    return contract


def contracts_transition_locked(
    *,
    contracts: Sequence[Contract],
    to: str,
    by: Any = None,
    reason: str = "",
    payload: Callable[[Contract], Mapping[str, Any]] | Mapping[str, Any] | None = None,
    kind: str = "status_changed",
    expect_from: Iterable[str] | None = None,
    updates: Mapping[str, Any] | None = None,
) -> list[Contract]:
    """``_transition`` for many rows that the caller has locked already.

    For set-based sweeps (end-of-term processing): the caller holds ``select_for_update``
    on every row in the current transaction and passes those fresh instances, so the
    check sees the committed status. Same rules, same event rows, same signal after
    commit as ``_transition``, with one UPDATE and one INSERT for all of them instead of
    six queries each. All or nothing: one refused transition refuses the batch.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("contracts_transition_locked needs the caller's transaction")
    contracts = list(contracts)
    if not contracts:
        return contracts
    allowed_from = set(expect_from) if expect_from is not None else None
    for contract in contracts:
        current = contract.status
        if to not in ALLOWED_TRANSITIONS[current] or (
            allowed_from is not None and current not in allowed_from
        ):
            raise InvalidTransition(
                _("A contract that is “%(current)s” cannot become “%(target)s”.")
                % {"current": S(current).label, "target": S(to).label}
            )
    now = timezone.now()
    values = {"status": to, "updated_at": now, **(updates or {})}
    by_from: dict[str, list[int]] = {}
    for contract in contracts:
        by_from.setdefault(contract.status, []).append(contract.pk)
    for current, ids in by_from.items():
        # Compare-and-swap on top of the caller's lock: a row that changed anyway (the
        # caller did not lock it) makes the count differ, and the whole batch rolls back.
        if Contract.objects.filter(pk__in=ids, status=current).update(**values) != len(ids):
            raise RuntimeError(f"contracts {ids} were not locked by the caller")
    actor = by if (by is not None and getattr(by, "is_authenticated", False)) else None
    events = [
        ContractEvent(
            contract=contract,
            kind=kind,
            actor=actor,
            from_status=contract.status,
            to_status=to,
            reason=reason[:500],
            payload=dict((payload(contract) if callable(payload) else payload) or {}),
        )
        for contract in contracts
    ]
    ContractEvent.objects.bulk_create(events)
    db = transaction.get_connection().alias
    for contract, event in zip(contracts, events, strict=True):
        # bulk_create sends no post_save: send it as event_record's save() would.
        post_save.send(
            sender=ContractEvent,
            instance=event,
            created=True,
            update_fields=None,
            raw=False,
            using=db,
        )
        transaction.on_commit(
            partial(
                contract_status_changed.send,
                sender=Contract,
                contract_id=contract.pk,
                from_status=contract.status,
                to_status=to,
                event_id=event.pk,
            )
        )
        for name, value in values.items():
            setattr(contract, name, value)
    return contracts


def contract_send_for_signature(*, contract: Contract, by: Any) -> Contract:
    if not contract.lines.exists():
        raise DomainError(_("A contract needs at least one line."))
    return _transition(contract=contract, to=S.AWAITING_SIGNATURE, by=by, kind="sent_for_signature")


def contract_return_to_draft(*, contract: Contract, by: Any, reason: str = "") -> Contract:
    return _transition(
        contract=contract, to=S.DRAFT, by=by, reason=reason, kind="returned_to_draft"
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
    if contract.plan_id:
        plan = contract.plan
        policy = {
            "etf_kind": plan.etf_kind,
            "etf_value": plan.etf_value,
            "refund_policy": plan.refund_policy,
        }
    return _transition(
        contract=contract,
        to=S.AWAITING_PAYMENT,
        by=by,
        kind="signed",
        payload=payload,
        updates={"signed_at": signed_at or timezone.now(), **policy},
    )


def contract_record_first_payment(
    *, contract: Contract, by: Any, today: dt.date | None = None
) -> Contract:
    """First invoice paid: the contract starts now, or is scheduled for its start date."""
    today = today or timezone.localdate()
    to = S.ACTIVE if contract.start_date <= today else S.SCHEDULED
    return _transition(contract=contract, to=to, by=by, kind="paid")


def contract_activate(*, contract: Contract, by: Any = None, reason: str = "") -> Contract:
    """Start a term. Used for scheduled contracts on their start date and for auto-renewals."""
    return _transition(
        contract=contract,
        to=S.ACTIVE,
        by=by,
        kind="activated",
        reason=reason,
        expect_from=[S.SCHEDULED, S.AWAITING_PAYMENT],
    )


def contract_expire(*, contract: Contract, by: Any = None, reason: str = "") -> Contract:
    return _transition(
        contract=contract,
        to=S.EXPIRED,
        by=by,
        kind="expired",
        reason=reason,
        updates={"ended_at": timezone.now()},
    )


def contract_mark_renewed(*, contract: Contract, successor: Contract, by: Any = None) -> Contract:
    return _transition(
        contract=contract,
        to=S.RENEWED,
        by=by,
        kind="renewed",
        payload={"successor": successor.number},
        updates={"ended_at": timezone.now()},
    )


def contract_terminate(
    *,
    contract: Contract,
    by: Any = None,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
) -> Contract:
    return _transition(
        contract=contract,
        to=S.TERMINATED,
        by=by,
        kind="terminated",
        reason=reason,
        payload=payload,
        updates={"ended_at": timezone.now()},
    )


def contract_void(*, contract: Contract, by: Any, reason: str = "") -> Contract:
    return _transition(contract=contract, to=S.VOID, by=by, kind="voided", reason=reason)


@transaction.atomic
def contract_set_auto_renew(
    *,
    contract: Contract,
    enabled: bool,
    by: Any,
    channel: str,
    text: str,
    text_version: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> AutoRenewConsent:
    """Switch auto-renew on or off and record the consent exactly as it was given."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.is_ended or locked.status == S.VOID:
        raise InvalidTransition(_("Auto-renewal cannot be changed on a contract that has ended."))
    if channel not in ConsentChannel.values:
        raise ValueError(f"unknown consent channel {channel}")
    actor = by if (by is not None and getattr(by, "is_authenticated", False)) else None
    consent = AutoRenewConsent.objects.create(
        contract=locked,
        customer_id=locked.customer_id,
        enabled=enabled,
        text=text,
        text_version=text_version,
        channel=channel,
        actor=actor,
        ip_address=ip_address or None,
        user_agent=(user_agent or "")[:500],
    )
    previous = locked.auto_renew
    locked.auto_renew = enabled
    locked.save(update_fields=["auto_renew", "updated_at"])
    event_record(
        contract=locked,
        kind="auto_renew_on" if enabled else "auto_renew_off",
        by=by,
        payload={"previous": previous, "channel": channel, "consent_id": consent.pk},
    )
    contract.auto_renew = enabled
    return consent


@transaction.atomic
def contract_import(
    *,
    number: str,
    customer: Customer,
    plan: Plan | None,
    start_date: dt.date,
    end_date: dt.date,
    amount: Decimal,
    currency: str,
    billing_period: str,
    auto_renew: bool,
    notice_period_days: int,
    today: dt.date,
    by: Any = None,
) -> Contract:
    """Create a contract from an import row; its status follows from its dates."""
    _validate_dates(start_date, end_date)
    if end_date < today:
        status = S.EXPIRED
    elif start_date > today:
        status = S.SCHEDULED
    else:
        status = S.ACTIVE
    contract = Contract(
        number=number,
        customer=customer,
        plan=plan,
        owner=customer.account_manager,
        status=status,
        start_date=start_date,
        end_date=end_date,
        billing_period=billing_period,
        currency=currency,
        notice_period_days=notice_period_days,
    )
    _copy_policy_from_plan(contract)
    contract.save()
    _write_lines(
        contract,
        [
            LineSpec(
                description=plan.name if plan else number,
                quantity=Decimal(1),
                unit_price=amount,
                plan=plan,
            )
        ],
    )
    contract.save(update_fields=["total_amount", "annual_value"])
    event_record(contract=contract, kind="imported", by=by, to_status=status)
    if auto_renew:
        contract_set_auto_renew(
            contract=contract,
            enabled=True,
            by=by,
            channel=ConsentChannel.IMPORT,
            text=_("Auto-renewal recorded from an import."),
            text_version="import",
        )
    return contract
