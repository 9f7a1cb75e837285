"""Shipped defaults: jurisdiction rules (docs/product.md §7) and lunar festival dates.

Both are data that admins edit; this migration only creates rows that do not exist yet.
"""

import datetime as dt

from django.db import migrations

JURISDICTIONS = [
    {
        "code": "CN",
        "name": "China",
        "notice_min_days": 5,
        "notice_max_days": None,
        "legal_reference": "网络交易监督管理办法 Art. 18; 消费者权益保护法实施条例 Art. 10",
        "notes": "Remind conspicuously before the renewal date (at least 5 days before); "
        "cancellation possible at any time with no unreasonable fee.",
        "is_default": True,
    },
    {
        "code": "US-CA",
        "name": "California (Automatic Renewal Law)",
        "notice_min_days": 15,
        "notice_max_days": 45,
        "price_change_notice_min_days": 7,
        "price_change_notice_max_days": 30,
        "consent_retention_years": 3,
        "legal_reference": "Cal. Bus. & Prof. Code §17600 ff.",
        "notes": "For terms of a year or more: notice 15–45 days before renewal; price-change "
        "notice 7–30 days before; consent records kept 3 years.",
    },
    {
        "code": "FR",
        "name": "France",
        "notice_min_days": 30,
        "notice_max_days": 90,
        "legal_reference": "Code de la consommation L215-1",
        "notes": "Notice no earlier than 3 months and no later than 1 month before the deadline "
        "to refuse renewal.",
    },
    {
        "code": "DE",
        "name": "Germany (B2C)",
        "renew_into_open_ended": True,
        "open_ended_notice_months": 1,
        "legal_reference": "BGB §309 Nr. 9",
        "notes": "After the initial term, renewal only into an open-ended contract cancellable "
        "with 1 month's notice.",
    },
]

FESTIVALS = {
    "spring_festival": ["2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03"],
    "mid_autumn": ["2025-10-06", "2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22", "2030-09-12"],
}


def seed(apps, schema_editor):
    JurisdictionRule = apps.get_model("notifications", "JurisdictionRule")
    FestivalDate = apps.get_model("notifications", "FestivalDate")
    for row in JURISDICTIONS:
        row = dict(row)
        code = row.pop("code")
        if row.get("is_default") and JurisdictionRule.objects.filter(is_default=True).exists():
            row["is_default"] = False
        JurisdictionRule.objects.get_or_create(code=code, defaults=row)
    for kind, days in FESTIVALS.items():
        for day in days:
            FestivalDate.objects.get_or_create(kind=kind, date=dt.date.fromisoformat(day))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
