"""Demo data for `manage.py seed_demo`: realistic, deterministic for a given seed.

Everything with a status is created through contracts.services (draft → sent → signed
→ paid → renewed / expired / terminated / void), so every contract has its events and
consents. Afterwards the event and consent timestamps are moved back to the dates the
story says they happened on (a data fix on rows the seed itself just wrote), so that
timelines, reports and the dashboard look like a real history.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from contracts.models import (
    PERIOD_MONTHS,
    AutoRenewConsent,
    BillingPeriod,
    Contract,
    ContractEvent,
    FeeKind,
    Plan,
    PlanPrice,
    RefundPolicy,
    TermsVersion,
)
from contracts.services import (
    LineSpec,
    contract_create_draft,
    contract_expire,
    contract_mark_renewed,
    contract_record_first_payment,
    contract_record_signature,
    contract_send_for_signature,
    contract_set_auto_renew,
    contract_terminate,
    contract_void,
)
from core.models import User
from core.money import money
from customers.models import Contact, Customer, CustomerKind, PortalAccount
from customers.services import (
    customer_create,
    customer_set_tier_override,
    customer_tiers_recompute,
)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo, local use only
ADMIN_PASSWORD = "admin-pass-2026"  # noqa: S105

# --- names ------------------------------------------------------------------------------------

CITIES = [
    ("上海", "shanghai"),
    ("北京", "beijing"),
    ("深圳", "shenzhen"),
    ("杭州", "hangzhou"),
    ("广州", "guangzhou"),
    ("成都", "chengdu"),
    ("苏州", "suzhou"),
    ("南京", "nanjing"),
    ("武汉", "wuhan"),
    ("西安", "xian"),
]
BRANDS = [
    ("星河", "xinghe"),
    ("云帆", "yunfan"),
    ("华信", "huaxin"),
    ("博远", "boyuan"),
    ("恒通", "hengtong"),
    ("金桥", "jinqiao"),
    ("瑞丰", "ruifeng"),
    ("天合", "tianhe"),
    ("汇智", "huizhi"),
    ("新元", "xinyuan"),
    ("鼎盛", "dingsheng"),
    ("启明", "qiming"),
    ("长风", "changfeng"),
    ("锦程", "jincheng"),
    ("青禾", "qinghe"),
]
TRADES = [
    ("科技", "tech"),
    ("信息技术", "it"),
    ("教育科技", "edu"),
    ("网络科技", "net"),
    ("物流", "logistics"),
    ("贸易", "trading"),
    ("医疗器械", "med"),
    ("文化传媒", "media"),
]
SURNAMES = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
]
GIVEN = [
    ("芳", "fang"),
    ("伟", "wei"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("洋", "yang"),
    ("艳", "yan"),
    ("勇", "yong"),
    ("军", "jun"),
    ("杰", "jie"),
    ("婷", "ting"),
    ("晓明", "xiaoming"),
    ("雪梅", "xuemei"),
    ("建国", "jianguo"),
    ("子涵", "zihan"),
]
EN_FIRST = [
    "Emily",
    "James",
    "Olivia",
    "Daniel",
    "Sophie",
    "Michael",
    "Grace",
    "Thomas",
    "Chloe",
    "Henry",
    "Isabella",
    "Lucas",
]
EN_LAST = [
    "Carter",
    "Nguyen",
    "Smith",
    "Tan",
    "Walker",
    "Brown",
    "Lim",
    "Evans",
    "Murphy",
    "Fischer",
]
EN_COMPANY_WORDS = [
    "Northwind",
    "Bluefin",
    "Harbour",
    "Silverline",
    "Redwood",
    "Brightpath",
    "Evergreen",
    "Lighthouse",
    "Summit",
    "Kestrel",
    "Meridian",
    "Oakridge",
]
EN_COMPANY_TRADES = [
    "Analytics",
    "Logistics",
    "Learning",
    "Design Studio",
    "Trading",
    "Consulting",
    "Software",
    "Media",
]
EN_COMPANY_SUFFIXES = ["Ltd", "Pte. Ltd.", "Limited", "LLC", "GmbH"]
ROLES_ZH = ["采购经理", "IT 负责人", "行政主管", "财务经理", "总经理助理"]
ROLES_EN = ["Procurement Manager", "IT Lead", "Office Manager", "Finance Director", "COO"]
TAGS = ["重点客户", "制造业", "教育", "互联网", "医疗", "跨境", "政府采购", "key-account"]


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _term_end(start: dt.date, months: int) -> dt.date:
    return add_months(start, months) - dt.timedelta(days=1)


def _term_start(end: dt.date, months: int) -> dt.date:
    return add_months(end + dt.timedelta(days=1), -months)


# --- catalogue --------------------------------------------------------------------------------

# code, name, price, billing period, currency, term months, auto-renew, notice, etf, refund,
# kinds of customer it is sold to, per-seat
PLAN_SPECS: list[dict[str, Any]] = [
    dict(
        code="CLOUD-1T",
        name="云存储 标准版 1TB",
        price="199.00",
        period=BillingPeriod.MONTHLY,
        auto=True,
        notice=30,
        etf=(FeeKind.NONE, "0"),
        refund=RefundPolicy.PRO_RATA,
        kinds=("zh_company", "en_company"),
    ),
    dict(
        code="CLOUD-10T",
        name="云存储 企业版 10TB",
        price="15800.00",
        period=BillingPeriod.ANNUAL,
        auto=True,
        notice=30,
        etf=(FeeKind.PERCENT_REMAINING, "20"),
        refund=RefundPolicy.PRO_RATA,
        kinds=("zh_company",),
    ),
    dict(
        code="SAAS-SEAT",
        name="协同办公 SaaS 席位",
        price="68.00",
        period=BillingPeriod.MONTHLY,
        auto=True,
        notice=30,
        etf=(FeeKind.PERIODS, "1"),
        refund=RefundPolicy.PRO_RATA,
        kinds=("zh_company",),
        seats=True,
    ),
    dict(
        code="IM-ENT",
        name="企业即时通讯 旗舰版",
        price="9000.00",
        period=BillingPeriod.QUARTERLY,
        auto=False,
        notice=30,
        etf=(FeeKind.FIXED, "2000"),
        refund=RefundPolicy.PRO_RATA,
        kinds=("zh_company",),
    ),
    dict(
        code="ONSITE-MAINT",
        name="上门维护服务（年度）",
        price="36000.00",
        period=BillingPeriod.ANNUAL,
        auto=False,
        notice=60,
        etf=(FeeKind.PERCENT_REMAINING, "30"),
        refund=RefundPolicy.NONE,
        kinds=("zh_company", "en_company"),
    ),
    dict(
        code="EDU-VIP",
        name="在线教育 年度会员",
        price="1299.00",
        period=BillingPeriod.ANNUAL,
        auto=True,
        notice=7,
        etf=(FeeKind.NONE, "0"),
        refund=RefundPolicy.PRO_RATA,
        kinds=("zh_person", "en_person"),
    ),
    dict(
        code="EDU-MONTH",
        name="在线教育 月度会员",
        price="149.00",
        period=BillingPeriod.MONTHLY,
        auto=True,
        notice=7,
        etf=(FeeKind.NONE, "0"),
        refund=RefundPolicy.NONE,
        kinds=("zh_person",),
    ),
    dict(
        code="GLOBAL-SAAS",
        name="Global SaaS Seats (USD)",
        price="12.00",
        currency="USD",
        period=BillingPeriod.MONTHLY,
        auto=True,
        notice=30,
        etf=(FeeKind.PERIODS, "1"),
        refund=RefundPolicy.PRO_RATA,
        kinds=("en_company",),
        seats=True,
    ),
]

TERMS_V1 = """服务合同（标准条款）

第一条 服务内容：乙方按本合同附件所列产品与数量向甲方提供服务。
第二条 服务期限：自合同约定的开始日期起至结束日期止。
第三条 费用与支付：甲方应在收到账单后十五日内支付当期费用。
第四条 续约：服务期满前三十日，乙方将通知甲方续约事宜；双方另行签署续约合同。
第五条 提前解约：甲方提前解约的，应按所选产品的解约政策支付违约金。
第六条 争议解决：因本合同产生的争议，提交乙方所在地人民法院管辖。
"""

TERMS_V2 = """服务合同（标准条款，2版）

第一条 服务内容：乙方按本合同附件所列产品与数量向甲方提供服务。
第二条 服务期限：自合同约定的开始日期起至结束日期止。
第三条 费用与支付：甲方应在收到账单后十五日内支付当期费用，可选择分期支付。
第四条 续约：甲方可在客户门户开启或关闭自动续约；开启后，服务期满时按届时有效价格自动续约，
乙方至少提前三十日、十五日、七日提醒甲方。
第五条 提前解约：甲方可随时通过客户门户申请解约，解约费用与退款按合同签署时的解约政策计算，
并在申请时完整展示。
第六条 个人信息保护：乙方依照《中华人民共和国个人信息保护法》处理甲方联系人信息。
第七条 争议解决：因本合同产生的争议，提交乙方所在地人民法院管辖。
"""

CONSENT_TEXT_ON = (
    "我同意本合同在服务期满时按届时有效的价格自动续约，"
    "并知悉可在续约日前随时在客户门户关闭自动续约。"
)
CONSENT_TEXT_OFF = "我选择关闭自动续约：本合同将在结束日期终止，除非另行续约。"
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36 MicroMessenger/8.0",
]

# --- the story of each subscription ---------------------------------------------------------

ACTIVE = "active"
ENDING_SOON = "ending_soon"
EXPIRED = "expired"
SCHEDULED_RENEWAL = "scheduled_renewal"
RENEWAL_IN_PROGRESS = "renewal_in_progress"
TERMINATED = "terminated"
VOID = "void"
NEW_SCHEDULED = "new_scheduled"

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


class _Seeder:
    def __init__(self, *, seed: int, today: dt.date, log: Callable[[str], None]) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.log = log
        self.plans: dict[str, Plan] = {}
        self.seat_plans: set[str] = set()
        self.price_history: dict[str, list[tuple[dt.date, Decimal]]] = {}
        self.plan_kinds: dict[str, list[Plan]] = {}
        self.terms: list[TermsVersion] = []
        self.used_names: set[str] = set()
        self.guaranteed = list(GUARANTEED)

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
                word, trade = rng.choice(EN_COMPANY_WORDS), rng.choice(EN_COMPANY_TRADES)
                name = f"{word} {trade} {rng.choice(EN_COMPANY_SUFFIXES)}"
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
        return customer, kind

    # -- contracts --------------------------------------------------------------------------

    def _scenario(self, chain_length: int) -> str:
        if self.guaranteed:
            wanted = self.guaranteed[0]
            if chain_length >= 2 or wanted not in (SCHEDULED_RENEWAL, RENEWAL_IN_PROGRESS):
                return self.guaranteed.pop(0)
        names, weights = zip(*SCENARIO_WEIGHTS, strict=True)
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

    def _lines(self, plan: Plan, start: dt.date, months: int, seats: int, first: bool) -> list:
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
        self, customer: Customer, kind: str, length: int, portal_user: User | None
    ) -> int:
        rng = self.rng
        plan = rng.choice(self.plan_kinds[kind])
        months = rng.choices([12, 6, 24, 3, 1], weights=[70, 10, 8, 8, 4])[0]
        if plan.billing_period == BillingPeriod.ANNUAL:
            months = rng.choice([12, 12, 12, 24])
        elif plan.billing_period == BillingPeriod.QUARTERLY:
            months = rng.choice([12, 12, 6, 3])
        seats = rng.choice([5, 10, 20, 35, 50, 80, 120, 200]) if plan.code in self.seat_plans else 1
        scenario = self._scenario(length)
        wants_auto = plan.default_auto_renew and rng.random() < 0.65
        previous: Contract | None = None
        made = 0
        terms = self._terms_for(scenario, length, months)
        for position, term in enumerate(terms):
            contract = self._contract(
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
            if previous is not None and contract.status in ("active", "scheduled"):
                if term.start <= self.today:
                    contract_mark_renewed(contract=previous, successor=contract, by=None)
                    self._stamp(previous, "renewed", _at(term.start, 0, 30))
            made += 1
            previous = contract
        return made

    def _contract(
        self,
        customer: Customer,
        plan: Plan,
        term: Term,
        *,
        months: int,
        seats: int,
        first: bool,
        predecessor: Contract | None,
        auto_renew: bool,
        portal_user: User | None,
    ) -> Contract:
        rng, today = self.rng, self.today
        manager = customer.account_manager
        lead_days = rng.randint(12, 40)
        created_on = min(term.start - dt.timedelta(days=lead_days), today)
        if term.final_status == "in_progress" or term.final_status == VOID:
            created_on = min(created_on, today - dt.timedelta(days=rng.randint(0, 10)))
        sent_on = min(created_on + dt.timedelta(days=rng.randint(0, 3)), today)
        signed_on = min(sent_on + dt.timedelta(days=rng.randint(1, 7)), today)
        paid_on = min(signed_on + dt.timedelta(days=rng.randint(0, 10)), today)
        contract = contract_create_draft(
            customer=customer,
            by=manager,
            start_date=term.start,
            end_date=term.end,
            lines=self._lines(plan, term.start, months, seats, first),
            plan=plan,
            terms_version=self._terms_on(signed_on),
            predecessor=predecessor,
        )
        # When each event happened, in the order it happened (see _stamp_all).
        stamps: dict[str, dt.datetime] = {"created": _at(created_on, 10, rng.randrange(60))}
        consents: dict[str, int] = {}
        in_progress_stage = rng.choice(["draft", "sent", "signed"])
        if term.final_status == VOID:
            if rng.random() < 0.5:
                contract_send_for_signature(contract=contract, by=manager)
                stamps["sent_for_signature"] = _at(sent_on, 11, 5)
            contract_void(contract=contract, by=manager, reason="客户改选其他方案，放弃本合同")
            stamps["voided"] = _at(min(sent_on + dt.timedelta(days=5), today), 16, 0)
            self._stamp_all(contract, stamps, consents)
            return contract
        if term.final_status == "in_progress" and in_progress_stage == "draft":
            self._stamp_all(contract, stamps, consents)
            return contract
        contract_send_for_signature(contract=contract, by=manager)
        stamps["sent_for_signature"] = _at(sent_on, 11, 5)
        if term.final_status == "in_progress" and in_progress_stage == "sent":
            self._stamp_all(contract, stamps, consents)
            return contract
        contract_record_signature(
            contract=contract, by=manager, payload={"method": rng.choice(["online", "offline"])}
        )
        stamps["signed"] = _at(signed_on, 15, rng.randrange(60))
        if term.final_status == "in_progress":
            self._stamp_all(contract, stamps, consents)
            return contract
        contract_record_first_payment(contract=contract, by=manager, today=today)
        stamps["paid"] = _at(paid_on, 9, rng.randrange(60))
        if auto_renew:
            by_portal = portal_user is not None and rng.random() < 0.7
            consent_on = min(paid_on + dt.timedelta(days=rng.randint(0, 20)), term.end, today)
            consent = contract_set_auto_renew(
                contract=contract,
                enabled=True,
                by=portal_user if by_portal else manager,
                channel="portal" if by_portal else "staff",
                text=CONSENT_TEXT_ON,
                text_version="portal-1" if by_portal else "staff-1",
                ip_address=f"203.0.113.{rng.randint(2, 250)}" if by_portal else None,
                user_agent=rng.choice(USER_AGENTS) if by_portal else "",
            )
            stamps["auto_renew_on"] = _at(consent_on, 20, rng.randrange(60))
            consents["auto_renew_on"] = consent.pk
            if term.final_status in (ACTIVE, "scheduled") and rng.random() < 0.12:
                off_on = min(consent_on + dt.timedelta(days=rng.randint(10, 90)), today)
                off = contract_set_auto_renew(
                    contract=contract,
                    enabled=False,
                    by=manager,
                    channel="staff",
                    text=CONSENT_TEXT_OFF,
                    text_version="staff-1",
                )
                stamps["auto_renew_off"] = _at(off_on, 21, 0)
                consents["auto_renew_off"] = off.pk
        if term.final_status == EXPIRED:
            contract_expire(contract=contract, reason="期满未续约")
            stamps["expired"] = _at(term.end + dt.timedelta(days=1), 0, 30)
        elif term.final_status == TERMINATED and term.terminated_on:
            contract_terminate(
                contract=contract,
                by=manager,
                reason=rng.choice(["预算削减", "业务调整，不再需要该服务", "改用竞品", "公司搬迁"]),
                payload={"effective_date": term.terminated_on.isoformat()},
            )
            stamps["terminated"] = _at(term.terminated_on, 18, 0)
        self._stamp_all(contract, stamps, consents)
        return contract

    def _stamp_all(
        self,
        contract: Contract,
        stamps: dict[str, dt.datetime],
        consents: dict[str, int] | None = None,
    ) -> None:
        # Keep the story's order and never step into the future: each stamp is at least
        # a minute after the one before, and at most (n - i) minutes before now.
        now = timezone.now()
        ordered: dict[str, dt.datetime] = {}
        previous: dt.datetime | None = None
        total = len(stamps)
        for i, (kind, at) in enumerate(stamps.items()):
            if previous is not None:
                at = max(at, previous + dt.timedelta(minutes=1))
            at = min(at, now - dt.timedelta(minutes=total - i))
            ordered[kind] = previous = at
        for kind, at in ordered.items():
            ContractEvent.objects.filter(contract=contract, kind=kind).update(at=at)
        for kind, pk in (consents or {}).items():
            AutoRenewConsent.objects.filter(pk=pk).update(at=ordered[kind])
        updates: dict[str, Any] = {"created_at": ordered["created"]}
        if "signed" in ordered:
            updates["signed_at"] = ordered["signed"]
        for ended in ("expired", "terminated"):
            if ended in ordered:
                updates["ended_at"] = ordered[ended]
        Contract.objects.filter(pk=contract.pk).update(**updates)

    def _stamp(self, contract: Contract, kind: str, at: dt.datetime) -> None:
        at = min(at, timezone.now())
        ContractEvent.objects.filter(contract=contract, kind=kind).update(at=at)
        if kind == "renewed":
            Contract.objects.filter(pk=contract.pk).update(ended_at=at)


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` contracts over ``parts`` customers: one each, the rest at random."""
    counts = [1 if i < total else 0 for i in range(parts)]
    for _ in range(max(0, total - parts)):
        counts[rng.randrange(parts)] += 1
    return counts


def _chains(count: int, rng: random.Random) -> list[int]:
    """A customer's contracts as subscriptions (chains of renewals) of 1 to 4 terms."""
    chains = []
    while count > 0:
        length = min(count, rng.choices([1, 2, 3, 4], weights=[30, 35, 25, 10])[0])
        chains.append(length)
        count -= length
    return chains


def demo_seed(
    *,
    customers: int,
    contracts: int,
    seed: int,
    today: dt.date | None = None,
    portal_customers: int = 4,
    log: Callable[[str], None] = lambda message: None,
) -> Demo:
    """Create the demo: users, catalogue, ``customers`` customers and about ``contracts``
    contracts (every term of a renewal chain counts as one)."""
    today = today or timezone.localdate()
    seeder = _Seeder(seed=seed, today=today, log=log)
    with transaction.atomic():
        demo = seeder.users()
        seeder.catalogue()
    rng = seeder.rng
    counts = _split(contracts, customers, rng)
    # New codes continue after any existing demo customers.
    next_code = Customer.objects.filter(code__startswith="KH").count() + 1
    existing_codes = set(Customer.objects.values_list("code", flat=True))
    owners = [*demo.managers, *demo.managers, demo.lead]
    for index in range(customers):
        while f"KH{next_code:05d}" in existing_codes:
            next_code += 1
        code = f"KH{next_code:05d}"
        next_code += 1
        # One transaction per customer: fast on SQLite, and a failure loses one customer.
        with transaction.atomic():
            customer, kind = seeder.customer(code, owners[rng.randrange(len(owners))])
            portal_user = None
            if index < portal_customers:
                portal_user = _portal_user(customer, demo)
            for length in _chains(counts[index], rng):
                demo.contracts += seeder.subscription(customer, kind, length, portal_user)
            first = customer.contracts.aggregate(first=Min("created_at"))["first"]
            if first is not None:
                Customer.objects.filter(pk=customer.pk).update(
                    created_at=first - dt.timedelta(days=rng.randint(1, 30))
                )
        demo.customers += 1
        if (index + 1) % 100 == 0:
            log(f"{index + 1} customers, {demo.contracts} contracts")
    tiers = customer_tiers_recompute(as_of=today)
    overrides = list(Customer.objects.filter(code__startswith="KH").order_by("code")[:2])
    for customer in overrides:
        if not customer.tier_override:
            customer_set_tier_override(
                customer=customer, by=demo.lead, tier="A", reason="战略客户：集团框架协议"
            )
    log(f"tiers: {tiers.counts}")
    return demo


def _portal_user(customer: Customer, demo: Demo) -> User | None:
    contact = Contact.objects.filter(customer=customer, is_primary=True).first()
    if contact is None or not contact.email:
        return None
    user = User.objects.filter(username=contact.email).first()
    if user is None:
        user = User(
            username=contact.email,
            email=contact.email,
            first_name=contact.name,
            language=customer.language,
        )
        user.set_unusable_password()  # portal users log in by an emailed link
        user.save()
        PortalAccount.objects.create(user=user, customer=customer)
    demo.portal_users.append(user)
    return user
