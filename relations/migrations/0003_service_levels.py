# Service levels (issue 16, point 7): indicators on renewal quotes, measurements, claims.

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0001_initial'),
        ('contracts', '0010_consent_kind'),
        ('customers', '0005_customer_jurisdiction'),
        ('relations', '0002_segments'),
        ('renewals', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ServiceIndicator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('kind', models.CharField(choices=[('response_hours', 'Response time (hours)'), ('resolution_hours', 'Resolution time (hours)'), ('uptime_percent', 'Uptime (%)'), ('custom', 'Other indicator')], max_length=20, verbose_name='indicator')),
                ('name', models.CharField(blank=True, max_length=120, verbose_name='name')),
                ('unit', models.CharField(blank=True, max_length=20, verbose_name='unit')),
                ('direction', models.CharField(choices=[('at_most', 'at most the target'), ('at_least', 'at least the target')], max_length=10, verbose_name='met when the value is')),
                ('target', models.DecimalField(decimal_places=3, max_digits=12, verbose_name='target')),
                ('period', models.CharField(choices=[('monthly', 'Monthly'), ('quarterly', 'Quarterly')], max_length=10, verbose_name='measured')),
                ('compensation_rule', models.CharField(choices=[('percent_of_fee', "Percent of the period's fee"), ('fixed_per_breach', 'Fixed amount per breach')], max_length=20, verbose_name='compensation')),
                ('compensation_value', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='percent or amount')),
                ('compensation_cap', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='cap over the term')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='added by')),
                ('quote', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='service_indicators', to='renewals.quote', verbose_name='quote')),
            ],
            options={
                'verbose_name': 'service indicator',
                'verbose_name_plural': 'service indicators',
                'ordering': ['quote_id', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ServiceMeasurement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('period_start', models.DateField(verbose_name='period from')),
                ('period_end', models.DateField(verbose_name='period to')),
                ('value', models.DecimalField(decimal_places=3, max_digits=12, verbose_name='measured value')),
                ('breached', models.BooleanField(default=False, verbose_name='breached')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='note')),
                ('contract', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='service_measurements', to='contracts.contract', verbose_name='contract')),
                ('indicator', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='measurements', to='relations.serviceindicator', verbose_name='indicator')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
            ],
            options={
                'verbose_name': 'service measurement',
                'verbose_name_plural': 'service measurements',
                'ordering': ['contract_id', 'indicator_id', 'period_start'],
            },
        ),
        migrations.CreateModel(
            name='CompensationClaim',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('reason', models.TextField(max_length=2000, verbose_name='reason')),
                ('status', models.CharField(choices=[('filed', 'Filed'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('credited', 'Credited')], default='filed', editable=False, max_length=10, verbose_name='status')),
                ('amount', models.DecimalField(blank=True, decimal_places=2, editable=False, max_digits=14, null=True, verbose_name='amount')),
                ('decision_note', models.CharField(blank=True, max_length=500, verbose_name='decision note')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='decided at')),
                ('contract', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='compensation_claims', to='contracts.contract', verbose_name='contract')),
                ('credit_note', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='compensation_claim', to='billing.creditnote', verbose_name='credit note')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='compensation_claims', to='customers.customer', verbose_name='customer')),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='decided by')),
                ('filed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='filed by')),
                ('measurement', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='claim', to='relations.servicemeasurement', verbose_name='breach')),
            ],
            options={
                'verbose_name': 'compensation claim',
                'verbose_name_plural': 'compensation claims',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SlaClaimEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='at')),
                ('kind', models.CharField(max_length=50, verbose_name='kind')),
                ('from_status', models.CharField(blank=True, max_length=20, verbose_name='from')),
                ('to_status', models.CharField(blank=True, max_length=20, verbose_name='to')),
                ('payload', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('reacted_at', models.DateTimeField(blank=True, null=True, verbose_name='reactions run at')),
                ('reaction_attempts', models.PositiveSmallIntegerField(default=0, verbose_name='reaction attempts')),
                ('reaction_error', models.TextField(blank=True, verbose_name='last reaction error')),
                ('reaction_retry_at', models.DateTimeField(blank=True, null=True, verbose_name='reactions retried after')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='actor')),
                ('claim', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='relations.compensationclaim', verbose_name='claim')),
            ],
            options={
                'verbose_name': 'compensation claim event',
                'verbose_name_plural': 'compensation claim events',
                'ordering': ['at', 'id'],
                'abstract': False,
            },
        ),
        migrations.AddConstraint(
            model_name='serviceindicator',
            constraint=models.CheckConstraint(condition=models.Q(('compensation_cap__gt', 0), ('compensation_value__gt', 0)), name='indicator_compensation_positive'),
        ),
        migrations.AddConstraint(
            model_name='serviceindicator',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('compensation_rule', 'percent_of_fee'), _negated=True), ('compensation_value__lte', 100), _connector='OR'), name='indicator_percent_at_most_100'),
        ),
        migrations.AddConstraint(
            model_name='servicemeasurement',
            constraint=models.UniqueConstraint(fields=('contract', 'indicator', 'period_start'), name='measurement_once_per_period'),
        ),
        migrations.AddConstraint(
            model_name='servicemeasurement',
            constraint=models.CheckConstraint(condition=models.Q(('period_end__gte', models.F('period_start'))), name='measurement_period_ordered'),
        ),
        migrations.AddIndex(
            model_name='compensationclaim',
            index=models.Index(fields=['status', 'created_at'], name='claim_status_created'),
        ),
        migrations.AddIndex(
            model_name='slaclaimevent',
            index=models.Index(condition=models.Q(('reacted_at__isnull', True)), fields=['id'], name='slaclaimevent_unreacted'),
        ),
    ]
