# The customer's account manager copied onto each contract (Contract.customer_manager),
# kept right by triggers, and two indexes on it for a manager's book.
#
# Non-atomic: the indexes are built CONCURRENTLY on PostgreSQL. On a database with a
# million contracts the backfill UPDATE takes tens of seconds; every step can be re-run.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import AddIndexConcurrentlyOnPostgres, RunSQLByVendor

POSTGRES_TRIGGERS = [
    # Every insert or update of a contract takes the manager from its customer: whatever
    # the application (or a bulk insert, an import, raw SQL) wrote there.
    """
    CREATE OR REPLACE FUNCTION contracts_contract_book_manager() RETURNS trigger AS $$
    BEGIN
        SELECT account_manager_id INTO NEW.customer_manager_id
        FROM customers_customer WHERE id = NEW.customer_id;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS contracts_contract_book_manager ON contracts_contract",
    """
    CREATE TRIGGER contracts_contract_book_manager
    BEFORE INSERT OR UPDATE ON contracts_contract
    FOR EACH ROW EXECUTE FUNCTION contracts_contract_book_manager()
    """,
    # A customer given to another manager takes its contracts along.
    """
    CREATE OR REPLACE FUNCTION customers_customer_book_manager() RETURNS trigger AS $$
    BEGIN
        UPDATE contracts_contract SET customer_manager_id = NEW.account_manager_id
        WHERE customer_id = NEW.id;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS customers_customer_book_manager ON customers_customer",
    """
    CREATE TRIGGER customers_customer_book_manager
    AFTER UPDATE OF account_manager_id ON customers_customer
    FOR EACH ROW WHEN (OLD.account_manager_id IS DISTINCT FROM NEW.account_manager_id)
    EXECUTE FUNCTION customers_customer_book_manager()
    """,
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS customers_customer_book_manager ON customers_customer",
    "DROP FUNCTION IF EXISTS customers_customer_book_manager()",
    "DROP TRIGGER IF EXISTS contracts_contract_book_manager ON contracts_contract",
    "DROP FUNCTION IF EXISTS contracts_contract_book_manager()",
]
# SQLite (make run): AFTER triggers that correct the row; recursive triggers are off,
# so the correcting UPDATE does not fire them again.
SQLITE_MANAGER = "(SELECT account_manager_id FROM customers_customer WHERE id = NEW.customer_id)"
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS contracts_contract_book_manager_insert",
    f"""
    CREATE TRIGGER contracts_contract_book_manager_insert AFTER INSERT ON contracts_contract
    BEGIN
        UPDATE contracts_contract SET customer_manager_id = {SQLITE_MANAGER} WHERE id = NEW.id;
    END
    """,
    "DROP TRIGGER IF EXISTS contracts_contract_book_manager_update",
    f"""
    CREATE TRIGGER contracts_contract_book_manager_update AFTER UPDATE ON contracts_contract
    WHEN NEW.customer_manager_id IS NOT {SQLITE_MANAGER}
    BEGIN
        UPDATE contracts_contract SET customer_manager_id = {SQLITE_MANAGER} WHERE id = NEW.id;
    END
    """,
    "DROP TRIGGER IF EXISTS customers_customer_book_manager",
    """
    CREATE TRIGGER customers_customer_book_manager
    AFTER UPDATE OF account_manager_id ON customers_customer
    WHEN OLD.account_manager_id IS NOT NEW.account_manager_id
    BEGIN
        UPDATE contracts_contract SET customer_manager_id = NEW.account_manager_id
        WHERE customer_id = NEW.id;
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS customers_customer_book_manager",
    "DROP TRIGGER IF EXISTS contracts_contract_book_manager_update",
    "DROP TRIGGER IF EXISTS contracts_contract_book_manager_insert",
]
BACKFILL = {
    "postgresql": [
        """UPDATE contracts_contract c SET customer_manager_id = cu.account_manager_id
           FROM customers_customer cu
           WHERE cu.id = c.customer_id
             AND c.customer_manager_id IS DISTINCT FROM cu.account_manager_id"""
    ],
    "sqlite": [
        """UPDATE contracts_contract SET customer_manager_id = (
               SELECT account_manager_id FROM customers_customer
               WHERE customers_customer.id = contracts_contract.customer_id)"""
    ],
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("contracts", "0004_customer_status_end_index"),
        ("customers", "0003_tier_fx_rates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="contract",
            name="customer_manager",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="account manager of the customer",
            ),
        ),
        # Triggers first, then the backfill: a contract written in between is right too.
        RunSQLByVendor(
            forwards={"postgresql": POSTGRES_TRIGGERS, "sqlite": SQLITE_TRIGGERS},
            backwards={"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP},
        ),
        RunSQLByVendor(forwards=BACKFILL, backwards={}),
        AddIndexConcurrentlyOnPostgres(
            model_name="contract",
            index=models.Index(
                fields=["customer_manager", "status", "end_date", "number"],
                name="contract_book_status_end",
            ),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="contract",
            index=models.Index(
                fields=["customer_manager", "end_date", "number"], name="contract_book_end"
            ),
        ),
    ]
