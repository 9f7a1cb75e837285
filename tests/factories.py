from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from contracts.models import Contract, ContractLine, ContractStatus, Plan, TermsVersion
from core.models import User
from customers.models import Contact, Customer, PortalAccount


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    language = "en"
    password = factory.django.Password("pw-Secret-123")


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    is_staff = True


class TermsVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermsVersion

    version = factory.Sequence(lambda n: f"v{n + 1}")
    title = "Service terms"
    body = "1. Service.\n2. Fees.\n3. Termination."
    effective_from = dt.date(2025, 1, 1)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    code = factory.Sequence(lambda n: f"PLAN{n}")
    name = factory.Sequence(lambda n: f"Plan {n}")
    price = Decimal("1000.00")
    billing_period = "monthly"
    default_term_months = 12


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    kind = "company"
    account_manager = factory.SubFactory(StaffFactory)
    language = "en"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = "Primary Contact"
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    is_primary = True


class PortalAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PortalAccount

    user = factory.SubFactory(UserFactory)
    customer = factory.SubFactory(CustomerFactory)


class ContractFactory(factory.django.DjangoModelFactory):
    """A contract inserted directly in a given status (for tests of what follows)."""

    class Meta:
        model = Contract
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"HT-TEST-{n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda o: o.customer.account_manager)
    plan = None
    status = ContractStatus.ACTIVE
    end_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=64))
    # From the end date, not from today: a test that fixes only the end date (a past or a
    # far one) still gets a term that starts before it ends, whatever today's date is.
    start_date = factory.LazyAttribute(lambda o: o.end_date - dt.timedelta(days=364))
    billing_period = "monthly"
    currency = "CNY"
    total_amount = Decimal("12000.00")
    annual_value = Decimal("12000.00")

    @factory.post_generation
    def with_line(self, create, extracted, **kwargs):
        if create and extracted is not False:
            ContractLine.objects.create(
                contract=self,
                description="Service",
                quantity=Decimal("1"),
                unit_price=self.total_amount,
            )
