"""Fixed material for the demo: names, the plan catalogue, contract texts."""

from __future__ import annotations

from typing import Any

from contracts.models import BillingPeriod, FeeKind, RefundPolicy

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

# A term that expires un-renewed had its renewal case (opened by the daily sweep this many
# days before the end, as renewals.services.renewal_cases_open_due does) closed as lost:
# what the loss analysis counts (story.Storyteller._renewal_lost). Reasons in turn, not
# drawn from the seeded generator, so the rest of a seed's demo stays the same: (loss
# reason, the manager's note, closed days before the end). "no_response" is closed when
# the term ends, by nobody, as renewals.services.cases_lose_at_term_end does.
RENEWAL_CASE_OPEN_DAYS = 60
LOSSES = [
    ("price", "客户认为续费报价涨幅过大，比较后决定不续", 12),
    ("budget", "客户今年预算削减，暂停采购", 20),
    ("no_response", "", 0),
    ("competitor", "客户已签约竞品，价格更低", 9),
    ("price", "续费价格超出客户审批额度", 15),
    ("budget", "客户部门合并，预算取消", 25),
    ("competitor", "集团统一采购，改用其他供应商", 6),
    ("no_response", "", 0),
]
