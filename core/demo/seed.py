"""The seed_demo orchestration: users and catalogue, then customers with their stories."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from contracts.customer_tiers import customer_tiers_recompute
from contracts.models import Contract, ContractStatus
from core.errors import DomainError
from core.models import User
from customers.models import Contact, Customer, PortalAccount
from customers.services import customer_set_tier_override
from retention.models import Channel, Kind, Reason
from retention.services import cancellation_continue, cancellation_submit

from .cast import Demo
from .catalogue import personal_offers_seed, reminder_rules_seed, retention_offers_seed
from .contact_cadences import contact_cadences_seed
from .history import Traits, history_write
from .loyalty_programme import loyalty_catalogue_seed, loyalty_history_seed
from .message_templates import message_templates_seed
from .showcase import READY_TO_PAY, READY_TO_SIGN, ROLE_SCENARIOS, ROLES, showcase_write
from .story import Story, Storyteller
from .writers import write_in_bulk, write_with_services

# From this many contracts on, seed_demo writes in bulk unless told otherwise.
BULK_FROM = 2000
BULK_BATCH_CUSTOMERS = 500


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` contracts over ``parts`` customers: one each, the rest at random."""
    counts = [1 if i < total else 0 for i in range(parts)]
    for _ in range(max(0, total - parts)):
        counts[rng.randrange(parts)] += 1
    return counts


def _chains(count: int, rng: random.Random, *, risky: bool = False) -> list[int]:
    """A customer's contracts as subscriptions (chains of renewals) of 1 to 4 terms;
    late payers and complainers keep fewer renewals going."""
    weights = [55, 30, 12, 3] if risky else [30, 35, 25, 10]
    chains = []
    while count > 0:
        length = min(count, rng.choices([1, 2, 3, 4], weights=weights)[0])
        chains.append(length)
        count -= length
    return chains


def demo_seed(
    *,
    customers: int,
    contracts: int,
    seed: int,
    today: dt.date | None = None,
    bulk: bool | None = None,
    portal_customers: int = 4,
    log: Callable[[str], None] = lambda message: None,
) -> Demo:
    """Create the demo: users, catalogue, ``customers`` customers and ``contracts``
    contracts (every term of a renewal chain counts as one).

    ``bulk`` None chooses by size: through the contract services for small demos, in
    bulk from BULK_FROM contracts on. Both give the same data for the same seed.
    """
    today = today or timezone.localdate()
    bulk = contracts >= BULK_FROM if bulk is None else bulk
    teller = Storyteller(seed=seed, today=today)
    with transaction.atomic():
        demo = teller.users()
        teller.catalogue()
        made = {
            "retention offers": retention_offers_seed(today=today),
            "reminder rules": reminder_rules_seed(),
            "personal offers": personal_offers_seed(),
            "message templates": message_templates_seed(),
            "contact cadences": contact_cadences_seed(),
        }
    log("admin catalogue: " + ", ".join(f"{n} {what}" for what, n in made.items()))
    rng = teller.rng
    counts = _split(contracts, customers, rng)
    # New codes continue after any existing demo customers.
    next_code = Customer.objects.filter(code__startswith="KH").count() + 1
    existing_codes = set(Customer.objects.values_list("code", flat=True))
    owners = [*demo.managers, *demo.managers, demo.lead]
    batch: list[Story] = []
    batch_customers: list[Customer] = []

    def one_customer(index: int, code: str) -> None:
        customer, kind = teller.customer(code, owners[rng.randrange(len(owners))])
        portal_user = _portal_user(customer, demo) if index < portal_customers else None
        stories: list[Story] = []
        traits = teller.traits[customer.code]
        if portal_user is not None:
            # The demo's portal logins show a customer in good standing (and their
            # auto-renewal consents given in the portal): not a late payer or complainer.
            traits = teller.traits[customer.code] = Traits(late_payer=False, complainer=False)
        chains = _chains(counts[index], rng, risky=traits.late_payer or traits.complainer)
        for position, length in enumerate(chains):
            # The first portal customers' first subscription fits the flow they show.
            role = ROLES[index] if portal_user is not None and index < len(ROLES) else None
            scenario = ROLE_SCENARIOS[role] if role and position == 0 else None
            stories.extend(teller.subscription(customer, kind, length, portal_user, scenario))
        if stories:
            first = min(story.steps[0].at for story in stories)
            customer.created_at = first - dt.timedelta(days=rng.randint(1, 30))
        demo.contracts += len(stories)
        demo.customers += 1
        if bulk:
            batch.extend(stories)
            batch_customers.append(customer)
        else:
            write_with_services(stories, today=today)
            history_write(stories)
            Customer.objects.filter(pk=customer.pk).update(created_at=customer.created_at)

    codes = []
    for _index in range(customers):
        while f"KH{next_code:05d}" in existing_codes:
            next_code += 1
        codes.append(f"KH{next_code:05d}")
        next_code += 1
    # Service path: one transaction per customer (a failure loses one customer). Bulk
    # path: one per batch of customers, written with a few INSERTs (and few commits,
    # which is what costs most on SQLite).
    step = BULK_BATCH_CUSTOMERS if bulk else 1
    for start in range(0, customers, step):
        with transaction.atomic():
            for index in range(start, min(start + step, customers)):
                one_customer(index, codes[index])
            if bulk:
                write_in_bulk(batch, today=today)
                history_write(batch)
                Customer.objects.bulk_update(batch_customers, ["created_at"], batch_size=1000)
                batch.clear()
                batch_customers.clear()
        if demo.customers % 500 == 0 or demo.customers == customers:
            log(f"{demo.customers} customers, {demo.contracts} contracts")
    tiers = customer_tiers_recompute(as_of=today)
    for customer in Customer.objects.filter(code__startswith="KH").order_by("code")[:2]:
        if not customer.tier_override:
            customer_set_tier_override(
                customer=customer, by=demo.lead, tier="A", reason="战略客户：集团框架协议"
            )
    log(f"tiers: {tiers.counts}")
    requested = _cancellation_requests(today=today, count=min(3, customers // 10))
    if requested:
        log(f"cancellation requests: {requested}")
    # Before the showcase: its renewal quotes are made through the renewal services, which
    # give a member the level's benefits (discount, complimentary service, reason rows)
    # as they do for any quote, so the programme and the members' points must exist by
    # then. (logins.py reads the quotes' amounts back from the database.)
    with transaction.atomic():
        loyalty_catalogue_seed(today=today)
        points = loyalty_history_seed(
            customer_ids=list(Customer.objects.filter(code__in=codes).values_list("pk", flat=True)),
            showcase_ids=[
                account.customer_id
                for account in PortalAccount.objects.filter(user__in=demo.portal_users)
            ],
            today=today,
            by=demo.lead,
        )
    log(
        f"loyalty: {points.earned} earnings, {points.expired} expiries, "
        f"{points.redeemed} redemption, {points.adjusted} adjustment"
    )
    shown = showcase_write(portal_users=demo.portal_users, today=today)
    # The quoted renewals' successor contracts.
    demo.contracts += sum(role in shown for role in (READY_TO_SIGN, READY_TO_PAY))
    if shown:
        log("portal customers: " + ", ".join(f"{code} {role}" for role, code in shown.items()))
    return demo


# Contract ends within this many days: the demo's open cancellation requests come from here.
CANCELLATION_WINDOW_DAYS = 90


def _cancellation_requests(*, today: dt.date, count: int) -> int:
    """A few customers who asked (by phone, recorded by their account manager) to end a
    contract, so that the cancellations queue, the manager's tasks and the retention figures
    have something to show. Through the retention service, like the staff form."""
    if count <= 0:
        return 0
    reasons = [Reason.PRICE, Reason.BUDGET, Reason.COMPETITOR]
    # An early termination waits for the manager to confirm it: the queue's first tab.
    kinds = [Kind.EARLY_TERMINATION, Kind.NON_RENEWAL, Kind.NON_RENEWAL]
    # Customers without a portal login, so the demo portal customers start untouched.
    candidates = (
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            end_date__gt=today,
            end_date__lte=today + dt.timedelta(days=CANCELLATION_WINDOW_DAYS),
            customer__account_manager__isnull=False,
            customer__portal_accounts__isnull=True,
        )
        .select_related("customer__account_manager")
        .order_by("end_date", "pk")
    )
    made = 0
    # Early terminations are refused when the notice runs past the term: look further.
    for contract in candidates[: count * 10]:
        if made == count:
            break
        manager = contract.customer.account_manager
        try:
            with transaction.atomic():
                request = cancellation_submit(
                    contract=contract,
                    kind=kinds[made % len(kinds)],
                    reason=reasons[made % len(reasons)],
                    reason_text="",
                    by=manager,
                    channel=Channel.STAFF,
                    today=today,
                )
                if made == 0 and request.offer_id is not None:
                    # The first customer heard the retention offer and declined it: the
                    # request waits for the manager. The others still owe an answer.
                    cancellation_continue(request=request, by=manager, today=today)
        except DomainError:  # e.g. a renewal already signed for it: try the next one
            continue
        made += 1
    return made


def _portal_user(customer: Customer, demo: Demo) -> User | None:
    contact = Contact.objects.filter(customer=customer, is_primary=True).first()
    if contact is None or not contact.email:
        return None
    user = User.objects.filter(username=contact.email).first()
    if user is None:
        user = User(
            username=contact.email,
            email=contact.email,
            first_name=contact.name,
            language=customer.language,
        )
        user.set_unusable_password()  # portal users log in by an emailed link
        user.save()
        PortalAccount.objects.create(user=user, customer=customer)
    demo.portal_users.append(user)
    return user
