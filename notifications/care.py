"""Care messages: birthdays, company anniversaries, Spring Festival and Mid-Autumn greetings,
contract anniversaries. Scheduled daily by beat; customers who opted out of care messages
(``Customer.care_messages``) get none. Deduplicated per customer, kind and year.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from contracts.models import Contract, ContractStatus
from customers.models import Customer

from .models import Channel, FestivalDate, FestivalKind, Message, MessageKind, MessageStatus
from .selectors import primary_contacts

logger = logging.getLogger("notifications.care")

BATCH = 1000
FESTIVAL_KINDS: dict[str, str] = {
    FestivalKind.SPRING_FESTIVAL: MessageKind.CARE_SPRING_FESTIVAL,
    FestivalKind.MID_AUTUMN: MessageKind.CARE_MID_AUTUMN,
}


def _same_day(field: str, day: dt.date) -> Q:
    q = Q(**{f"{field}__month": day.month, f"{field}__day": day.day})
    # 29 February is celebrated on 28 February in common years.
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        q |= Q(**{f"{field}__month": 2, f"{field}__day": 29})
    return q


def _send_batch(
    *,
    kind: str,
    as_of: dt.date,
    customers: list[dict[str, Any]],
    extra: dict[int, dict[str, Any]] | None = None,
) -> int:
    contacts = primary_contacts(customer_ids={c["id"] for c in customers})
    now = timezone.now()
    messages = []
    for c in customers:
        email = contacts.get(c["id"], {}).get("email", "")
        if c["notify_email"] and email:
            channel, address = Channel.EMAIL, email
        elif c["notify_in_app"]:
            channel, address = Channel.IN_APP, ""
        else:
            continue
        context = {"customer_name": c["name"], "year": as_of.year, **(extra or {}).get(c["id"], {})}
        subject_key = context.get("contract_id", "")
        # Rendered at delivery (see Message.rendered), like the reminders.
        messages.append(
            Message(
                customer_id=c["id"],
                contract_id=context.get("contract_id"),
                to_address=address,
                channel=channel,
                kind=kind,
                template_kind=kind,
                language=c["language"],
                dedupe_key=f"{kind}:{c['id']}:{subject_key}:{as_of.year}",
                status=MessageStatus.PENDING,
                next_attempt_at=now,
                rendered=False,
                context=context,
            )
        )
    # Report the messages this run wrote, not the customers that were due: a second sweep
    # on the same day (a beat restart, a redelivered task) finds every key taken and
    # creates nothing. (bulk_create with ignore_conflicts cannot say which rows it skipped;
    # only a sweep racing this one between the two statements makes the count too high.)
    taken = set(
        Message.objects.filter(dedupe_key__in=[m.dedupe_key for m in messages]).values_list(
            "dedupe_key", flat=True
        )
    )
    new = [m for m in messages if m.dedupe_key not in taken]
    Message.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


_CUSTOMER_FIELDS = ("id", "name", "language", "notify_email", "notify_in_app")


def _customers_in_batches(qs: QuerySet[Customer]):
    last = 0
    while True:
        rows = list(qs.filter(id__gt=last).order_by("id").values(*_CUSTOMER_FIELDS)[:BATCH])
        if not rows:
            return
        last = rows[-1]["id"]
        yield rows


def care_sweep(*, as_of: dt.date | None = None) -> dict[str, int]:
    as_of = as_of or timezone.localdate()
    opted_in = Customer.objects.filter(care_messages=True)
    out: dict[str, int] = {}

    def run(kind: str, qs: QuerySet[Customer], extra=None) -> None:
        for rows in _customers_in_batches(qs):
            out[kind] = out.get(kind, 0) + _send_batch(
                kind=kind, as_of=as_of, customers=rows, extra=extra
            )

    run(MessageKind.CARE_BIRTHDAY, opted_in.filter(_same_day("birthday", as_of)))
    run(
        MessageKind.CARE_COMPANY_ANNIVERSARY,
        opted_in.filter(_same_day("founded_on", as_of), founded_on__year__lt=as_of.year),
    )
    for festival in FestivalDate.objects.filter(date=as_of):
        run(FESTIVAL_KINDS[festival.kind], opted_in)
    # Contract anniversaries: one message per contract, keyed by contract.
    contracts = Contract.objects.filter(
        _same_day("start_date", as_of),
        status=ContractStatus.ACTIVE,
        start_date__year__lt=as_of.year,
        customer__care_messages=True,
    ).values("id", "number", "start_date", "customer_id")
    by_customer: dict[int, list[Mapping[str, Any]]] = {}
    for row in contracts.iterator(chunk_size=BATCH):
        by_customer.setdefault(row["customer_id"], []).append(row)
    customer_rows = {
        c["id"]: c for c in Customer.objects.filter(id__in=by_customer).values(*_CUSTOMER_FIELDS)
    }
    for customer_id, rows in by_customer.items():
        for contract_row in rows:
            extra = {
                customer_id: {
                    "contract_id": contract_row["id"],
                    "contract_number": contract_row["number"],
                    "years": as_of.year - contract_row["start_date"].year,
                }
            }
            out[MessageKind.CARE_CONTRACT_ANNIVERSARY] = out.get(
                MessageKind.CARE_CONTRACT_ANNIVERSARY, 0
            ) + _send_batch(
                kind=MessageKind.CARE_CONTRACT_ANNIVERSARY,
                as_of=as_of,
                customers=[customer_rows[customer_id]],
                extra=extra,
            )
    return out
