"""The demo's first portal customers each show one flow, ready to try in the portal.

The story (story.py) gives each of them a contract fit for its flow; here the renewal
flows are taken as far as a customer would find them, through the renewal services as
the staff UI and the portal would: the customer said "renew as is", the account manager
sent the quote (ready to sign), and for the second one the customer also signed it
online (ready to pay: the first invoice is open). The third one keeps an active contract
that, cancelled for a price reason, meets a retention offer (catalogue.py).

Which customer is in which state is read back from the database by logins.py, so that
the list printed on every `make run` says what is true now, not what was seeded.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from contracts.models import Contract, ContractStatus
from core.models import User
from renewals.models import Intent, IntentChannel
from renewals.services import (
    case_open,
    case_record_intent,
    quote_create,
    quote_send,
    quote_sign_online,
)

from .data import USER_AGENTS
from .story import ACTIVE, RENEWAL_DUE

READY_TO_SIGN = "ready_to_sign"
READY_TO_PAY = "ready_to_pay"
OFFER_ON_CANCEL = "offer_on_cancel"
# The roles of the first portal customers, in order, and the scenario of the first
# subscription each needs.
ROLES = (READY_TO_SIGN, READY_TO_PAY, OFFER_ON_CANCEL)
ROLE_SCENARIOS = {READY_TO_SIGN: RENEWAL_DUE, READY_TO_PAY: RENEWAL_DUE, OFFER_ON_CANCEL: ACTIVE}

# Renewal-due contracts end within this many days (story.RENEWAL_DUE draws 20 to 45).
RENEWAL_WINDOW_DAYS = 60


def _renewal_due(customer_id: int, today: dt.date) -> Contract | None:
    return (
        Contract.objects.filter(
            customer_id=customer_id,
            status=ContractStatus.ACTIVE,
            end_date__gt=today,
            end_date__lte=today + dt.timedelta(days=RENEWAL_WINDOW_DAYS),
            successor__isnull=True,
            renewal_case__isnull=True,
        )
        .order_by("end_date", "pk")
        .first()
    )


def showcase_write(*, portal_users: list[User], today: dt.date) -> dict[str, str]:
    """Take the renewal flows of the first portal customers to their roles' stage.
    Returns {role: customer code} for the roles it could set up."""
    done: dict[str, str] = {}
    for user, role in zip(portal_users, ROLES, strict=False):
        customer = user.portal_account.customer
        if role == OFFER_ON_CANCEL:
            done[role] = customer.code  # its active contract and the catalogue do the rest
            continue
        contract = _renewal_due(customer.pk, today)
        if contract is None:
            continue
        manager = contract.owner or customer.account_manager
        with transaction.atomic():
            case, _created = case_open(contract=contract, by=manager)
            case_record_intent(
                case=case,
                intent=Intent.RENEW_AS_IS,
                channel=IntentChannel.PORTAL,
                by=user,
                ip_address="203.0.113.10",
                user_agent=USER_AGENTS[0],
            )
            quote = quote_send(quote=quote_create(case=case, by=manager), by=manager)
            if role == READY_TO_PAY:
                quote.refresh_from_db()
                document = quote.contract_document
                assert document is not None  # quote_send attached it
                quote_sign_online(
                    quote=quote,
                    full_name=user.first_name or customer.name,
                    accepted=True,
                    document_sha256=document.sha256,
                    user=user,
                    ip_address="203.0.113.11",
                    user_agent=USER_AGENTS[1],
                )
        done[role] = customer.code
    return done
