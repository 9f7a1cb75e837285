"""Which rules apply: to a place on a day, and to a contract (docs/compliance.md).

``ruleset_for(customer, on=day)`` (or ``ruleset_for(("US", "US-CA"), on=day)``) gives the
combined ``Rules`` of every rule set in force that day for the region, the country and
their parents (the EU for a member state); ``contract_ruleset_snapshot(contract)`` the
rules a contract was signed under. Window arithmetic on the result: compliance/rules.py.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from contracts.models import Contract
from customers.country_codes import normalise_code
from customers.models import Customer

from .calendar import local_day, local_zone
from .models import ContractRules, Jurisdiction, RuleSet
from .rules import Rules, combine

Place = Customer | tuple[str, str]

# A parent chain longer than this is a data error (Jurisdiction.clean refuses cycles).
MAX_PARENT_DEPTH = 5


def place_of(target: Place) -> tuple[str, str]:
    """(country, region) of a customer or of a (country, region) pair, normalised."""
    if isinstance(target, Customer):
        return normalise_code(target.country), normalise_code(target.region)
    country, region = target
    return normalise_code(country), normalise_code(region)


def jurisdictions_for(country: str, region: str = "") -> list[Jurisdiction]:
    """The jurisdictions whose law applies, most specific first: the region, the country,
    then their parents (US-CA, US; FR, EU). Codes without a row are skipped."""
    wanted = [code for code in (region, country) if code]
    rows = {j.code: j for j in Jurisdiction.objects.filter(code__in=wanted)}
    ordered = [rows[code] for code in wanted if code in rows]
    seen = {j.pk for j in ordered}
    frontier = [j.parent_id for j in ordered if j.parent_id]
    for _depth in range(MAX_PARENT_DEPTH):
        frontier = [pk for pk in frontier if pk not in seen]
        if not frontier:
            break
        parents = list(Jurisdiction.objects.filter(pk__in=frontier).order_by("code"))
        ordered.extend(parents)
        seen.update(p.pk for p in parents)
        frontier = [p.parent_id for p in parents if p.parent_id]
    return ordered


def rulesets_in_force(jurisdictions: list[Jurisdiction], *, on: dt.date) -> list[RuleSet]:
    """For each jurisdiction, the version in force on ``on`` (in the order given). The
    admin refuses overlapping versions; should two overlap anyway, the later start wins."""
    ids = [j.pk for j in jurisdictions]
    candidates = (
        RuleSet.objects.filter(
            jurisdiction_id__in=ids,
            effective_from__lte=on,
            awaiting_commencement=False,
        )
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .filter(Q(commencement_date__isnull=True) | Q(commencement_date__lte=on))
        .select_related("jurisdiction")
        .order_by("jurisdiction_id", "-effective_from", "-version")
    )
    first: dict[int, RuleSet] = {}
    for ruleset in candidates:
        first.setdefault(ruleset.jurisdiction_id, ruleset)
    return [first[pk] for pk in ids if pk in first]


def ruleset_for(target: Place, *, on: dt.date) -> Rules:
    """The rules a customer (or a (country, region) pair) is under on ``on``: the
    strictest combination of the rule sets in force for the region, the country and their
    parents. A place without any rule set gives ``Rules()`` (no requirement)."""
    country, region = place_of(target)
    return combine(rulesets_in_force(jurisdictions_for(country, region), on=on))


def contract_rules_day(contract: Contract) -> dt.date:
    """The day whose rules a contract is under: the customer's calendar day of its
    signature, or its start date when it has none (imported, or not signed yet)."""
    if contract.signed_at is not None:
        customer = contract.customer
        return local_day(contract.signed_at, local_zone(customer.country, customer.region))
    return contract.start_date


def contract_ruleset_snapshot(contract: Contract) -> Rules:
    """The rules a contract was signed under: its ContractRules row when one was captured
    (compliance.services.contract_rules_capture), else what applied to its customer's
    place on its signing day (contracts from before the capture existed)."""
    captured = ContractRules.objects.filter(contract=contract).first()
    if captured is not None:
        rulesets = RuleSet.objects.filter(
            pk__in=captured.entries.values("ruleset_id")
        ).select_related("jurisdiction")
        # Most specific first, as ruleset_for orders them: region, country, parents.
        order = {
            code: i
            for i, code in enumerate(
                j.code for j in jurisdictions_for(captured.country, captured.region)
            )
        }
        ordered = sorted(rulesets, key=lambda r: (order.get(r.jurisdiction.code, 99), r.pk))
        return combine(ordered)
    return ruleset_for(contract.customer, on=contract_rules_day(contract))
