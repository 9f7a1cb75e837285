# Reserved for the payment attempts and the provider notification log (filled in by the
# change that adds their models).
from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations: list = []
