"""Reads for renewals: has the customer answered, the pipeline board, quote differences."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from billing.services import add_months
from contracts.access import contracts_visible_to
from contracts.models import Contract, ContractLine, TermsVersion
from core.money import MoneyTotals, sums_by_currency

from .models import PIPELINE_STAGES, Quote, RenewalCase, Stage


def customer_has_responded(*, contract: Contract) -> bool:
    """True once the customer (or staff on their behalf) answered the renewal question for
    this contract, or the renewal moved past the question (quote sent, signed, ...).

    The reminders escalation uses it to stop chasing a customer who already answered.
    """
    return (
        RenewalCase.objects.filter(contract=contract)
        .exclude(intent="", stage__in=[Stage.INTENT_PENDING, Stage.LOST])
        .exists()
    )


def contracts_with_customer_response(*, contract_ids: Iterable[int]) -> set[int]:
    """The ids among ``contract_ids`` for which ``customer_has_responded`` is true, in one
    query (the reminder sweep asks this for a whole batch of contracts at once).

    Same rule as ``customer_has_responded``: a case with an intent recorded, or one whose
    stage moved past the question (anything but "intent pending" and "lost").
    """
    ids = list(contract_ids)
    if not ids:
        return set()
    return set(
        RenewalCase.objects.filter(contract_id__in=ids)
        .exclude(intent="", stage__in=[Stage.INTENT_PENDING, Stage.LOST])
        .values_list("contract_id", flat=True)
    )


def case_get_for_contract(*, contract: Contract) -> RenewalCase | None:
    return RenewalCase.objects.filter(contract=contract).first()


def cases_visible_to(user: Any) -> QuerySet[RenewalCase]:
    """Cases of the contracts the staff user may see (own book, or all for team leads)."""
    return RenewalCase.objects.filter(contract__in=contracts_visible_to(user))


@dataclass
class PipelineColumn:
    stage: str
    label: str
    cases: list[RenewalCase] = field(default_factory=list)
    # The contracts' term totals of every case in the stage, per currency: USD is never
    # added to CNY.
    total: MoneyTotals = field(default_factory=MoneyTotals)


def pipeline_board(
    *, user: Any, today: dt.date | None = None, per_stage: int = 100
) -> list[PipelineColumn]:
    """The board: cases by stage, soonest contract end first, with the contract's value.

    Each column is capped at ``per_stage`` cards (a large book pages through the list view);
    closed stages show the most recently closed first. A column's total is the contracts'
    term totals of all its cases, one amount per currency (one GROUP BY for the board).
    """
    today = today or timezone.localdate()
    visible = cases_visible_to(user)
    totals = sums_by_currency(
        visible, "stage", "contract__total_amount", currency="contract__currency"
    )
    base = visible.select_related("contract", "contract__customer", "owner", "successor")
    columns = []
    for stage in PIPELINE_STAGES:
        qs = base.filter(stage=stage)
        if stage in (Stage.WON, Stage.LOST):
            qs = qs.order_by("-closed_at", "-id")
        else:
            qs = qs.order_by("contract__end_date", "id")
        cases = list(qs[:per_stage])
        for case in cases:
            case.days_to_end = case.contract.days_until_end(today)  # type: ignore[attr-defined]
        columns.append(
            PipelineColumn(
                stage=stage,
                label=str(Stage(stage).label),
                cases=cases,
                total=totals.get(stage, MoneyTotals()),
            )
        )
    return columns


# --- differences between the current contract and the quote ---------------------------


@dataclass
class LineDiff:
    description: str
    status: str  # "unchanged", "changed", "added", "removed"
    old_quantity: Decimal | None
    new_quantity: Decimal | None
    old_unit_price: Decimal | None
    new_unit_price: Decimal | None
    old_amount: Decimal | None
    new_amount: Decimal | None

    @property
    def change_amount(self) -> Decimal:
        return (self.new_amount or Decimal("0")) - (self.old_amount or Decimal("0"))

    @property
    def change_percent(self) -> Decimal | None:
        if not self.old_amount:
            return None
        return (self.change_amount * 100 / self.old_amount).quantize(Decimal("0.1"))

    @property
    def unit_change_percent(self) -> Decimal | None:
        if not self.old_unit_price or self.new_unit_price is None:
            return None
        return ((self.new_unit_price - self.old_unit_price) * 100 / self.old_unit_price).quantize(
            Decimal("0.1")
        )


@dataclass
class QuoteDiff:
    lines: list[LineDiff]
    old_start: dt.date
    old_end: dt.date
    new_start: dt.date
    new_end: dt.date
    old_term_months: int
    new_term_months: int
    old_total: Decimal
    new_subtotal: Decimal
    discount_amount: Decimal
    new_total: Decimal
    old_terms: TermsVersion | None
    new_terms: TermsVersion | None
    terms_lines: list[tuple[str, str]]

    @property
    def total_change(self) -> Decimal:
        return self.new_total - self.old_total

    @property
    def total_change_percent(self) -> Decimal | None:
        if not self.old_total:
            return None
        return (self.total_change * 100 / self.old_total).quantize(Decimal("0.1"))

    @property
    def term_change_months(self) -> int | None:
        """How many months longer (+) or shorter (-) the new term is; None when a
        length is unknown."""
        if not (self.old_term_months and self.new_term_months):
            return None
        return self.new_term_months - self.old_term_months

    @property
    def term_change_months_abs(self) -> int:
        return abs(self.term_change_months or 0)

    @property
    def terms_changed(self) -> bool:
        return any(op != " " for op, _text in self.terms_lines)


def term_months(start: dt.date, end: dt.date) -> int:
    """Whole months covered by a term from ``start`` to ``end`` inclusive (12 for a year)."""
    nxt = end + dt.timedelta(days=1)
    months = (nxt.year - start.year) * 12 + nxt.month - start.month
    # The inverse of billing.services.term_end: a year from 29 February ends on 28 February
    # and is 12 months, not 11 (comparing the days alone would say 11).
    if add_months(start, months) > nxt:
        months -= 1
    return max(months, 1)


def terms_diff(*, old: TermsVersion | None, new: TermsVersion | None) -> list[tuple[str, str]]:
    """The terms text difference line by line: ("-", removed), ("+", added), (" ", same)."""
    old_lines = (old.body if old else "").splitlines()
    new_lines = (new.body if new else "").splitlines()
    out: list[tuple[str, str]] = []
    for row in difflib.ndiff(old_lines, new_lines):
        op, text = row[:1], row[2:]
        if op in ("-", "+", " "):
            out.append((op, text))
    return out


def _line_key(line: ContractLine) -> int:
    return line.pk


def quote_diff(*, quote: Quote) -> QuoteDiff:
    """Line-by-line difference between the current contract and the quote."""
    current = quote.case.contract
    old_lines = {line.pk: line for line in current.lines.all()}
    rows: list[LineDiff] = []
    matched: set[int] = set()
    for ql in quote.lines.all():
        old = old_lines.get(ql.source_line_id) if ql.source_line_id else None
        if old is not None:
            matched.add(old.pk)
            same = old.quantity == ql.quantity and old.unit_price == ql.unit_price
            rows.append(
                LineDiff(
                    description=ql.description,
                    status="unchanged" if same else "changed",
                    old_quantity=old.quantity,
                    new_quantity=ql.quantity,
                    old_unit_price=old.unit_price,
                    new_unit_price=ql.unit_price,
                    old_amount=old.amount,
                    new_amount=ql.amount,
                )
            )
        else:
            rows.append(
                LineDiff(
                    description=ql.description,
                    status="added",
                    old_quantity=None,
                    new_quantity=ql.quantity,
                    old_unit_price=None,
                    new_unit_price=ql.unit_price,
                    old_amount=None,
                    new_amount=ql.amount,
                )
            )
    for pk, old in old_lines.items():
        if pk not in matched:
            rows.append(
                LineDiff(
                    description=old.description,
                    status="removed",
                    old_quantity=old.quantity,
                    new_quantity=None,
                    old_unit_price=old.unit_price,
                    new_unit_price=None,
                    old_amount=old.amount,
                    new_amount=None,
                )
            )
    return QuoteDiff(
        lines=rows,
        old_start=current.start_date,
        old_end=current.end_date,
        new_start=quote.start_date,
        new_end=quote.end_date,
        old_term_months=term_months(current.start_date, current.end_date),
        new_term_months=term_months(quote.start_date, quote.end_date),
        old_total=current.total_amount,
        new_subtotal=quote.subtotal,
        discount_amount=quote.discount_amount,
        new_total=quote.total,
        old_terms=current.terms_version,
        new_terms=quote.terms_version,
        terms_lines=terms_diff(old=current.terms_version, new=quote.terms_version),
    )


def renewal_status_for_customer(*, contract: Contract) -> dict[str, Any] | None:
    """Where the renewal of ``contract`` stands, for the portal: the stage and the steps."""
    case = RenewalCase.objects.filter(contract=contract).select_related("successor").first()
    if case is None:
        return None
    order: list[str] = [
        Stage.INTENT_PENDING,
        Stage.RESPONDED,
        Stage.QUOTE_SENT,
        Stage.SIGNED,
        Stage.PAID,
        Stage.WON,
    ]
    reached = order.index(case.stage) if case.stage in order else -1
    steps = [
        {"stage": s, "label": Stage(s).label, "done": i <= reached, "current": i == reached}
        for i, s in enumerate(order)
    ]
    return {"case": case, "steps": steps, "lost": case.stage == Stage.LOST}
