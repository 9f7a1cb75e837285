# The reminder schedule as state (issue #17, point 6): notifications.ReminderSchedule, one
# narrow row per contract with the day its next reminder is due, the partial index the
# daily sweep reads by, the triggers that mark a contract for the next sweep whenever
# something its schedule depends on changes, and the values of the existing contracts.
#
# On PostgreSQL only; other databases (the SQLite of `make run`) get the table, and there
# the sweep reads the 30-day window as before.

import django.db.models.deletion
from django.db import migrations, models

from core.migration_ops import RunSQLByVendor

POSTGRES_TRIGGERS = [
    # A new contract, or one whose dates, status, auto-renewal, plan or customer changed,
    # whatever wrote it (services, bulk imports, the admin, raw SQL), is "unscheduled"
    # (date.min, read and decided by the next sweep); an ended or void one has no schedule.
    # A successor whose status changes (signed, or voided again) decides whether its
    # predecessor is still reminded: the predecessor is unscheduled too.
    """
    CREATE OR REPLACE FUNCTION notifications_contract_reminder_schedule() RETURNS trigger AS $$
    DECLARE
        open_statuses text[] := ARRAY[
            'draft', 'awaiting_signature', 'awaiting_payment', 'scheduled', 'active'
        ];
    BEGIN
        IF TG_OP = 'INSERT' OR (
            (NEW.end_date, NEW.status, NEW.auto_renew, NEW.plan_id, NEW.customer_id)
                IS DISTINCT FROM
            (OLD.end_date, OLD.status, OLD.auto_renew, OLD.plan_id, OLD.customer_id)
        ) THEN
            INSERT INTO notifications_reminderschedule AS rs (contract_id, due_on)
            VALUES (
                NEW.id,
                CASE WHEN NEW.status = ANY(open_statuses) THEN DATE '0001-01-01' END
            )
            ON CONFLICT (contract_id) DO UPDATE SET due_on = EXCLUDED.due_on
            WHERE rs.due_on IS DISTINCT FROM EXCLUDED.due_on;
        END IF;
        IF NEW.predecessor_id IS NOT NULL AND (
            TG_OP = 'INSERT'
            OR NEW.status IS DISTINCT FROM OLD.status
            OR NEW.predecessor_id IS DISTINCT FROM OLD.predecessor_id
        ) THEN
            INSERT INTO notifications_reminderschedule AS rs (contract_id, due_on)
            SELECT p.id, DATE '0001-01-01' FROM contracts_contract p
            WHERE p.id = NEW.predecessor_id AND p.status = ANY(open_statuses)
            ON CONFLICT (contract_id) DO UPDATE SET due_on = EXCLUDED.due_on
            WHERE rs.due_on IS DISTINCT FROM EXCLUDED.due_on;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS notifications_contract_reminder_schedule ON contracts_contract",
    """
    CREATE TRIGGER notifications_contract_reminder_schedule
    AFTER INSERT OR UPDATE OF end_date, status, auto_renew, plan_id, customer_id, predecessor_id
    ON contracts_contract
    FOR EACH ROW EXECUTE FUNCTION notifications_contract_reminder_schedule()
    """,
    # A customer whose effective tier changes may fall under other reminder rules.
    """
    CREATE OR REPLACE FUNCTION notifications_customer_reminder_schedule() RETURNS trigger AS $$
    BEGIN
        UPDATE notifications_reminderschedule rs SET due_on = DATE '0001-01-01'
        FROM contracts_contract c
        WHERE c.customer_id = NEW.id AND rs.contract_id = c.id
          AND c.status IN ('draft', 'awaiting_signature', 'awaiting_payment', 'scheduled',
                           'active')
          AND rs.due_on IS DISTINCT FROM DATE '0001-01-01';
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS notifications_customer_reminder_schedule ON customers_customer",
    """
    CREATE TRIGGER notifications_customer_reminder_schedule
    AFTER UPDATE OF tier, tier_override ON customers_customer
    FOR EACH ROW WHEN (
        COALESCE(NULLIF(OLD.tier_override, ''), OLD.tier)
            IS DISTINCT FROM COALESCE(NULLIF(NEW.tier_override, ''), NEW.tier)
    )
    EXECUTE FUNCTION notifications_customer_reminder_schedule()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS notifications_customer_reminder_schedule ON customers_customer",
    "DROP FUNCTION IF EXISTS notifications_customer_reminder_schedule()",
    "DROP TRIGGER IF EXISTS notifications_contract_reminder_schedule ON contracts_contract",
    "DROP FUNCTION IF EXISTS notifications_contract_reminder_schedule()",
]


def schedule_existing(apps, schema_editor):
    """Every existing contract's schedule, set-based (one INSERT … SELECT): the statement
    the application uses (notifications.reminders.schedule_state). An empty contract
    table (a new database, the tests) has nothing to compute."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM contracts_contract)")
        if not cursor.fetchone()[0]:
            return
    from notifications.reminders.schedule_state import reminder_schedule_recompute

    reminder_schedule_recompute()


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0008_reminder_schedule"),
        ("customers", "0001_initial"),
        ("notifications", "0005_message_events"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReminderSchedule",
            fields=[
                (
                    "contract",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="reminder_schedule",
                        serialize=False,
                        to="contracts.contract",
                        verbose_name="contract",
                    ),
                ),
                (
                    "due_on",
                    models.DateField(blank=True, null=True, verbose_name="next reminder due on"),
                ),
            ],
            options={
                "verbose_name": "reminder schedule",
                "verbose_name_plural": "reminder schedules",
                "indexes": [
                    models.Index(
                        condition=models.Q(("due_on__isnull", False)),
                        fields=["due_on"],
                        name="reminder_schedule_due",
                    )
                ],
            },
        ),
        RunSQLByVendor(
            forwards={"postgresql": POSTGRES_TRIGGERS},
            backwards={"postgresql": POSTGRES_DROP},
        ),
        migrations.RunPython(schedule_existing, migrations.RunPython.noop),
    ]
