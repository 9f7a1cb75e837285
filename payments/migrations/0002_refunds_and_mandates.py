# Reserved for refunds through the provider and saved payment methods (mandates).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations: list = []
