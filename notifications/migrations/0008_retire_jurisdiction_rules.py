"""Retire notifications.JurisdictionRule and ReminderRule.jurisdiction.

The law lives in the compliance app now (jurisdictions and versioned rule sets, per
customer country/region, captured per contract; docs/compliance.md): its seed
(compliance 0002) covers what this app's 0002 seeded (China, California, France,
Germany) and more. A reminder rule keeps only its offsets; the statutory notice a
customer's rules require is added by notifications/reminders/statutory.py.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0007_sms_receipts_message_events"),
        # The rules that replace these rows must exist before they go.
        ("compliance", "0002_seed_jurisdictions_rulesets"),
    ]

    operations = [
        migrations.RemoveField(model_name="reminderrule", name="jurisdiction"),
        migrations.DeleteModel(name="JurisdictionRule"),
    ]
