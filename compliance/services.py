"""Writes of the compliance app: capturing the rules a contract was signed under."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from contracts.models import Contract
from customers.country_codes import normalise_code

from .models import ContractRules, ContractRuleSet
from .selectors import contract_rules_day, jurisdictions_for, rulesets_in_force


def contract_rules_capture(*, contract: Contract, on: dt.date | None = None) -> ContractRules:
    """Record, once, the rule sets in force for the contract's customer on ``on`` (default:
    the customer's calendar day of the signature, else the start date). Called when a
    contract is signed or activated; a second call returns the first row unchanged, so a
    later edit of the rules or a customer who moves never rewrites what was agreed."""
    existing = ContractRules.objects.filter(contract=contract).first()
    if existing is not None:
        return existing
    customer = contract.customer
    country, region = normalise_code(customer.country), normalise_code(customer.region)
    day = on or contract_rules_day(contract)
    rulesets = rulesets_in_force(jurisdictions_for(country, region), on=day)
    try:
        # A savepoint: two workers capturing the same contract at once leave one row.
        with transaction.atomic():
            captured = ContractRules.objects.create(
                contract=contract, country=country, region=region, resolved_on=day
            )
            ContractRuleSet.objects.bulk_create(
                ContractRuleSet(contract_rules=captured, ruleset=r) for r in rulesets
            )
    except IntegrityError:
        return ContractRules.objects.get(contract=contract)
    return captured
