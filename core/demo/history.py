"""The demo's billing and complaint history, with real signal for the propensity model.

Each customer gets two traits drawn from the seeded generator (a late payer, a
complainer). The traits decide how often the customer's installments are paid after
their due date, how many complaints they file, and (in story.py) how likely each of
their subscriptions is to end un-renewed: late payers and complainers renew less, as
in life. Everything is decided in the story; ``history_write`` only replays it, with the
same bulk INSERTs for the service path and the bulk path, so both give the same rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import F
from django.utils import timezone

from billing.models import Invoice, InvoiceLine, Payment
from billing.services import add_months
from core.models import Sequence
from core.money import money
from insights.feedback import feedback_sla_due
from insights.models import Feedback

# Share of customers with each trait, and what the trait does.
LATE_PAYER_SHARE = 0.25
COMPLAINER_SHARE = 0.2
LATE_PROBABILITY = {True: 0.6, False: 0.07}  # per installment
COMPLAINTS_PER_YEAR = {True: 3.0, False: 0.25}
# Probability that a subscription ends un-renewed (expired or terminated).
CHURN_BASE = 0.08
CHURN_LATE = 0.35
CHURN_COMPLAINER = 0.3
CHURN_MAX = 0.85

PAYMENT_TERMS_DAYS = 15
PAYMENT_METHODS = ["bank_transfer", "bank_transfer", "wechat_pay", "alipay", "card"]
COMPLAINTS = [
    ("complaint", "服务响应太慢", "工单提交三天无人处理，影响业务。"),
    ("service", "系统频繁中断", "本周已经第二次无法登录，请尽快排查。"),
    ("billing", "发票金额有误", "本期发票金额与合同不一致，请核对。"),
    ("complaint", "客服态度不好", "电话沟通时客服不耐烦，希望改进。"),
    ("service", "功能达不到宣传效果", "实际使用中很多功能不可用。"),
]


@dataclass(frozen=True)
class Traits:
    late_payer: bool
    complainer: bool

    @property
    def churn_probability(self) -> float:
        p = CHURN_BASE + CHURN_LATE * self.late_payer + CHURN_COMPLAINER * self.complainer
        return min(p, CHURN_MAX)


def traits_draw(rng: random.Random) -> Traits:
    return Traits(
        late_payer=rng.random() < LATE_PAYER_SHARE, complainer=rng.random() < COMPLAINER_SHARE
    )


@dataclass
class InstallmentSpec:
    no: int
    count: int
    amount: Decimal
    issue_date: dt.date
    due_date: dt.date
    paid_at: dt.datetime | None
    method: str


@dataclass
class FeedbackSpec:
    at: dt.datetime
    category: str
    subject: str
    body: str
    severity: str
    resolved_at: dt.datetime | None


@dataclass
class History:
    installments: list[InstallmentSpec] = field(default_factory=list)
    feedback: list[FeedbackSpec] = field(default_factory=list)


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def history_for(
    *,
    rng: random.Random,
    traits: Traits,
    start: dt.date,
    end: dt.date,
    months: int,
    period_months: int,
    total: Decimal,
    first_paid_at: dt.datetime,
    today: dt.date,
    now: dt.datetime,
) -> History:
    """Installments of a paid term (the first one settled when the contract was paid,
    the others issued at each billing period's start) and the complaints filed during it."""
    history = History()
    count = max(1, months // max(1, period_months))
    share = money(total / count)
    for no in range(1, count + 1):
        amount = share if no < count else money(total - share * (count - 1))
        if no == 1:
            issue = min(first_paid_at.date(), today)
            due = issue + dt.timedelta(days=PAYMENT_TERMS_DAYS)
            paid_at: dt.datetime | None = first_paid_at
        else:
            issue = add_months(start, (no - 1) * period_months) - dt.timedelta(days=10)
            if issue > today:
                break
            due = issue + dt.timedelta(days=PAYMENT_TERMS_DAYS)
            if rng.random() < LATE_PROBABILITY[traits.late_payer]:
                paid_on = due + dt.timedelta(days=rng.randint(3, 45))
            else:
                paid_on = issue + dt.timedelta(days=rng.randint(0, PAYMENT_TERMS_DAYS))
            paid_at = _at(paid_on, 10, rng.randrange(60))
            if paid_on >= today:
                paid_at = None  # not paid yet
        history.installments.append(
            InstallmentSpec(
                no=no,
                count=count,
                amount=amount,
                issue_date=issue,
                due_date=due,
                paid_at=paid_at,
                method=rng.choice(PAYMENT_METHODS),
            )
        )
    # Complaints: a Poisson number over the part of the term already lived.
    lived_end = min(end, today - dt.timedelta(days=1))
    days = (lived_end - start).days
    if days > 0:
        expected = COMPLAINTS_PER_YEAR[traits.complainer] * days / 365.0
        n = 0
        limit = rng.random()
        # Knuth's method, with the generator's own uniforms (deterministic per seed).
        threshold, product = math.exp(-expected), limit
        while product > threshold:
            n += 1
            product *= rng.random()
        for _i in range(n):
            on = start + dt.timedelta(days=rng.randrange(days))
            category, subject, body = rng.choice(COMPLAINTS)
            at = min(_at(on, 14, rng.randrange(60)), now - dt.timedelta(minutes=5))
            resolved = at + dt.timedelta(days=rng.randint(1, 10))
            history.feedback.append(
                FeedbackSpec(
                    at=at,
                    category=category,
                    subject=subject,
                    body=body,
                    severity=rng.choice(["normal", "normal", "high", "low"]),
                    resolved_at=resolved if resolved < now else None,
                )
            )
    return history


def _numbers(prefix: str, years: list[int]) -> list[str]:
    """Numbers as the billing services hand them out (one locked increment per year)."""
    per_year: dict[int, int] = defaultdict(int)
    for year in years:
        per_year[year] += 1
    nxt: dict[int, int] = {}
    for year, count in sorted(per_year.items()):
        seq, _c = Sequence.objects.select_for_update().get_or_create(
            name=f"{prefix.lower()}-{year}"
        )
        Sequence.objects.filter(pk=seq.pk).update(last_value=F("last_value") + count)
        nxt[year] = seq.last_value + 1
    out = []
    for year in years:
        out.append(f"{prefix}-{year}-{nxt[year]:06d}")
        nxt[year] += 1
    return out


class WrittenStory(Protocol):
    """What ``history_write`` reads of a story (``story.Story``, which builds on this
    module): its customer, its contract once written, and its history."""

    @property
    def customer(self) -> Any: ...

    @property
    def contract(self) -> Any: ...

    @property
    def history(self) -> History | None: ...


def history_write(stories: Collection[WrittenStory], *, batch_size: int = 1000) -> None:
    """Write the invoices, payments and complaints of ``stories`` (contracts written)."""
    rows: list[tuple[WrittenStory, InstallmentSpec]] = [
        (story, spec)
        for story in stories
        if story.history is not None
        for spec in story.history.installments
    ]
    numbers = _numbers("INV", [spec.issue_date.year for _s, spec in rows])
    invoices = []
    for (story, spec), number in zip(rows, numbers, strict=True):
        contract = story.contract
        invoices.append(
            Invoice(
                number=number,
                customer=story.customer,
                contract=contract,
                kind="installment" if spec.count > 1 else "term",
                status="paid" if spec.paid_at else "open",
                description=contract.number,
                currency=contract.currency,
                amount=spec.amount,
                amount_paid=spec.amount if spec.paid_at else Decimal("0"),
                installment_no=spec.no,
                installment_count=spec.count,
                issue_date=spec.issue_date,
                due_date=spec.due_date,
                paid_at=spec.paid_at,
            )
        )
    Invoice.objects.bulk_create(invoices, batch_size=batch_size)
    for invoice, (_story, spec) in zip(invoices, rows, strict=True):
        invoice.created_at = invoice.updated_at = _at(spec.issue_date, 8, 0)
    Invoice.objects.bulk_update(invoices, ["created_at", "updated_at"], batch_size=batch_size)
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                description=invoice.description,
                quantity=Decimal(1),
                unit_price=invoice.amount,
                amount=invoice.amount,
            )
            for invoice in invoices
        ],
        batch_size=batch_size,
    )
    paid = [
        (inv, spec, spec.paid_at)
        for inv, (_s, spec) in zip(invoices, rows, strict=True)
        if spec.paid_at
    ]
    receipt_numbers = _numbers("RC", [paid_at.date().year for _i, _spec, paid_at in paid])
    payments = [
        Payment(
            number=receipt,
            kind="payment",
            customer_id=invoice.customer_id,
            invoice=invoice,
            amount=invoice.amount,
            applied_amount=invoice.amount,
            currency=invoice.currency,
            method=spec.method,
            reference=f"DEMO-{invoice.number}",
            received_at=paid_at,
            source="import",
        )
        for (invoice, spec, paid_at), receipt in zip(paid, receipt_numbers, strict=True)
    ]
    Payment.objects.bulk_create(payments, batch_size=batch_size)
    for payment in payments:
        payment.created_at = payment.updated_at = payment.received_at
    Payment.objects.bulk_update(payments, ["created_at", "updated_at"], batch_size=batch_size)

    feedback = []
    for story in stories:
        if story.history is None:
            continue
        for f in story.history.feedback:
            feedback.append(
                Feedback(
                    customer=story.customer,
                    contract=story.contract,
                    channel="staff",
                    category=f.category,
                    severity=f.severity,
                    subject=f.subject,
                    body=f.body,
                    status="resolved" if f.resolved_at else "open",
                    sla_due_at=feedback_sla_due(severity=f.severity, at=f.at),
                    first_response_at=f.resolved_at,
                    resolved_at=f.resolved_at,
                )
            )
    Feedback.objects.bulk_create(feedback, batch_size=batch_size)
    specs = [f for s in stories if s.history is not None for f in s.history.feedback]
    for row, f in zip(feedback, specs, strict=True):
        row.created_at = row.updated_at = f.at
    Feedback.objects.bulk_update(feedback, ["created_at", "updated_at"], batch_size=batch_size)
