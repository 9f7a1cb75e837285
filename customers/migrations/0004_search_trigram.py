# Substring search on customers (code, name) and their contacts (name, email, phone):
# GIN trigram indexes instead of reading every row (see core.migration_ops).

from django.db import migrations

from core.migration_ops import trigram_indexes


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0003_tier_fx_rates")]

    operations = [
        trigram_indexes(
            [
                ("customer_name_trgm", "customers_customer", "name"),
                ("customer_code_trgm", "customers_customer", "code"),
                ("contact_name_trgm", "customers_contact", "name"),
                ("contact_email_trgm", "customers_contact", "email"),
                ("contact_phone_trgm", "customers_contact", "phone"),
            ]
        )
    ]
