"""What admins maintain besides plans: the retention offer catalogue, reminder rules per
tier and the personal offer block of tier A reminders. Dates are relative to the seed's
day; every row is keyed (offer code, plan and tier, tier and language) so that a second
seed_demo run adds nothing and keeps an admin's edits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from contracts.models import Plan
from notifications.models import PersonalOffer, ReminderRule
from retention.models import RetentionOffer

# code, title, what the customer reads, kind and its numbers, targeting (empty: any),
# validity in days from the seed's today (None: open-ended), priority (lower first).
RETENTION_OFFER_SPECS: list[dict[str, Any]] = [
    dict(
        code="SAVE-A-PRICE15",
        title="重点客户续约 85 折（2 个周期）· 15% off for 2 terms",
        description=(
            "作为重点客户，您接下来两个合同周期的费用享受 85 折，服务内容不变。\n"
            "As a key account you pay 15% less for your next two terms; nothing else changes."
        ),
        kind="discount",
        discount_percent="15",
        terms_count=2,
        reasons=["price", "competitor", "budget"],
        tiers=["A"],
        valid=(-60, 120),
        priority=10,
    ),
    dict(
        code="SAVE-PRICE10",
        title="下一周期 9 折 · 10% off your next term",
        description=(
            "下一个合同周期的费用享受 9 折，服务内容不变。\n"
            "Your next term costs 10% less; the service stays the same."
        ),
        kind="discount",
        discount_percent="10",
        terms_count=1,
        reasons=["price", "competitor"],
        tiers=["B", "C"],
        valid=(-30, 90),
        priority=20,
    ),
    dict(
        code="SAVE-INSTALL4",
        title="分 4 期付款 · Pay in 4 installments",
        description=(
            "下一个合同周期的费用可分 4 期支付，不加收任何费用。\n"
            "Spread your next term's fee over 4 installments at no extra cost."
        ),
        kind="installments",
        installments=4,
        reasons=["budget"],
        tiers=["B", "C"],
        valid=(-30, 180),
        priority=30,
    ),
    dict(
        code="SAVE-PAUSE2",
        title="暂停 2 个月 · Pause for 2 months",
        description=(
            "业务淡季可暂停服务 2 个月，合同结束日相应顺延，不额外收费。\n"
            "Pause the service for 2 months; the end date moves by 2 months at no cost."
        ),
        kind="pause",
        months=2,
        reasons=["low_usage"],
        tiers=[],
        valid=(-90, 270),
        priority=40,
    ),
    dict(
        code="SAVE-A-CSM",
        title="专属客户成功经理 · A dedicated customer success manager",
        description=(
            "为您指派专属客户成功经理，每季度上门回访并优先处理工单。\n"
            "A dedicated customer success manager visits every quarter and your tickets "
            "come first."
        ),
        kind="added_service",
        added_service="专属客户成功经理（季度回访）",
        reasons=["service_quality"],
        tiers=["A"],
        valid=(-30, 180),
        priority=45,
    ),
    dict(
        code="SAVE-FREE1",
        title="赠送 1 个月服务 · 1 month free",
        description=(
            "为表歉意，赠送 1 个月服务，合同结束日顺延 1 个月。\n"
            "To make up for it, your contract runs 1 month longer at no cost."
        ),
        kind="free_months",
        months=1,
        reasons=["service_quality", "other"],
        tiers=[],
        valid=(-30, 120),
        priority=50,
    ),
    dict(
        code="SAVE-DOWN-1T",
        title="降级为云存储标准版 1TB · Move down to Cloud Storage 1TB",
        description=(
            "用量不大时可在下一周期改用云存储标准版 1TB，费用更低。\n"
            "If you use little storage, switch to the 1TB plan from your next term and "
            "pay less."
        ),
        kind="downgrade",
        downgrade_plan="CLOUD-1T",
        reasons=["budget", "low_usage"],
        tiers=[],
        valid=(-30, 180),
        priority=90,
    ),
    # Shown in the catalogue, never offered: one that ended, one that starts later.
    dict(
        code="SPRING-20",
        title="春节续约 8 折（已结束）· Spring Festival 20% off (ended)",
        description="春节期间续约享受 8 折。\nRenew during Spring Festival and pay 20% less.",
        kind="discount",
        discount_percent="20",
        terms_count=1,
        reasons=[],
        tiers=[],
        valid=(-120, -10),
        priority=5,
    ),
    dict(
        code="MIDYEAR-12",
        title="年中续约 88 折（即将开始）· Mid-year 12% off (starts soon)",
        description="年中活动期间续约享受 88 折。\nRenew during the mid-year campaign for 12% off.",
        kind="discount",
        discount_percent="12",
        terms_count=1,
        reasons=["price"],
        tiers=[],
        valid=(30, 75),
        priority=15,
    ),
]

# Reminder offsets per tier (days before the end): key accounts hear first two months ahead.
REMINDER_RULE_SPECS: list[dict[str, Any]] = [
    dict(tier="A", offsets="60,30,15,7"),
    dict(tier="B", offsets="30,15,7"),
    dict(tier="C", offsets="30,15,7"),
]

PERSONAL_OFFER_SPECS: list[dict[str, str]] = [
    dict(
        tier="A",
        language="zh-hans",
        title="重点客户专享：提前续约享 95 折",
        body="在合同到期前 30 天内完成续约，下一周期费用享受 95 折。\n"
        "如有任何需要，请直接联系您的客户经理。",
    ),
    dict(
        tier="A",
        language="en",
        title="For our key accounts: 5% off when you renew early",
        body="Renew within 30 days before the end date and your next term costs 5% less.\n"
        "Your account manager is happy to help with anything you need.",
    ),
]


def retention_offers_seed(*, today: dt.date) -> int:
    made = 0
    for spec in RETENTION_OFFER_SPECS:
        start, end = spec["valid"]
        plan_code = spec.get("downgrade_plan")
        _offer, created = RetentionOffer.objects.get_or_create(
            code=spec["code"],
            defaults=dict(
                title=spec["title"],
                description=spec["description"],
                kind=spec["kind"],
                discount_percent=Decimal(spec.get("discount_percent", "0")),
                terms_count=spec.get("terms_count", 1),
                months=spec.get("months", 0),
                installments=spec.get("installments", 0),
                added_service=spec.get("added_service", ""),
                downgrade_plan=Plan.objects.filter(code=plan_code).first() if plan_code else None,
                reasons=spec["reasons"],
                tiers=spec["tiers"],
                valid_from=today + dt.timedelta(days=start),
                valid_until=today + dt.timedelta(days=end),
                priority=spec["priority"],
            ),
        )
        made += created
    return made


def reminder_rules_seed() -> int:
    made = 0
    for spec in REMINDER_RULE_SPECS:
        plan = Plan.objects.filter(code=spec["plan"]).first() if "plan" in spec else None
        if "plan" in spec and plan is None:
            continue
        rule = ReminderRule(plan=plan, tier=spec.get("tier", ""), offsets=spec["offsets"])
        rule.clean()  # the admin's check: whole days 1-365, in order (the law: compliance)
        _rule, created = ReminderRule.objects.get_or_create(
            plan=plan, tier=rule.tier, defaults={"offsets": rule.offsets}
        )
        made += created
    return made


def personal_offers_seed() -> int:
    made = 0
    for spec in PERSONAL_OFFER_SPECS:
        if PersonalOffer.objects.filter(
            tier=spec["tier"], language=spec["language"], is_active=True
        ).exists():
            continue
        PersonalOffer.objects.create(**spec)
        made += 1
    return made
