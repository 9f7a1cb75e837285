"""Reads of customers with their contracts, for the staff customer list and page.

They live here, not in customers.selectors: contracts build on customers, not the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from core.models import Task
from customers.access import customers_visible_to
from customers.models import Contact, Customer, TierSettings
from customers.selectors import (
    CUSTOMER_DEFAULT_SORT,
    CUSTOMER_SORTS,
    CustomerFilters,
    customer_search,
    customers_for_staff,
)
from customers.tags import has_tag

from .models import Contract, ContractStatus
from .term_length import customers_with_term


def _active_contracts() -> QuerySet[Contract]:
    # Correlated on the customer; served by the index contract_customer_end.
    return Contract.objects.filter(customer=OuterRef("pk"), status=ContractStatus.ACTIVE)


ACTIVE_VALUE: DecimalField = DecimalField(max_digits=20, decimal_places=2)


def _active_value_annotations(active: QuerySet[Contract]) -> dict[str, Any]:
    """The annual value of the active contracts in the default currency, converted at the
    exchange rates the dashboard and the tiers use (TierSettings.fx_rates), in SQL so the
    list stays sortable by it. A contract in a currency without a rate is left out of
    ``active_value`` rather than added as if it were the default currency (or counted 0
    silently): ``unconverted_currency`` names the first such currency (alphabetically)
    and ``unconverted_currencies`` says how many there are, for the page to show;
    ``active_value_currency`` is the default currency the figure is in."""
    tier_settings = TierSettings.objects.filter(pk=1).first()
    rates = tier_settings.fx_rate_map() if tier_settings else {}
    default = settings.RENEWDESK["DEFAULT_CURRENCY"]
    rates = {code: rate for code, rate in rates.items() if code != default}
    known = [default, *sorted(rates)]
    # The same conversion as insights.selectors.converted (the dashboard); no default
    # branch is needed as only contracts in a known currency are summed.
    converted = Case(
        When(currency=default, then=F("annual_value")),
        *[
            When(
                currency=code,
                then=ExpressionWrapper(F("annual_value") * Value(rate), output_field=ACTIVE_VALUE),
            )
            for code, rate in sorted(rates.items())
        ],
        output_field=ACTIVE_VALUE,
    )
    unconverted = active.exclude(currency__in=known).order_by().values("customer")
    return {
        # What the page labels the figure with (the same on every row).
        "active_value_currency": Value(default, output_field=CharField()),
        "active_value": Coalesce(
            Subquery(
                active.filter(currency__in=known)
                .order_by()
                .values("customer")
                # Rounded to cents once, after summing (rates carry more decimals).
                .annotate(v=Cast(Sum(converted), output_field=ACTIVE_VALUE))
                .values("v"),
                output_field=ACTIVE_VALUE,
            ),
            Value(Decimal("0"), output_field=ACTIVE_VALUE),
        ),
        "unconverted_currency": Subquery(
            unconverted.annotate(c=Min("currency")).values("c"),
            output_field=CharField(),
        ),
        "unconverted_currencies": Coalesce(
            Subquery(
                unconverted.annotate(n=Count("currency", distinct=True)).values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
    }


def customer_list(*, user: Any, filters: CustomerFilters) -> QuerySet[Customer]:
    """Customers for the list page with their primary contact and active-contract
    figures, in a constant number of queries whatever the page size."""
    qs = customers_visible_to(user)
    if filters.tier:
        # The effective tier: a manual override wins over the computed tier.
        qs = qs.filter(Q(tier_override=filters.tier) | Q(tier_override="", tier=filters.tier))
    if filters.manager_id:
        qs = qs.filter(account_manager_id=filters.manager_id)
    q = filters.q.strip()
    if q:
        qs = qs.filter(customer_search(q))
    if filters.tag:
        qs = qs.filter(has_tag(filters.tag))
    if filters.term:
        qs = qs.filter(customers_with_term(filters.term))
    if filters.among is not None:
        qs = qs.filter(pk__in=filters.among)
    active = _active_contracts()
    qs = qs.annotate(
        active_count=Coalesce(
            Subquery(
                active.order_by().values("customer").annotate(n=Count("pk")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        **_active_value_annotations(active),
        next_end_date=Subquery(
            active.order_by().values("customer").annotate(d=Min("end_date")).values("d")
        ),
        effective_tier_sort=Case(
            When(~Q(tier_override=""), then=F("tier_override")),
            default=F("tier"),
        ),
    )
    order = CUSTOMER_SORTS.get(filters.sort, CUSTOMER_SORTS[CUSTOMER_DEFAULT_SORT])
    return (
        qs.select_related("account_manager")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.filter(is_primary=True),
                to_attr="primary_contacts",
            )
        )
        .order_by(*order)
    )


@dataclass
class CustomerDetail:
    customer: Customer
    contracts: list[Contract]
    contract_count: int
    open_tasks: list[Task]


CUSTOMER_DETAIL_CONTRACTS = 50


def customer_detail(*, user: Any, pk: int) -> CustomerDetail:
    """Everything the customer page shows, in a fixed number of queries: the newest
    contracts (capped; the contract list filtered by customer shows the rest) and the
    open tasks about this customer."""
    customer = (
        customers_for_staff(user)
        # The total comes with the customer row, so the page costs the same
        # number of queries with 3 contracts or 3,000.
        .annotate(
            contract_total=Coalesce(
                Subquery(
                    Contract.objects.filter(customer=OuterRef("pk"))
                    .order_by()
                    .values("customer")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .get(pk=pk)
    )
    contracts = list(
        Contract.objects.filter(customer=customer)
        .select_related("plan")
        .order_by("-end_date", "-id")[:CUSTOMER_DETAIL_CONTRACTS]
    )
    count = customer.contract_total
    tasks = list(
        Task.objects.filter(customer=customer, done_at__isnull=True)
        .select_related("assignee", "contract")
        .order_by("due_date", "id")[:50]
    )
    return CustomerDetail(
        customer=customer, contracts=contracts, contract_count=count, open_tasks=tasks
    )
