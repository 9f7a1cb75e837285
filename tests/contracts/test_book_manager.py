"""Contract.customer_manager: the customer's account manager, kept by database triggers
(contracts migration 0005) whatever writes the contract or the customer."""

from __future__ import annotations

import pytest
from django.db import connection

from contracts.access import contracts_visible_to
from contracts.models import Contract
from customers.services import customer_update
from tests.factories import ContractFactory, CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _manager_of(contract: Contract) -> int | None:
    return Contract.objects.values_list("customer_manager_id", flat=True).get(pk=contract.pk)


def test_a_new_contract_takes_its_customers_manager(manager):
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager))
    assert _manager_of(contract) == manager.pk
    assert list(contracts_visible_to(manager)) == [contract]


def test_bulk_inserted_contracts_take_it_too(manager):
    customer = CustomerFactory(account_manager=manager)
    template = ContractFactory(customer=customer)
    Contract.objects.bulk_create(
        [
            Contract(
                number=f"HT-BULK-{i}",
                customer=customer,
                start_date=template.start_date,
                end_date=template.end_date,
                total_amount=template.total_amount,
                annual_value=template.annual_value,
            )
            for i in range(3)
        ]
    )
    assert set(
        Contract.objects.filter(number__startswith="HT-BULK-").values_list(
            "customer_manager_id", flat=True
        )
    ) == {manager.pk}


def test_a_customer_given_to_another_manager_takes_its_contracts(manager):
    other = StaffFactory(username="bob")
    customer = CustomerFactory(account_manager=manager)
    contracts = [ContractFactory(customer=customer) for _ in range(2)]
    unrelated = ContractFactory(customer=CustomerFactory(account_manager=manager))

    customer_update(customer=customer, by=None, account_manager=other)

    assert {_manager_of(c) for c in contracts} == {other.pk}
    assert set(contracts_visible_to(other)) == set(contracts)
    assert list(contracts_visible_to(manager)) == [unrelated]

    customer_update(customer=customer, by=None, account_manager=None)
    assert {_manager_of(c) for c in contracts} == {None}
    assert not contracts_visible_to(other).exists()


def test_what_the_application_writes_there_does_not_stick(manager):
    other = StaffFactory(username="bob")
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager))
    # A stale in-memory value saved back, and a raw UPDATE: both corrected.
    contract.customer_manager_id = other.pk
    contract.save()
    assert _manager_of(contract) == manager.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE contracts_contract SET customer_manager_id = %s WHERE id = %s",
            [other.pk, contract.pk],
        )
    assert _manager_of(contract) == manager.pk


def test_moving_a_contract_to_another_customer(manager):
    other = StaffFactory(username="bob")
    contract = ContractFactory(customer=CustomerFactory(account_manager=manager))
    Contract.objects.filter(pk=contract.pk).update(customer=CustomerFactory(account_manager=other))
    assert _manager_of(contract) == other.pk
