"""The demo's stories: what happened to each contract, when (who the customers are is
drawn by ``cast.Cast``, which ``Storyteller`` builds on).

Everything random is decided here, from one seeded ``random.Random``, before anything
about a contract is written; the writers (writers.py) then only replay a story, so the
service path and the bulk path produce the same data for the same seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from billing.services import add_months
from contracts.models import PERIOD_MONTHS, BillingPeriod, Plan, TermsVersion
from contracts.services import LineSpec
from core.models import User
from core.money import money
from customers.models import Customer

from .cast import Cast
from .data import (
    CONSENT_TEXT_OFF,
    CONSENT_TEXT_ON,
    LOSSES,
    RENEWAL_CASE_OPEN_DAYS,
    USER_AGENTS,
)
from .history import History, Traits, history_for

# How a subscription (a chain of renewals) ends up.
ACTIVE = "active"
ENDING_SOON = "ending_soon"
EXPIRED = "expired"
SCHEDULED_RENEWAL = "scheduled_renewal"
RENEWAL_IN_PROGRESS = "renewal_in_progress"
TERMINATED = "terminated"
VOID = "void"
NEW_SCHEDULED = "new_scheduled"
# Active and ending in 20 to 45 days: a renewal to quote now (the demo's portal customers
# who show the renewal flow, see showcase.py).
RENEWAL_DUE = "renewal_due"

SCENARIO_WEIGHTS = [
    (ACTIVE, 40),
    (ENDING_SOON, 16),
    (EXPIRED, 12),
    (SCHEDULED_RENEWAL, 8),
    (RENEWAL_IN_PROGRESS, 9),
    (TERMINATED, 5),
    (VOID, 3),
    (NEW_SCHEDULED, 3),
]
# The first subscriptions go through every story once, so that even a tiny demo has each.
GUARANTEED = [ENDING_SOON, EXPIRED, SCHEDULED_RENEWAL, RENEWAL_IN_PROGRESS, TERMINATED, VOID]


def _term_end(start: dt.date, months: int) -> dt.date:
    return add_months(start, months) - dt.timedelta(days=1)


def _term_start(end: dt.date, months: int) -> dt.date:
    return add_months(end + dt.timedelta(days=1), -months)


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@dataclass
class Term:
    start: dt.date
    end: dt.date
    final_status: str  # what this term ends up as
    terminated_on: dt.date | None = None


@dataclass(frozen=True)
class ConsentSpec:
    enabled: bool
    by: User | None
    channel: str
    text: str
    text_version: str
    ip_address: str | None = None
    user_agent: str = ""


@dataclass
class Step:
    """One thing that happened to a contract: the event kind the service writes."""

    kind: str  # created, sent_for_signature, signed, paid, auto_renew_on/off,
    # renewal_opened, renewal_lost, expired, terminated, voided, renewed
    at: dt.datetime
    by: User | None = None
    reason: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    consent: ConsentSpec | None = None


@dataclass
class Story:
    customer: Customer
    plan: Plan
    term: Term
    lines: list[LineSpec]
    terms_version: TermsVersion
    manager: User
    predecessor: Story | None
    steps: list[Step]
    contract: Any = None  # the Contract, once a writer has written it
    history: History | None = None  # invoices and complaints of a paid term

    def step(self, kind: str) -> Step | None:
        return next((s for s in self.steps if s.kind == kind), None)


def _in_order(steps: list[Step], now: dt.datetime) -> None:
    """Keep the story's order and never step into the future: each step is at least a
    minute after the one before, and at most (n - i) minutes before now."""
    previous: dt.datetime | None = None
    for i, step in enumerate(steps):
        at = step.at
        if previous is not None:
            at = max(at, previous + dt.timedelta(minutes=1))
        step.at = previous = min(at, now - dt.timedelta(minutes=len(steps) - i))


class Storyteller(Cast):
    """The contract stories of one seeded demo: each subscription's chain of terms and the
    steps of each contract, on the cast and catalogue of ``Cast``."""

    def __init__(self, *, seed: int, today: dt.date) -> None:
        super().__init__(seed=seed, today=today)
        self.guaranteed = list(GUARANTEED)
        self.losses = 0  # renewal cases lost so far: the next one takes LOSSES[losses % n]

    # -- contracts --------------------------------------------------------------------------

    def _scenario(self, chain_length: int, traits: Traits) -> str:
        if self.guaranteed:
            wanted = self.guaranteed[0]
            if wanted in (SCHEDULED_RENEWAL, RENEWAL_IN_PROGRESS):
                fits = chain_length >= 2  # a renewal needs a term to renew
            else:
                # A void or new contract renews nothing: in a chain, the term before it
                # would stay active past its end.
                fits = chain_length == 1 or wanted not in (VOID, NEW_SCHEDULED)
            if fits:
                return self.guaranteed.pop(0)
        # Whether the subscription ends un-renewed depends on how the customer pays and
        # how often they complain (history.py): the signal the propensity model learns.
        if self.rng.random() < traits.churn_probability:
            return EXPIRED if self.rng.random() < 0.8 else TERMINATED
        names, weights = zip(
            *[(n, w) for n, w in SCENARIO_WEIGHTS if n not in (EXPIRED, TERMINATED)], strict=True
        )
        scenario = self.rng.choices(names, weights=weights)[0]
        if chain_length < 2 and scenario in (SCHEDULED_RENEWAL, RENEWAL_IN_PROGRESS):
            return NEW_SCHEDULED if scenario == SCHEDULED_RENEWAL else ACTIVE
        if chain_length > 1 and scenario in (VOID, NEW_SCHEDULED):
            return ACTIVE
        return scenario

    def _terms_for(self, scenario: str, length: int, months: int) -> list[Term]:
        """Dates of each term in a chain, oldest first; all but the last were renewed."""
        rng, today = self.rng, self.today
        last: Term
        extra_before = 0
        if scenario == ACTIVE:
            start = today - dt.timedelta(days=rng.randrange(0, max(1, months * 30 - 61)))
            last = Term(start, _term_end(start, months), ACTIVE)
        elif scenario == ENDING_SOON:
            end = today + dt.timedelta(days=rng.randint(1, 60))
            last = Term(_term_start(end, months), end, ACTIVE)
        elif scenario == RENEWAL_DUE:
            end = today + dt.timedelta(days=rng.randint(20, 45))
            last = Term(_term_start(end, months), end, ACTIVE)
        elif scenario == EXPIRED:
            end = today - dt.timedelta(days=rng.randint(1, 400))
            last = Term(_term_start(end, months), end, EXPIRED)
        elif scenario in (SCHEDULED_RENEWAL, RENEWAL_IN_PROGRESS):
            previous_end = today + dt.timedelta(days=rng.randint(3, 60))
            start = previous_end + dt.timedelta(days=1)
            status = "scheduled" if scenario == SCHEDULED_RENEWAL else "in_progress"
            last = Term(start, _term_end(start, months), status)
            extra_before = 1  # the term being renewed is still active
        elif scenario == TERMINATED:
            start = today - dt.timedelta(days=rng.randint(90, 330))
            end = _term_end(start, max(months, 12))
            terminated_on = today - dt.timedelta(days=rng.randint(1, 60))
            last = Term(start, end, TERMINATED, terminated_on=terminated_on)
        elif scenario == VOID:
            start = today + dt.timedelta(days=rng.randint(-20, 40))
            last = Term(start, _term_end(start, months), VOID)
        else:  # NEW_SCHEDULED
            start = today + dt.timedelta(days=rng.randint(5, 45))
            last = Term(start, _term_end(start, months), "scheduled")
        terms = [last]
        for i in range(length - 1):
            end = terms[0].start - dt.timedelta(days=1)
            status = ACTIVE if (i == 0 and extra_before) else "renewed"
            terms.insert(0, Term(_term_start(end, months), end, status))
        return terms

    def _lines(
        self, plan: Plan, start: dt.date, months: int, seats: int, first: bool
    ) -> list[LineSpec]:
        periods = Decimal(months) / Decimal(PERIOD_MONTHS[plan.billing_period])
        unit = money(self._price_on(plan, start) * periods)
        lines = [
            LineSpec(
                description=f"{plan.name}（{seats} 席位）" if seats > 1 else plan.name,
                quantity=Decimal(seats),
                unit_price=unit,
                plan=plan,
            )
        ]
        if (
            first
            and plan.code in {"ONSITE-MAINT", "IM-ENT", "CLOUD-10T"}
            and self.rng.random() < 0.5
        ):
            lines.append(
                LineSpec(
                    description="实施与培训服务（一次性）",
                    quantity=Decimal(1),
                    unit_price=Decimal(self.rng.choice([2000, 5000, 8000])),
                )
            )
        return lines

    def subscription(
        self,
        customer: Customer,
        kind: str,
        length: int,
        portal_user: User | None,
        scenario: str | None = None,
    ) -> list[Story]:
        """A chain of ``length`` contracts, each renewing the one before; ``scenario``
        decides how it ends (drawn at random when not given)."""
        rng = self.rng
        plan = rng.choice(self.plan_kinds[kind])
        months = rng.choices([12, 6, 24, 3, 1], weights=[70, 10, 8, 8, 4])[0]
        if plan.billing_period == BillingPeriod.ANNUAL:
            months = rng.choice([12, 12, 12, 24])
        elif plan.billing_period == BillingPeriod.QUARTERLY:
            months = rng.choice([12, 12, 6, 3])
        seats = rng.choice([5, 10, 20, 35, 50, 80, 120, 200]) if plan.code in self.seat_plans else 1
        traits = self.traits.get(customer.code) or Traits(late_payer=False, complainer=False)
        scenario = scenario or self._scenario(length, traits)
        wants_auto = plan.default_auto_renew and rng.random() < 0.65
        stories: list[Story] = []
        previous: Story | None = None
        for position, term in enumerate(self._terms_for(scenario, length, months)):
            story = self._story(
                customer,
                plan,
                term,
                months=months,
                seats=seats,
                first=position == 0,
                predecessor=previous,
                auto_renew=wants_auto and term.final_status != EXPIRED,
                portal_user=portal_user,
            )
            paid = story.step("paid")
            if paid is not None:
                story.history = history_for(
                    rng=rng,
                    traits=traits,
                    start=term.start,
                    end=term.end,
                    months=months,
                    period_months=PERIOD_MONTHS[plan.billing_period],
                    total=money(
                        sum((line.quantity * line.unit_price for line in story.lines), Decimal(0))
                    ),
                    first_paid_at=paid.at,
                    today=self.today,
                    now=self.now,
                )
            if previous is not None and paid is not None and term.start <= self.today:
                # The successor took over: the term it renews ends as renewed.
                last = previous.steps[-1].at
                at = max(_at(term.start, 0, 30), last + dt.timedelta(minutes=1))
                previous.steps.append(Step("renewed", min(at, self.now)))
            stories.append(story)
            previous = story
        return stories

    def _story(
        self,
        customer: Customer,
        plan: Plan,
        term: Term,
        *,
        months: int,
        seats: int,
        first: bool,
        predecessor: Story | None,
        auto_renew: bool,
        portal_user: User | None,
    ) -> Story:
        rng, today = self.rng, self.today
        manager = customer.account_manager
        assert manager is not None  # customer() gives every demo customer its manager
        lead_days = rng.randint(12, 40)
        created_on = min(term.start - dt.timedelta(days=lead_days), today)
        if term.final_status == "in_progress" or term.final_status == VOID:
            created_on = min(created_on, today - dt.timedelta(days=rng.randint(0, 10)))
        sent_on = min(created_on + dt.timedelta(days=rng.randint(0, 3)), today)
        signed_on = min(sent_on + dt.timedelta(days=rng.randint(1, 7)), today)
        paid_on = min(signed_on + dt.timedelta(days=rng.randint(0, 10)), today)
        story = Story(
            customer=customer,
            plan=plan,
            term=term,
            lines=self._lines(plan, term.start, months, seats, first),
            terms_version=self._terms_on(signed_on),
            manager=manager,
            predecessor=predecessor,
            steps=[Step("created", _at(created_on, 10, rng.randrange(60)), by=manager)],
        )
        steps = story.steps
        in_progress_stage = rng.choice(["draft", "sent", "signed"])
        if term.final_status == VOID:
            if rng.random() < 0.5:
                steps.append(Step("sent_for_signature", _at(sent_on, 11, 5), by=manager))
            steps.append(
                Step(
                    "voided",
                    _at(min(sent_on + dt.timedelta(days=5), today), 16, 0),
                    by=manager,
                    reason="客户改选其他方案，放弃本合同",
                )
            )
        elif term.final_status == "in_progress" and in_progress_stage == "draft":
            pass
        else:
            steps.append(Step("sent_for_signature", _at(sent_on, 11, 5), by=manager))
            if not (term.final_status == "in_progress" and in_progress_stage == "sent"):
                method = rng.choice(["online", "offline"])
                steps.append(
                    Step(
                        "signed",
                        _at(signed_on, 15, rng.randrange(60)),
                        by=manager,
                        payload={"method": method},
                    )
                )
                if term.final_status != "in_progress":
                    steps.append(Step("paid", _at(paid_on, 9, rng.randrange(60)), by=manager))
                    self._after_payment(story, paid_on, auto_renew, portal_user)
        _in_order(steps, self.now)
        return story

    def _after_payment(
        self, story: Story, paid_on: dt.date, auto_renew: bool, portal_user: User | None
    ) -> None:
        rng, today, term, manager = self.rng, self.today, story.term, story.manager
        if auto_renew:
            # A customer with a portal login gives the consent there (the demo shows it).
            by_portal = portal_user is not None
            consent_on = min(paid_on + dt.timedelta(days=rng.randint(0, 20)), term.end, today)
            on = ConsentSpec(
                enabled=True,
                by=portal_user if by_portal else manager,
                channel="portal" if by_portal else "staff",
                text=CONSENT_TEXT_ON,
                text_version="portal-1" if by_portal else "staff-1",
                ip_address=f"203.0.113.{rng.randint(2, 250)}" if by_portal else None,
                user_agent=rng.choice(USER_AGENTS) if by_portal else "",
            )
            at = _at(consent_on, 20, rng.randrange(60))
            story.steps.append(Step("auto_renew_on", at, by=on.by, consent=on))
            if term.final_status in (ACTIVE, "scheduled") and rng.random() < 0.12:
                off_on = min(consent_on + dt.timedelta(days=rng.randint(10, 90)), today)
                off = ConsentSpec(
                    enabled=False,
                    by=manager,
                    channel="staff",
                    text=CONSENT_TEXT_OFF,
                    text_version="staff-1",
                )
                story.steps.append(
                    Step("auto_renew_off", _at(off_on, 21, 0), by=manager, consent=off)
                )
        if term.final_status == EXPIRED:
            self._renewal_lost(story, paid_on)
            story.steps.append(
                Step("expired", _at(term.end + dt.timedelta(days=1), 0, 30), reason="期满未续约")
            )
        elif term.final_status == TERMINATED and term.terminated_on:
            reason = rng.choice(["预算削减", "业务调整，不再需要该服务", "改用竞品", "公司搬迁"])
            story.steps.append(
                Step(
                    "terminated",
                    _at(term.terminated_on, 18, 0),
                    by=manager,
                    reason=reason,
                    payload={"effective_date": term.terminated_on.isoformat()},
                )
            )

    def _renewal_lost(self, story: Story, paid_on: dt.date) -> None:
        """The renewal case of a term about to expire: opened by the daily sweep, closed as
        lost with the customer's reason (or unanswered at the term's end)."""
        term = story.term
        reason, note, days_before = LOSSES[self.losses % len(LOSSES)]
        self.losses += 1
        opened_on = max(term.end - dt.timedelta(days=RENEWAL_CASE_OPEN_DAYS), paid_on)
        story.steps.append(Step("renewal_opened", _at(opened_on, 1, 30)))
        if reason == "no_response":
            lost_at = _at(term.end + dt.timedelta(days=1), 0, 29)
            by = None
        else:
            lost_on = max(term.end - dt.timedelta(days=days_before), opened_on)
            lost_at, by = _at(lost_on, 16, 0), story.manager
        story.steps.append(
            Step("renewal_lost", lost_at, by=by, reason=note, payload={"loss_reason": reason})
        )
