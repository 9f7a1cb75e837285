"""The demo's loyalty programme: earning rules, member levels with their privileges (the
extra services name a product of the catalogue, given free on the members' renewal
quotes) and rewards (keyed by code: a second seed_demo run adds nothing and keeps an admin's edits),
and the points ledger the demo customers would have today had the programme run since
``LAUNCH_MONTHS`` ago.

The history is written in bulk, with the dedupe keys the real earnings use
(``<rule>:invoice:<number>``, ``<rule>:contract:<id>``, ``<rule>:customer:<id>:year:<n>``),
so a reaction or sweep that runs later for the same occasion earns nothing twice. Expiries
are written per customer in date order, the way the daily sweep would have written them.
A redemption and a staff adjustment go through the loyalty services, like the pages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Min
from django.utils import timezone

from billing.models import Invoice
from billing.services import add_months
from contracts.models import BillingPeriod, Contract, ContractEvent, Plan, PlanPrice
from core.errors import DomainError
from core.money import money
from customers.models import Customer
from loyalty.models import (
    EarnRule,
    EntryKind,
    Level,
    PointsEntry,
    Privilege,
    PrivilegeKind,
    ReasonCode,
    Redemption,
    Reward,
    RewardKind,
    Trigger,
)
from loyalty.selectors import points_available
from loyalty.services import (
    SIGNED_STATUSES,
    anniversary,
    english_reason,
    expiry_date,
    points_adjust,
    reward_redeem,
    rule_points,
)

# The programme started this many months before the seed's today: earlier occasions earn
# nothing (so a ten-year-old customer does not arrive with ten years of points).
LAUNCH_MONTHS = 18
# What staff credited the first portal customer when the programme started.
WELCOME_POINTS = 500

# code, Chinese name, English name, trigger, points, per amount (None: fixed), expiry months
RULE_SPECS: list[tuple[str, str, str, str, int, str | None, int]] = [
    ("on-time-payment", "按时付款", "Invoice paid on time", Trigger.ON_TIME_PAYMENT, 1, "100", 12),
    ("renewal-bonus", "续约奖励", "Renewal bonus", Trigger.RENEWAL, 1, "50", 24),
    ("anniversary", "合作周年", "Anniversary as a customer", Trigger.TENURE, 200, None, 24),
    ("referral-signed", "推荐签约", "Referred customer signed", Trigger.REFERRAL, 500, None, 24),
]

# The extra services' descriptions name the service only: the quote line adds that it is
# complimentary ("（会员礼遇·金卡，免费）"), so "free" here would read twice. The first
# seeds wrote these; a later run rewords them where an admin left them unchanged.
OLD_DESCRIPTIONS = {
    "每季度一次免费系统健康检查": ("每季度一次系统健康检查", "A system health check every quarter"),
}

# The products the levels' extra services give (complimentary lines on the members'
# renewal quotes): code, name, price per billing period, billing period. Sold on their
# own too, with the catalogue's dated prices (a history and next year's rise).
SERVICE_PLAN_SPECS: list[tuple[str, str, str, str]] = [
    ("SVC-HEALTH", "系统健康检查服务（每季度一次）", "800.00", BillingPeriod.QUARTERLY),
    ("SVC-CSM", "专属客户成功经理服务（年度）", "12000.00", BillingPeriod.ANNUAL),
]

# code, Chinese name, English name, from points, privileges:
# (kind, discount %, response hours, Chinese description, English description,
#  extra service's product code)
PrivilegeSpec = tuple[str, str, int | None, str, str, str | None]
LEVEL_SPECS: list[tuple[str, str, str, int, list[PrivilegeSpec]]] = [
    (
        "silver",
        "银卡会员",
        "Silver member",
        300,
        [(PrivilegeKind.RENEWAL_DISCOUNT, "3", None, "续约 97 折", "3% off every renewal", None)],
    ),
    (
        "gold",
        "金卡会员",
        "Gold member",
        1000,
        [
            (PrivilegeKind.RENEWAL_DISCOUNT, "5", None, "续约 95 折", "5% off every renewal", None),
            (
                PrivilegeKind.EXTRA_SERVICE,
                "0",
                None,
                "每季度一次系统健康检查",
                "A system health check every quarter",
                "SVC-HEALTH",
            ),
        ],
    ),
    (
        "platinum",
        "白金会员",
        "Platinum member",
        3000,
        [
            (PrivilegeKind.RENEWAL_DISCOUNT, "8", None, "续约 92 折", "8% off every renewal", None),
            (
                PrivilegeKind.PRIORITY_SLA,
                "0",
                4,
                "工单 4 小时内响应",
                "Tickets answered within 4 hours",
                None,
            ),
            (
                PrivilegeKind.EXTRA_SERVICE,
                "0",
                None,
                "专属客户成功经理",
                "A dedicated customer success manager",
                "SVC-CSM",
            ),
        ],
    ),
]

# code, Chinese name, English name, kind, points, discount %
REWARD_SPECS: list[tuple[str, str, str, str, int, str]] = [
    (
        "onsite-training",
        "上门培训一次",
        "One on-site training session",
        RewardKind.SERVICE,
        400,
        "0",
    ),
    (
        "renewal-5",
        "续约 95 折券",
        "5% off your next renewal",
        RewardKind.RENEWAL_DISCOUNT,
        800,
        "5",
    ),
    (
        "renewal-10",
        "续约 9 折券",
        "10% off your next renewal",
        RewardKind.RENEWAL_DISCOUNT,
        1500,
        "10",
    ),
]


def service_plans_seed(*, today: dt.date) -> dict[str, Plan]:
    """The extra services' products (keyed by code: an admin's edits stay), with dated
    prices like the rest of the demo catalogue."""
    plans: dict[str, Plan] = {}
    for code, name, price_text, period in SERVICE_PLAN_SPECS:
        price = Decimal(price_text)
        plan, created = Plan.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                description=name,
                price=price,
                billing_period=period,
                default_term_months=12,
            ),
        )
        if created:
            PlanPrice.objects.bulk_create(
                [
                    PlanPrice(
                        plan=plan,
                        price=money(price * Decimal("0.92")),
                        effective_from=dt.date(today.year - 3, 1, 1),
                    ),
                    PlanPrice(plan=plan, price=price, effective_from=dt.date(today.year - 1, 1, 1)),
                    PlanPrice(
                        plan=plan,
                        price=money(price * Decimal("1.08")),
                        effective_from=dt.date(today.year + 1, 1, 1),
                    ),
                ]
            )
        plans[code] = plan
    return plans


def loyalty_catalogue_seed(*, today: dt.date | None = None) -> int:
    """The rules, levels with their privileges and rewards, and the products the extra
    services give; returns how many loyalty rows it made."""
    made = 0
    service_plans = service_plans_seed(today=today or timezone.localdate())
    for code, name, name_en, trigger, points, per_amount, months in RULE_SPECS:
        _rule, created = EarnRule.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                name_en=name_en,
                trigger=trigger,
                points=points,
                per_amount=Decimal(per_amount) if per_amount else None,
                expiry_months=months,
            ),
        )
        made += created
    for code, name, name_en, min_points, privileges in LEVEL_SPECS:
        level, created = Level.objects.get_or_create(
            code=code, defaults=dict(name=name, name_en=name_en, min_points=min_points)
        )
        made += created
        if not created:
            # An admin may have changed its privileges: leave them. An extra service
            # seeded before services named their product gets it (only the seed's own
            # row, recognised by its unchanged description).
            for kind, _p, _h, description, _d, plan_code in privileges:
                if kind == PrivilegeKind.EXTRA_SERVICE and plan_code:
                    Privilege.objects.filter(
                        level=level, kind=kind, description=description, plan__isnull=True
                    ).update(plan=service_plans[plan_code])
            for old, (description, description_en) in OLD_DESCRIPTIONS.items():
                Privilege.objects.filter(
                    level=level, kind=PrivilegeKind.EXTRA_SERVICE, description=old
                ).update(description=description, description_en=description_en)
            continue
        for kind, percent, hours, description, description_en, plan_code in privileges:
            Privilege.objects.create(
                level=level,
                kind=kind,
                discount_percent=Decimal(percent),
                response_hours=hours,
                description=description,
                description_en=description_en,
                plan=service_plans[plan_code] if plan_code else None,
            )
            made += 1
    for code, name, name_en, kind, points, percent in REWARD_SPECS:
        _reward, created = Reward.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                name_en=name_en,
                kind=kind,
                points_cost=points,
                discount_percent=Decimal(percent),
            ),
        )
        made += created
    return made


@dataclass
class LoyaltySeed:
    earned: int = 0
    expired: int = 0
    redeemed: int = 0
    adjusted: int = 0


def loyalty_history_seed(
    *, customer_ids: Collection[int], today: dt.date, by: Any, showcase_ids: Collection[int] = ()
) -> LoyaltySeed:
    """The ledger of ``customer_ids`` since the launch: earnings for invoices paid on
    time, renewals and anniversaries, the expiries due by ``today``, then one
    redemption (a customer of ``showcase_ids`` first, so the portal shows it) and one
    staff adjustment by ``by``."""
    summary = LoyaltySeed()
    launch = add_months(today, -LAUNCH_MONTHS)
    rules: dict[str, list[EarnRule]] = defaultdict(list)
    for rule in EarnRule.objects.filter(is_active=True).order_by("id"):
        rules[rule.trigger].append(rule)
    entries: list[PointsEntry] = []

    def earn(
        customer_id: int,
        trigger: str,
        subject: str,
        on: dt.date,
        amount: Any,
        code: str,
        params: dict[str, Any],
    ) -> None:
        # As the services write it: the code and parameters (worded for each reader),
        # the English wording stored.
        reason = english_reason(code, params)
        for rule in rules[trigger]:
            points = rule_points(rule=rule, amount=amount)
            if points > 0:
                entries.append(
                    PointsEntry(
                        customer_id=customer_id,
                        kind=EntryKind.EARN,
                        points=points,
                        rule=rule,
                        dedupe_key=f"{rule.code}:{subject}"[:120],
                        on=on,
                        expires_on=expiry_date(rule=rule, on=on),
                        reason=reason,
                        reason_code=code,
                        reason_params=params,
                        created_at=_noon(on),
                    )
                )

    ids = list(customer_ids)
    invoices = Invoice.objects.filter(
        customer_id__in=ids, paid_at__isnull=False, paid_at__gte=_noon(launch)
    ).order_by("paid_at", "id")
    for number, customer_id, amount, due, paid_at in invoices.values_list(
        "number", "customer_id", "amount", "due_date", "paid_at"
    ):
        paid_on = timezone.localdate(paid_at)
        if launch < paid_on <= min(due, today):
            earn(
                customer_id,
                Trigger.ON_TIME_PAYMENT,
                f"invoice:{number}",
                paid_on,
                amount,
                ReasonCode.ON_TIME_PAYMENT,
                {"number": number},
            )
    renewals = ContractEvent.objects.filter(
        contract__customer_id__in=ids, to_status="renewed"
    ).order_by("at", "id")
    for contract_id, number, customer_id, amount, at in renewals.values_list(
        "contract_id", "contract__number", "contract__customer_id", "contract__total_amount", "at"
    ):
        on = timezone.localdate(at)
        if launch < on <= today:
            earn(
                customer_id,
                Trigger.RENEWAL,
                f"contract:{contract_id}",
                on,
                amount,
                ReasonCode.RENEWAL,
                {"number": number},
            )
    firsts = (
        Contract.objects.filter(customer_id__in=ids, status__in=SIGNED_STATUSES)
        .values("customer_id")
        .annotate(since=Min("start_date"))
        .order_by("customer_id")
    )
    for row in firsts:
        years = 1
        while (on := anniversary(row["since"], years)) <= today:
            if on > launch:
                earn(
                    row["customer_id"],
                    Trigger.TENURE,
                    f"customer:{row['customer_id']}:year:{years}",
                    on,
                    None,
                    ReasonCode.TENURE,
                    {"years": years},
                )
            years += 1
    # ON CONFLICT DO NOTHING: an occasion a reaction already paid out earns once.
    PointsEntry.objects.bulk_create(entries, batch_size=1000, ignore_conflicts=True)
    summary.earned = len(entries)
    expiries = _expiries(customer_ids=ids, today=today)
    PointsEntry.objects.bulk_create(expiries, batch_size=1000)
    summary.expired = len(expiries)
    summary.redeemed, summary.adjusted = _redeem_and_adjust(
        customer_ids=ids, showcase_ids=list(showcase_ids), today=today, by=by
    )
    return summary


def _noon(on: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(on, dt.time(12, 0)))


def _expiries(*, customer_ids: list[int], today: dt.date) -> list[PointsEntry]:
    """First in, first out, as the daily sweep writes them: on each day credits expired,
    what they held beyond the debits so far."""
    credits: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for customer_id, expires_on, points in (
        PointsEntry.objects.filter(
            customer_id__in=customer_ids, points__gt=0, expires_on__lte=today
        )
        .order_by("customer_id", "expires_on", "id")
        .values_list("customer_id", "expires_on", "points")
    ):
        if expires_on is not None:  # (the filter keeps only dated credits)
            credits[customer_id].append((expires_on, points))
    debits: dict[int, int] = defaultdict(int)
    for customer_id, points in PointsEntry.objects.filter(
        customer_id__in=customer_ids, points__lt=0
    ).values_list("customer_id", "points"):
        debits[customer_id] -= points
    rows = []
    for customer_id, dated in credits.items():
        expiring, taken = 0, debits[customer_id]
        for index, (expires_on, points) in enumerate(dated):
            expiring += points
            if index + 1 < len(dated) and dated[index + 1][0] == expires_on:
                continue  # one row per day
            due = expiring - taken
            if due > 0:
                rows.append(
                    PointsEntry(
                        customer_id=customer_id,
                        kind=EntryKind.EXPIRE,
                        points=-due,
                        on=expires_on,
                        reason=english_reason(ReasonCode.EXPIRY),
                        reason_code=ReasonCode.EXPIRY,
                        created_at=_noon(expires_on),
                    )
                )
                taken += due
    return rows


def _redeem_and_adjust(
    *, customer_ids: list[int], showcase_ids: list[int], today: dt.date, by: Any
) -> tuple[int, int]:
    """A staff adjustment (welcome points for the first showcase customer, so the portal's
    rewards page has something to spend) and one redemption of the cheapest service
    reward by the first customer who can afford it, showcase customers first; both
    through the services, like the pages."""
    redeemed = adjusted = 0
    ordered = [*showcase_ids, *(pk for pk in sorted(customer_ids) if pk not in showcase_ids)]
    customers = Customer.objects.in_bulk(ordered)
    first = next((customers[pk] for pk in ordered if pk in customers), None)
    if first is not None:
        welcome_on = today - dt.timedelta(days=40)
        entry = points_adjust(
            customer=first,
            points=WELCOME_POINTS,
            reason="会员计划上线欢迎积分",
            by=by,
            on=welcome_on,
        )
        # Recorded on its day, like the rest of the history (not at the seed's moment).
        PointsEntry.objects.filter(pk=entry.pk).update(created_at=_noon(welcome_on))
        adjusted = 1
    reward = (
        Reward.objects.filter(is_active=True, kind=RewardKind.SERVICE)
        .order_by("points_cost", "code")
        .first()
    )
    if reward is None:
        return redeemed, adjusted
    on = today - dt.timedelta(days=12)
    for pk in ordered:
        customer = customers.get(pk)
        if customer is None or points_available(customer=customer, on=on) < reward.points_cost:
            continue
        try:
            redemption = reward_redeem(customer=customer, reward=reward, on=on, by=by)
        except DomainError:  # the reward's rules changed under us: try the next customer
            continue
        # Redeemed on the ledger row's day: the staff page's redemptions and ledger agree
        # (the service stamps the moment it runs, which for the seed is today).
        Redemption.objects.filter(pk=redemption.pk).update(created_at=_noon(on))
        PointsEntry.objects.filter(redemption=redemption).update(created_at=_noon(on))
        redeemed = 1
        break
    return redeemed, adjusted
