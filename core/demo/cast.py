"""The demo's cast and catalogue: the staff users, the customers (names, contacts,
languages, traits) and the plans, dated prices and terms versions. Every choice is drawn
from the storyteller's one seeded ``random.Random``, in the same order as before, so a
seed gives the same demo. ``story.Storyteller`` builds the contract stories on this.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.utils import timezone

from contracts.models import Plan, PlanPrice, TermsVersion
from core.models import User
from core.money import money
from customers.models import Customer, CustomerKind
from customers.services import customer_create

from .data import (
    ADMIN_PASSWORD,
    BRANDS,
    CITIES,
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
)
from .history import Traits, traits_draw


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


class Cast:
    """The people and the catalogue of one seeded demo (the base of ``Storyteller``)."""

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
