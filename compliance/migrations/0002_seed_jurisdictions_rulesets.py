"""Shipped defaults: jurisdictions and their automatic-renewal rule sets (docs/compliance.md).

Data that admins edit: this migration only creates rows that do not exist yet (by code,
and by jurisdiction + version). Every fact is cited in ``source_citation``; what is
uncertain is said in ``notes`` rather than guessed.
"""

import datetime as dt

from django.db import migrations

EU_MEMBER_STATES = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus",
    "CZ": "Czechia", "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France",
    "DE": "Germany", "GR": "Greece", "HU": "Hungary", "IE": "Ireland", "IT": "Italy",
    "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg", "MT": "Malta",
    "NL": "Netherlands", "PL": "Poland", "PT": "Portugal", "RO": "Romania",
    "SK": "Slovakia", "SI": "Slovenia", "ES": "Spain", "SE": "Sweden",
}  # fmt: skip

# (code, name, parent code); parents first.
JURISDICTIONS = [
    ("EU", "European Union", None),
    ("US", "United States", None),
    ("CN", "China", None),
    ("GB", "United Kingdom", None),
    ("US-CA", "California", "US"),
    *[(code, name, "EU") for code, name in EU_MEMBER_STATES.items()],
]

ALL_PROOFS = ["email_accepted", "sms_receipt", "portal_read"]

CN_2021 = (
    "网络交易监督管理办法（国家市场监督管理总局令第37号，2021年5月1日施行）第十八条："
    "采取自动展期、自动续费等方式提供服务的，应当在消费者接受服务前和自动展期、自动续费等日期前五日，"
    "以显著方式提请消费者注意，由消费者自主选择。\n"
    "电子商务法 第三十一条：交易信息保存时间自交易完成之日起不少于三年。"
)
CN_2024 = CN_2021 + (
    "\n消费者权益保护法实施条例（国务院令第778号，2024年7月1日施行）第十条："
    "经营者采取自动展期、自动续费等方式提供服务的，应当在消费者接受服务前和自动展期、自动续费等日期前，"
    "以显著方式提请消费者注意。"
)

RULESETS = [
    {
        "jurisdiction": "CN",
        "version": 1,
        "effective_from": dt.date(2021, 5, 1),
        "effective_to": dt.date(2024, 6, 30),
        "notice_unit": "days",
        "notice_min": 5,
        "prominent_disclosure_required": True,
        "consent_retention_years": 3,
        "source_citation": CN_2021,
        "notes": "Notice at least 5 days before the automatic renewal, shown conspicuously, "
        "and a conspicuous disclosure before the service is accepted (opt-in). The "
        "3-year retention is the E-Commerce Law's rule for transaction records, applied "
        "to consent records. No earliest day is set by law.",
    },
    {
        "jurisdiction": "CN",
        "version": 2,
        "effective_from": dt.date(2024, 7, 1),
        "notice_unit": "days",
        "notice_min": 5,
        "prominent_disclosure_required": True,
        "consent_retention_years": 3,
        "source_citation": CN_2024,
        "notes": "Same parameters as version 1; the Implementing Regulations of the Consumer "
        "Rights Protection Law (Art. 10) restate the duty for every trader, online or not. "
        "They also forbid making cancellation harder than sign-up in spirit (\"cancellation "
        "possible at any time with no unreasonable fee\" is how the product reads them): "
        "not encoded as a parameter.",
    },
    {
        "jurisdiction": "US-CA",
        "version": 1,
        "effective_from": dt.date(2022, 7, 1),
        "effective_to": dt.date(2025, 6, 30),
        "notice_unit": "days",
        "notice_min": 15,
        "notice_max": 45,
        "applies_to_terms_of_at_least_months": 12,
        "requires_online_cancellation": True,
        "prominent_disclosure_required": True,
        "source_citation": "Cal. Bus. & Prof. Code §§17600–17606 (Automatic Renewal Law), "
        "§17602 as amended by AB 390 (Stats. 2021) and SB 313 (Stats. 2021), operative "
        "1 July 2022: notice 15 to 45 days before renewal for an initial term of one year "
        "or longer; online termination where the offer was accepted online (§17602(d)); "
        "clear and conspicuous terms before consent (§17602(a)(1)).",
        "notes": "The 15–45 day notice applies when the initial term is one year or longer "
        "and the renewal term is longer than one month. Free-trial and promotional-price "
        "notices (3–21 days before the end of a trial over 31 days) are not encoded.",
    },
    {
        "jurisdiction": "US-CA",
        "version": 2,
        "effective_from": dt.date(2025, 7, 1),
        "notice_unit": "days",
        "notice_min": 15,
        "notice_max": 45,
        "applies_to_terms_of_at_least_months": 12,
        "price_change_notice_min_days": 7,
        "price_change_notice_max_days": 30,
        "price_change_threshold_percent": "0",
        "requires_online_cancellation": True,
        "prominent_disclosure_required": True,
        "consent_retention_years": 3,
        "source_citation": "Cal. Bus. & Prof. Code §§17600–17606 as amended by AB 2863 "
        "(Stats. 2024, signed 24 September 2024, operative 1 July 2025): express "
        "affirmative consent and its record kept 3 years or 1 year after the contract "
        "ends, whichever is longer; notice of a price change 7 to 30 days before it takes "
        "effect; an annual reminder; cancellation online and in the medium used to sign up.",
        "notes": "Applies to contracts entered into, amended or extended from 1 July 2025. "
        "Retention: 3 years is the floor; 'or 1 year after the end, whichever is longer' is "
        "for the retention sweep to apply. The annual reminder (any renewal period) is not "
        "a window and is not encoded here. Any price increase counts (threshold 0).",
    },
    {
        "jurisdiction": "FR",
        "version": 1,
        "effective_from": dt.date(2016, 7, 1),
        "notice_unit": "months",
        "notice_min": 1,
        "notice_max": 3,
        "window_anchor": "refusal_deadline",
        "free_termination_if_not_notified": True,
        "source_citation": "Code de la consommation, art. L215-1 (ordonnance n° 2016-301, "
        "in force 1 July 2016; rule from the loi Chatel n° 2005-67): the professional "
        "informs the consumer in writing, no earlier than three months and no later than "
        "one month before the end of the period allowing the consumer to refuse the tacit "
        "renewal; without that information the consumer may end the contract free of "
        "charge at any time from the renewal date.",
        "notes": "Service contracts of fixed duration with tacit renewal. The anchor is the "
        "deadline to refuse the renewal: the term's last day minus the contract's notice "
        "period. Advance payments for the period after termination are refunded within "
        "30 days (L215-1, not encoded).",
    },
    {
        "jurisdiction": "DE",
        "version": 1,
        "effective_from": dt.date(2022, 3, 1),
        "effective_to": dt.date(2022, 6, 30),
        "renew_into_open_ended": True,
        "open_ended_notice_months": 1,
        "source_citation": "BGB §309 Nr. 9 as amended by the Gesetz für faire "
        "Verbraucherverträge (BGBl. I 2021 S. 3433), for contracts concluded from "
        "1 March 2022: after the initial term (at most two years) a contract may only "
        "be extended tacitly into one of indefinite duration that the consumer can end "
        "at any time with at most one month's notice.",
        "notes": "B2C only. No pre-renewal notice is required by this rule; a renewal into "
        "another fixed term is not allowed.",
    },
    {
        "jurisdiction": "DE",
        "version": 2,
        "effective_from": dt.date(2022, 7, 1),
        "renew_into_open_ended": True,
        "open_ended_notice_months": 1,
        "requires_cancel_button": True,
        "requires_online_cancellation": True,
        "source_citation": "BGB §309 Nr. 9 (as in version 1) and §312k BGB "
        "(Kündigungsbutton, in force 1 July 2022): a consumer who can conclude a "
        "contract on a website must be able to end it there through a button labelled "
        "\"Verträge hier kündigen\" or equivalent, leading to a confirmation page.",
        "notes": "The termination must be confirmed to the consumer on a durable medium "
        "(§312k(4) BGB).",
    },
    {
        "jurisdiction": "EU",
        "version": 1,
        "effective_from": dt.date(2014, 6, 13),
        "effective_to": dt.date(2026, 6, 18),
        "withdrawal_days": 14,
        "source_citation": "Directive 2011/83/EU (Consumer Rights Directive), art. 9: "
        "14 days to withdraw from a distance or off-premises contract, applied by the "
        "member states from 13 June 2014.",
        "notes": "The withdrawal period runs from the conclusion of a service contract; "
        "whether a tacit renewal opens a new period is for national law (not encoded).",
    },
    {
        "jurisdiction": "EU",
        "version": 2,
        "effective_from": dt.date(2026, 6, 19),
        "withdrawal_days": 14,
        "requires_withdrawal_function": True,
        "source_citation": "Directive 2011/83/EU art. 9 and art. 11a, inserted by "
        "Directive (EU) 2023/2673 (applicable from 19 June 2026): for contracts concluded "
        "through an online interface, a withdrawal function, clearly labelled "
        "(\"withdraw from contract here\"), and an acknowledgement of receipt on a "
        "durable medium without undue delay.",
        "notes": "Member states transpose the directive; national texts may differ in "
        "wording, not in the date.",
    },
    {
        "jurisdiction": "GB",
        "version": 1,
        "effective_from": dt.date(2024, 5, 24),
        "awaiting_commencement": True,
        "requires_online_cancellation": True,
        "undo_window_days": 14,
        "source_citation": "Digital Markets, Competition and Consumers Act 2024, Part 4, "
        "Chapter 2 (subscription contracts; Royal Assent 24 May 2024): key pre-contract "
        "information, reminder notices before renewals (s. 258), a 14-day renewal "
        "cooling-off period, and ending the contract in a straightforward way.",
        "notes": "NOT IN FORCE: the subscription regime starts on a date set by "
        "commencement regulations. It was announced for spring 2026, then autumn 2026; "
        "the government's consultation response (reported late 2025/2026) points to "
        "spring 2027. Enter the date in 'commencement date' and untick 'awaiting "
        "commencement' once the regulations are made. The timing of reminder notices is "
        "left to regulations, so no notice window is set. The 14-day renewal cooling-off "
        "applies after a free or discounted period ends and after a renewal committing "
        "the consumer to 12 months or more (check the final regulations).",
    },
]


def seed(apps, schema_editor):
    Jurisdiction = apps.get_model("compliance", "Jurisdiction")
    RuleSet = apps.get_model("compliance", "RuleSet")
    by_code = {}
    for code, name, parent in JURISDICTIONS:
        row, _created = Jurisdiction.objects.get_or_create(
            code=code, defaults={"name": name, "parent": by_code.get(parent)}
        )
        by_code[code] = row
    for spec in RULESETS:
        spec = dict(spec)
        jurisdiction = by_code[spec.pop("jurisdiction")]
        version = spec.pop("version")
        spec.setdefault("delivered_notice_channels", list(ALL_PROOFS))
        RuleSet.objects.get_or_create(jurisdiction=jurisdiction, version=version, defaults=spec)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
