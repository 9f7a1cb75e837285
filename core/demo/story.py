"""The demo's stories: who the customers are and what happened to each contract, when.

Everything random is decided here, from one seeded ``random.Random``, before anything
about a contract is written; the writers (writers.py) then only replay a story, so the
service path and the bulk path produce the same data for the same seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.utils import timezone

from billing.services import add_months
from contracts.models import PERIOD_MONTHS, BillingPeriod, Plan, PlanPrice, TermsVersion
from contracts.services import LineSpec
from core.models import User
from core.money import money
from customers.models import Customer, CustomerKind
from customers.services import customer_create

from .data import (
    ADMIN_PASSWORD,
    BRANDS,
    CITIES,
    CONSENT_TEXT_OFF,
    CONSENT_TEXT_ON,
    DEMO_PASSWORD,
    EN_COMPANY_SUFFIXES,
    EN_COMPANY_TRADES,
    EN_COMPANY_WORDS,
    EN_FIRST,
    EN_LAST,
    GIVEN,
    PLAN_SPECS,
    ROLES_EN,
    ROLES_ZH,
    SURNAMES,
    TAGS,
    TERMS_V1,
    TERMS_V2,
    TRADES,
    USER_AGENTS,
)
from .history import History, Traits, history_for, traits_draw

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
class Demo:
    """What seed_demo created, for printing (and for tests)."""

    admin: User
    managers: list[User]
    lead: User
    portal_users: list[User] = field(default_factory=list)
    customers: int = 0
    contracts: int = 0
    created_users: dict[str, str] = field(default_factory=dict)  # username -> password


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

    kind: str  # created, sent_for_signature, signed, paid, auto_renew_on/off, expired,
    # terminated, voided, renewed
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


class Storyteller:
    def __init__(self, *, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.now = timezone.now()
        self.plans: dict[str, Plan] = {}
        self.plan_kinds: dict[str, list[Plan]] = {}
        self.seat_plans: set[str] = set()
        self.price_history: dict[str, list[tuple[dt.date, Decimal]]] = {}
        self.terms: list[TermsVersion] = []
        self.used_names: set[str] = set()
        self.guaranteed = list(GUARANTEED)
        self.traits: dict[str, Traits] = {}  # by customer code

    # -- users ------------------------------------------------------------------------------

    def _user(
        self,
        demo: Demo,
        username: str,
        *,
        full_name: str,
        email: str,
        password: str,
        language: str = "zh-hans",
        **flags: Any,
    ) -> User:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        user = User(username=username, first_name=full_name, email=email, language=language)
        for name, value in flags.items():
            setattr(user, name, value)
        user.set_password(password)
        user.save()
        demo.created_users[username] = password
        return user

    def users(self) -> Demo:
        demo = Demo(admin=None, managers=[], lead=None)  # type: ignore[arg-type]
        demo.admin = self._user(
            demo,
            "admin",
            full_name="Admin",
            email="admin@renewdesk.local",
            password=ADMIN_PASSWORD,
            language="en",
            is_staff=True,
            is_superuser=True,
        )
        demo.lead = self._user(
            demo,
            "zhao.min",
            full_name="赵敏",
            email="zhao.min@renewdesk.local",
            password=DEMO_PASSWORD,
            is_staff=True,
        )
        demo.lead.user_permissions.add(
            Permission.objects.get(codename="view_all_books", content_type__app_label="core")
        )
        for username, name, language in [
            ("wang.li", "王丽", "zh-hans"),
            ("chen.jie", "陈杰", "en"),
        ]:
            manager = self._user(
                demo,
                username,
                full_name=name,
                email=f"{username}@renewdesk.local",
                password=DEMO_PASSWORD,
                language=language,
                is_staff=True,
            )
            if manager.team_lead_id is None:
                manager.team_lead = demo.lead
                manager.save(update_fields=["team_lead"])
            demo.managers.append(manager)
        return demo

    # -- catalogue --------------------------------------------------------------------------

    def catalogue(self) -> None:
        year = self.today.year
        for spec in PLAN_SPECS:
            price = Decimal(spec["price"])
            plan, created = Plan.objects.get_or_create(
                code=spec["code"],
                defaults=dict(
                    name=spec["name"],
                    description=spec["name"],
                    price=price,
                    billing_period=spec["period"],
                    currency=spec.get("currency", "CNY"),
                    default_term_months=12,
                    default_auto_renew=spec["auto"],
                    default_notice_days=spec["notice"],
                    etf_kind=spec["etf"][0],
                    etf_value=Decimal(spec["etf"][1]),
                    refund_policy=spec["refund"],
                ),
            )
            if created:
                # Dated prices: the history, and a rise that takes effect next year.
                PlanPrice.objects.bulk_create(
                    [
                        PlanPrice(
                            plan=plan,
                            price=money(price * Decimal("0.92")),
                            effective_from=dt.date(year - 3, 1, 1),
                        ),
                        PlanPrice(plan=plan, price=price, effective_from=dt.date(year - 1, 1, 1)),
                        PlanPrice(
                            plan=plan,
                            price=money(price * Decimal("1.08")),
                            effective_from=dt.date(year + 1, 1, 1),
                        ),
                    ]
                )
            self.plans[plan.code] = plan
            if spec.get("seats"):
                self.seat_plans.add(plan.code)
            self.price_history[plan.code] = sorted(
                plan.prices.values_list("effective_from", "price")
            )
            for kind in spec["kinds"]:
                self.plan_kinds.setdefault(kind, []).append(plan)
        v1, _c = TermsVersion.objects.get_or_create(
            version="v1",
            defaults=dict(
                title="标准服务条款", body=TERMS_V1, effective_from=dt.date(year - 4, 1, 1)
            ),
        )
        v2, _c = TermsVersion.objects.get_or_create(
            version="v2",
            defaults=dict(
                title="标准服务条款（2版）", body=TERMS_V2, effective_from=dt.date(year - 1, 7, 1)
            ),
        )
        self.terms = sorted([v1, v2], key=lambda t: t.effective_from)

    def _price_on(self, plan: Plan, day: dt.date) -> Decimal:
        price = plan.price
        for effective_from, dated in self.price_history[plan.code]:
            if effective_from <= day:
                price = dated
        return price

    def _terms_on(self, day: dt.date) -> TermsVersion:
        current = self.terms[0]
        for terms in self.terms:
            if terms.effective_from <= day:
                current = terms
        return current

    # -- customers --------------------------------------------------------------------------

    def _unique(self, name: str) -> str:
        candidate, n = name, 2
        while candidate in self.used_names:
            candidate = f"{name}（{n}）" if not name.isascii() else f"{name} ({n})"
            n += 1
        self.used_names.add(candidate)
        return candidate

    def _zh_person(self) -> tuple[str, str]:
        surname, given = self.rng.choice(SURNAMES), self.rng.choice(GIVEN)
        return surname[0] + given[0], f"{given[1]}.{surname[1]}"

    def _en_person(self) -> tuple[str, str]:
        first, last = self.rng.choice(EN_FIRST), self.rng.choice(EN_LAST)
        return f"{first} {last}", f"{first.lower()}.{last.lower()}"

    def customer(self, code: str, manager: User) -> tuple[Customer, str]:
        """Create one customer (through the customer service) and return it with its kind."""
        rng = self.rng
        kind = rng.choices(
            ["zh_company", "zh_person", "en_company", "en_person"], weights=[60, 17, 17, 6]
        )[0]
        for _attempt in range(20):
            if kind == "zh_company":
                city, brand, trade = rng.choice(CITIES), rng.choice(BRANDS), rng.choice(TRADES)
                name = f"{city[0]}{brand[0]}{trade[0]}有限公司"
                contact, handle = self._zh_person()
                email = f"{handle}@{brand[1]}-{trade[1]}.cn"
                phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
                role, language = rng.choice(ROLES_ZH), "zh-hans"
            elif kind == "zh_person":
                contact, handle = self._zh_person()
                name = contact
                email = f"{handle}{rng.randrange(10, 99)}@example.cn"
                phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
                role, language = "", "zh-hans"
            elif kind == "en_company":
                word, en_trade = rng.choice(EN_COMPANY_WORDS), rng.choice(EN_COMPANY_TRADES)
                name = f"{word} {en_trade} {rng.choice(EN_COMPANY_SUFFIXES)}"
                contact, handle = self._en_person()
                email = f"{handle}@{word.lower()}.example.com"
                phone = f"+44 20 7946 {rng.randrange(10000):04d}"
                role, language = rng.choice(ROLES_EN), "en"
            else:
                contact, handle = self._en_person()
                name = contact
                email = f"{handle}{rng.randrange(10, 99)}@example.com"
                phone = f"+65 {rng.randrange(8000, 9999)} {rng.randrange(10000):04d}"
                role, language = "", "en"
            if name not in self.used_names:
                break
        if kind.endswith("company"):
            name = self._unique(name)
        else:
            self.used_names.add(name)  # people do share names
        is_company = kind.endswith("company")
        birth_or_founding = self.today - dt.timedelta(
            days=rng.randrange(365 * 3, 365 * 30)
            if is_company
            else rng.randrange(365 * 20, 365 * 60)
        )
        customer = customer_create(
            by=None,
            contact={"name": contact, "email": email, "phone": phone, "role": role},
            code=code,
            name=name,
            kind=CustomerKind.COMPANY if is_company else CustomerKind.INDIVIDUAL,
            account_manager=manager,
            language=language,
            notify_sms=rng.random() < 0.3,
            birthday=None if is_company else birth_or_founding,
            founded_on=birth_or_founding if is_company else None,
            tags=",".join(rng.sample(TAGS, rng.choice([0, 0, 1, 2]))),
        )
        self.traits[code] = traits_draw(rng)
        return customer, kind

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
