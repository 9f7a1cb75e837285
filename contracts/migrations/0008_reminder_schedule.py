# The reminder schedule as state (issue #17, point 6): Contract.next_reminder_on, the
# partial index the daily sweep reads by, the triggers that mark a row for the next
# sweep whenever something it depends on changes, and the values of existing contracts.
#
# Non-atomic: the index is built CONCURRENTLY on PostgreSQL. Every step can be re-run.
# Other databases (the SQLite of `make run`) get the column and the index only: there the
# sweep reads the 30-day window as before.

from django.db import migrations, models

from core.migration_ops import AddIndexConcurrentlyOnPostgres, RunSQLByVendor

POSTGRES_TRIGGERS = [
    # A new contract, or one whose dates, status, auto-renewal, plan or customer changed
    # by any path (services, bulk imports, the admin, raw SQL), is "unscheduled"
    # (date.min): the next sweep reads it and decides. Otherwise only the schedule's own
    # statements (which set renewdesk.reminder_schedule for their transaction) write a
    # value; a save of a stale instance writing back the value it loaded keeps the stored
    # one. Unscheduling is always allowed (it can only make the sweep look).
    """
    CREATE OR REPLACE FUNCTION contracts_contract_reminder_schedule() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR (
            (NEW.end_date, NEW.status, NEW.auto_renew, NEW.plan_id, NEW.customer_id)
                IS DISTINCT FROM
            (OLD.end_date, OLD.status, OLD.auto_renew, OLD.plan_id, OLD.customer_id)
        ) THEN
            IF NEW.status = ANY(
                ARRAY['draft', 'awaiting_signature', 'awaiting_payment', 'scheduled', 'active']
            ) THEN
                NEW.next_reminder_on := DATE '0001-01-01';
            ELSE
                NEW.next_reminder_on := NULL;
            END IF;
        ELSIF NEW.next_reminder_on IS DISTINCT FROM OLD.next_reminder_on
            AND NEW.next_reminder_on IS DISTINCT FROM DATE '0001-01-01'
            AND COALESCE(current_setting('renewdesk.reminder_schedule', true), '') <> 'on'
        THEN
            NEW.next_reminder_on := OLD.next_reminder_on;
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS contracts_contract_reminder_schedule ON contracts_contract",
    """
    CREATE TRIGGER contracts_contract_reminder_schedule
    BEFORE INSERT OR UPDATE ON contracts_contract
    FOR EACH ROW EXECUTE FUNCTION contracts_contract_reminder_schedule()
    """,
    # A successor whose status changes (signed, or voided again) decides whether its
    # predecessor is still reminded: the predecessor is unscheduled too.
    """
    CREATE OR REPLACE FUNCTION contracts_contract_reminder_successor() RETURNS trigger AS $$
    BEGIN
        UPDATE contracts_contract SET next_reminder_on = DATE '0001-01-01'
        WHERE id = NEW.predecessor_id AND status = ANY(
            ARRAY['draft', 'awaiting_signature', 'awaiting_payment', 'scheduled', 'active']
          )
          AND next_reminder_on IS DISTINCT FROM DATE '0001-01-01';
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS contracts_contract_reminder_successor ON contracts_contract",
    """
    CREATE TRIGGER contracts_contract_reminder_successor
    AFTER INSERT OR UPDATE OF status, predecessor_id ON contracts_contract
    FOR EACH ROW WHEN (NEW.predecessor_id IS NOT NULL)
    EXECUTE FUNCTION contracts_contract_reminder_successor()
    """,
    # A customer whose effective tier changes may fall under other reminder rules.
    """
    CREATE OR REPLACE FUNCTION customers_customer_reminder_schedule() RETURNS trigger AS $$
    BEGIN
        UPDATE contracts_contract SET next_reminder_on = DATE '0001-01-01'
        WHERE customer_id = NEW.id AND status = ANY(
            ARRAY['draft', 'awaiting_signature', 'awaiting_payment', 'scheduled', 'active']
          )
          AND next_reminder_on IS DISTINCT FROM DATE '0001-01-01';
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS customers_customer_reminder_schedule ON customers_customer",
    """
    CREATE TRIGGER customers_customer_reminder_schedule
    AFTER UPDATE OF tier, tier_override ON customers_customer
    FOR EACH ROW WHEN (
        COALESCE(NULLIF(OLD.tier_override, ''), OLD.tier)
            IS DISTINCT FROM COALESCE(NULLIF(NEW.tier_override, ''), NEW.tier)
    )
    EXECUTE FUNCTION customers_customer_reminder_schedule()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS customers_customer_reminder_schedule ON customers_customer",
    "DROP FUNCTION IF EXISTS customers_customer_reminder_schedule()",
    "DROP TRIGGER IF EXISTS contracts_contract_reminder_successor ON contracts_contract",
    "DROP FUNCTION IF EXISTS contracts_contract_reminder_successor()",
    "DROP TRIGGER IF EXISTS contracts_contract_reminder_schedule ON contracts_contract",
    "DROP FUNCTION IF EXISTS contracts_contract_reminder_schedule()",
]


def schedule_existing(apps, schema_editor):
    """The value of every existing contract, set-based (one UPDATE): the same statement the
    application uses (notifications.reminders.schedule_state). An empty table (a new
    database, the tests) has nothing to compute."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM contracts_contract)")
        if not cursor.fetchone()[0]:
            return
    from notifications.reminders.schedule_state import reminder_schedule_recompute

    reminder_schedule_recompute()


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contracts", "0007_active_end_number"),
        ("customers", "0001_initial"),
        # The data step reads the reminder rules and the reminders sent.
        ("notifications", "0004_lazy_render"),
    ]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="next_reminder_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="next reminder due on"
            ),
        ),
        RunSQLByVendor(
            forwards={"postgresql": POSTGRES_TRIGGERS},
            backwards={"postgresql": POSTGRES_DROP},
        ),
        migrations.RunPython(schedule_existing, migrations.RunPython.noop),
        AddIndexConcurrentlyOnPostgres(
            model_name="contract",
            index=models.Index(
                condition=models.Q(("next_reminder_on__isnull", False)),
                fields=["next_reminder_on"],
                name="contract_next_reminder",
            ),
        ),
    ]
