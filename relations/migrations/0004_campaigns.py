# Reserved for a change in progress; its owner fills in the operations.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("relations", "0003_service_levels")]

    operations: list = []
