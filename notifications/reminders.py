"""The daily renewal-reminder sweep (PRODUCT.md section 4).

The rule for a day: a contract with N days left (1 ≤ N ≤ its largest offset) is due for
the smallest offset ≥ N; it gets that reminder unless it already has it, and nothing for
larger offsets it missed. Catching up after downtime therefore sends one reminder, marked
late when N is below its offset.

Exactly once per (contract term, offset, channel, recipient) is enforced by PostgreSQL:
``Message.dedupe_key`` is unique (and so is the tuple, see the model's constraint), and
rows are inserted with ON CONFLICT DO NOTHING, so two sweeps running at once, two beats
or a redelivered task all end with one row. The sweep is set-based: due contracts are read
in keyset batches in the order of the partial index ``contract_active_end``, with a fixed
number of queries per batch and memory flat in the number of contracts.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import PERIOD_MONTHS, Contract, ContractLine, ContractStatus, Plan
from core.models import Task, TaskKind
from core.money import money
from core.tokens import token_make

from .models import (
    Channel,
    JurisdictionRule,
    Message,
    PersonalOffer,
    ReminderRule,
)
from .selectors import primary_contacts

logger = logging.getLogger("notifications.reminders")

ESCALATION_DAYS = 7
LINK_PURPOSES = ("renew", "change", "cancel", "auto_renew_off")
# A successor in one of these statuses means the renewal is signed: stop reminding.
SIGNED_SUCCESSOR = (
    ContractStatus.AWAITING_PAYMENT,
    ContractStatus.SCHEDULED,
    ContractStatus.ACTIVE,
)


@dataclass
class SweepSummary:
    as_of: str = ""
    contracts_seen: int = 0
    created: int = 0
    skipped: int = 0
    late: int = 0
    tasks: int = 0
    escalations: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------- rules


def _default_offsets() -> list[int]:
    return sorted(set(settings.RENEWDESK.get("REMINDER_OFFSETS", [30, 15, 7])), reverse=True)


class RuleBook:
    """Offsets per (plan, tier), most specific first, checked against the jurisdiction."""

    def __init__(self) -> None:
        self.default_jurisdiction = JurisdictionRule.objects.filter(is_default=True).first()
        self.rules: dict[tuple[int | None, str], tuple[list[int], JurisdictionRule | None]] = {}
        for rule in ReminderRule.objects.filter(is_active=True).select_related("jurisdiction"):
            try:
                offsets = rule.offset_list
            except ValueError:
                logger.error("reminder rule %s has bad offsets %r: ignored", rule.pk, rule.offsets)
                continue
            self.rules[(rule.plan_id, rule.tier)] = (offsets, rule.jurisdiction)
        self._cache: dict[tuple[int | None, str, bool], list[int]] = {}

    def offsets_for(self, *, plan_id: int | None, tier: str, auto_renew: bool) -> list[int]:
        key = (plan_id, tier, auto_renew)
        if key not in self._cache:
            offsets, jurisdiction = (
                self.rules.get((plan_id, tier))
                or self.rules.get((plan_id, ""))
                or self.rules.get((None, tier))
                or self.rules.get((None, ""))
                or (_default_offsets(), None)
            )
            jurisdiction = jurisdiction or self.default_jurisdiction
            offsets = list(offsets)
            # The auto-renewal notice must land in the jurisdiction's window: if no
            # configured offset does, add the latest day the law allows.
            if auto_renew and jurisdiction and not jurisdiction.notice_window_fits(offsets):
                extra = jurisdiction.required_offset()
                if extra:
                    offsets.append(extra)
            self._cache[key] = sorted(set(offsets), reverse=True)
        return self._cache[key]

    def max_offset(self) -> int:
        candidates = [max(_default_offsets())]
        candidates += [max(o) for o, _j in self.rules.values()]
        for j in JurisdictionRule.objects.all():
            if j.required_offset():
                candidates.append(j.required_offset() or 0)
        return max(candidates)


def due_offset(days_left: int, offsets: list[int]) -> int | None:
    """The smallest offset ≥ days_left, or None (too early, or ended)."""
    if days_left < 1:
        return None
    eligible = [o for o in offsets if o >= days_left]
    return min(eligible) if eligible else None


def reminder_dedupe_key(
    *, contract_id: int, term_end: dt.date, offset: int, channel: str, customer_id: int
) -> str:
    return f"renewal_reminder:{contract_id}:{term_end.isoformat()}:{offset}:{channel}:{customer_id}"


# ---------------------------------------------------------------------------- content


def portal_action_url(*, purpose: str, contract_id: int, max_age: int) -> str:
    """An absolute link to the portal's confirmation page for one action on one contract.

    GET on it only shows a confirmation page; the change happens on POST. The portal
    serves ``portal:action-link`` (``/portal/act/<purpose>/<token>/``).
    """
    token = token_make(purpose=purpose, obj_id=contract_id, max_age=max_age)
    path = _action_link_pattern().replace("PURPOSE", purpose).replace("TOKEN", token)
    return settings.SITE_URL + path


@functools.lru_cache(maxsize=1)
def _action_link_pattern() -> str:
    # Resolved once per process: reverse() (and a NoReverseMatch) per link is what made
    # rendering thousands of reminders slow.
    try:
        return reverse("portal:action-link", kwargs={"purpose": "PURPOSE", "token": "TOKEN"})
    except NoReverseMatch:
        return "/portal/act/PURPOSE/TOKEN/"


def _periods_in_term(start: dt.date, end: dt.date, billing_period: str) -> int:
    months = round(((end - start).days + 1) / 30.4375)
    per = PERIOD_MONTHS.get(billing_period, 1)
    return max(1, round(months / per))


class _PriceCache:
    def __init__(self) -> None:
        self._plans: dict[int, Plan] = {}
        self._prices: dict[tuple[int, dt.date], Decimal] = {}

    def price_on(self, plan_id: int, day: dt.date) -> Decimal:
        key = (plan_id, day)
        if key not in self._prices:
            if plan_id not in self._plans:
                self._plans[plan_id] = Plan.objects.get(pk=plan_id)
            self._prices[key] = self._plans[plan_id].price_on(day)
        return self._prices[key]


def reminder_context(
    *,
    row: dict[str, Any],
    offset: int,
    days_left: int,
    prices: _PriceCache,
    what: str,
    offer: PersonalOffer | None,
) -> dict[str, Any]:
    """Everything a reminder template may show, as plain values (no lazy queries)."""
    end: dt.date = row["end_date"]
    periods = _periods_in_term(row["start_date"], end, row["billing_period"])
    current_fee = money(row["total_amount"] / periods)
    next_fee = (
        prices.price_on(row["plan_id"], end + dt.timedelta(days=1))
        if row["plan_id"]
        else current_fee
    )
    next_fee = money(next_fee)
    change = next_fee - current_fee
    # Links stay valid a little past the end so a late reader still gets a clear page.
    max_age = max(1, (end - timezone.localdate()).days + 30) * 86400
    links = {
        p: portal_action_url(purpose=p, contract_id=row["id"], max_age=max_age)
        for p in LINK_PURPOSES
    }
    try:
        links["portal"] = settings.SITE_URL + reverse(
            "portal:contract-detail", kwargs={"pk": row["id"]}
        )
    except NoReverseMatch:
        links["portal"] = settings.SITE_URL + "/portal/"
    manager_name = " ".join(
        p for p in (row["owner__first_name"], row["owner__last_name"]) if p
    ) or (row["owner__username"] or "")
    return {
        "contract_id": row["id"],
        "contract_number": row["number"],
        "customer_name": row["customer__name"],
        "what": what,
        "start_date": row["start_date"],
        "end_date": end,
        "next_start": end + dt.timedelta(days=1),
        "days_left": days_left,
        "offset": offset,
        "late": days_left < offset,
        "currency": row["currency"],
        "billing_period": row["billing_period"],
        "current_fee": current_fee,
        "next_fee": next_fee,
        "fee_change": change,
        "fee_change_abs": abs(change),
        "fee_up": change > 0,
        "fee_down": change < 0,
        "auto_renew": row["auto_renew"],
        "links": links,
        "manager": {
            "name": manager_name,
            "email": row["owner__email"] or "",
            "phone": row["owner__phone"] or "",
        },
        "offer": {"title": offer.title, "body": offer.body} if offer else None,
    }


def reminder_context_for_contract(*, contract: Contract, today: dt.date | None = None) -> dict:
    """The reminder context for one contract (template previews in the admin)."""
    today = today or timezone.localdate()
    row = _rows(Contract.objects.filter(pk=contract.pk))[0]
    days_left = max(1, (contract.end_date - today).days)
    offer = _offers().get((contract.customer.effective_tier, contract.customer.language))
    return reminder_context(
        row=row,
        offset=due_offset(days_left, _default_offsets()) or days_left,
        days_left=days_left,
        prices=_PriceCache(),
        what=_what({contract.pk: row}, [contract.pk]).get(contract.pk, contract.number),
        offer=offer,
    )


def reminder_context_for_message(*, message: Message) -> dict:
    """The context a stored reminder is rendered with at delivery (its own offset and the
    days left on the day it was created)."""
    row = _rows(Contract.objects.filter(pk=message.contract_id))[0]
    days_left = int(message.context.get("days_left") or message.offset_days or 1)
    tier = row["customer__tier_override"] or row["customer__tier"]
    return reminder_context(
        row=row,
        offset=message.offset_days or days_left,
        days_left=days_left,
        prices=_PriceCache(),
        what=_what({row["id"]: row}, [row["id"]]).get(row["id"], row["number"]),
        offer=_offers().get((tier, message.language)),
    )


# ---------------------------------------------------------------------------- sweep

_INSERT_REMINDERS = """
INSERT INTO {table} (created_at, updated_at, customer_id, contract_id, to_address, channel,
    kind, template_kind, language, subject, body_text, body_html, dedupe_key, status,
    attempts, next_attempt_at, last_error, provider_message_id, term_end, offset_days, late,
    rendered, context)
SELECT now(), now(), t.customer_id, t.contract_id, t.address, t.channel,
    'renewal_reminder', 'renewal_reminder', t.language, '', '', '', t.key, 'pending',
    0, now(), '', '', t.term_end, t.offset_days, t.late,
    false, jsonb_build_object('days_left', t.days_left)
FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
            %s::date[], %s::int[], %s::bool[], %s::int[])
     AS t(customer_id, contract_id, address, channel, language, key, term_end, offset_days,
          late, days_left)
ON CONFLICT DO NOTHING
"""

_ROW_FIELDS = (
    "id",
    "number",
    "customer_id",
    "customer__name",
    "customer__tier",
    "customer__tier_override",
    "customer__language",
    "customer__notify_email",
    "customer__notify_sms",
    "customer__notify_in_app",
    "customer__account_manager_id",
    "plan_id",
    "plan__name",
    "owner_id",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "owner__email",
    "owner__phone",
    "owner__team_lead_id",
    "start_date",
    "end_date",
    "billing_period",
    "currency",
    "total_amount",
    "auto_renew",
)


def _rows(qs) -> list[dict[str, Any]]:
    return list(qs.values(*_ROW_FIELDS))


def _due_contracts(as_of: dt.date, max_offset: int):
    signed_successor = Contract.objects.filter(
        predecessor_id=OuterRef("pk"), status__in=SIGNED_SUCCESSOR
    )
    return (
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            end_date__gt=as_of,
            end_date__lte=as_of + dt.timedelta(days=max_offset),
        )
        .filter(~Exists(signed_successor))
        .order_by("end_date", "id")
    )


def _what(rows_by_id: dict[int, dict[str, Any]], ids: list[int]) -> dict[int, str]:
    """What is ending: the plan's name, else the contract's line descriptions."""
    out = {cid: rows_by_id[cid]["plan__name"] for cid in ids if rows_by_id[cid]["plan__name"]}
    missing = [cid for cid in ids if cid not in out]
    if missing:
        for cid, desc in (
            ContractLine.objects.filter(contract_id__in=missing)
            .order_by("contract_id", "position", "id")
            .values_list("contract_id", "description")
        ):
            out[cid] = f"{out[cid]}, {desc}" if cid in out else desc
    return out


def _offers() -> dict[tuple[str, str], PersonalOffer]:
    return {(o.tier, o.language): o for o in PersonalOffer.objects.filter(is_active=True)}


def _channels_for(row: dict[str, Any], contact: dict[str, str]) -> list[tuple[str, str]]:
    """(channel, address) pairs the customer chose and can be reached on.

    A renewal notice is legally required, so a customer who switched every channel off
    (or has no address) still gets it in the portal inbox.
    """
    out = []
    if row["customer__notify_email"] and contact.get("email"):
        out.append((Channel.EMAIL.value, contact["email"]))
    if row["customer__notify_sms"] and contact.get("phone"):
        out.append((Channel.SMS.value, contact["phone"]))
    if row["customer__notify_in_app"] or not out:
        out.append((Channel.IN_APP.value, ""))
    return out


def _customer_has_responded(contract_ids: list[int]) -> dict[int, bool]:
    try:
        from renewals import selectors as renewal_selectors
    except ImportError:  # renewals not installed: escalate, the safe side
        logger.warning("renewals.selectors missing; escalating every contract")
        return dict.fromkeys(contract_ids, False)
    # A set-based variant, if renewals offers one, answers a whole batch in one query.
    batch = getattr(renewal_selectors, "contracts_with_customer_response", None)
    if batch is not None:
        responded = set(batch(contract_ids=contract_ids))
        return {cid: cid in responded for cid in contract_ids}
    customer_has_responded = getattr(renewal_selectors, "customer_has_responded", None)
    if customer_has_responded is None:
        logger.warning("renewals.selectors.customer_has_responded missing; escalating")
        return dict.fromkeys(contract_ids, False)
    contracts = Contract.objects.in_bulk(contract_ids)
    return {cid: customer_has_responded(contract=c) for cid, c in contracts.items()}


def reminders_sweep(*, as_of: dt.date | None = None, batch_size: int = 2000) -> SweepSummary:
    """Create the renewal reminders (and staff tasks) due on ``as_of``. Safe to repeat."""
    as_of = as_of or timezone.localdate()
    summary = SweepSummary(as_of=as_of.isoformat())
    book = RuleBook()
    qs = _due_contracts(as_of, book.max_offset())
    last: tuple[dt.date, int] | None = None
    while True:
        page = qs
        if last is not None:
            # Keyset pagination in index order: no OFFSET, each batch starts where the
            # previous one ended.
            page = page.filter(Q(end_date__gt=last[0]) | Q(end_date=last[0], id__gt=last[1]))
        rows = _rows(page[:batch_size])
        if not rows:
            break
        last = (rows[-1]["end_date"], rows[-1]["id"])
        summary.contracts_seen += len(rows)
        _sweep_batch(as_of, rows, book, summary)
        if len(rows) < batch_size:
            break
    return summary


def _sweep_batch(
    as_of: dt.date,
    rows: list[dict[str, Any]],
    book: RuleBook,
    summary: SweepSummary,
) -> None:
    due: list[tuple[dict[str, Any], int, int]] = []
    for row in rows:
        tier = row["customer__tier_override"] or row["customer__tier"]
        offsets = book.offsets_for(plan_id=row["plan_id"], tier=tier, auto_renew=row["auto_renew"])
        days_left = (row["end_date"] - as_of).days
        offset = due_offset(days_left, offsets)
        if offset is not None:
            due.append((row, offset, days_left))
    if not due:
        return
    contacts = primary_contacts(customer_ids={row["customer_id"] for row, _o, _d in due})
    planned: list[tuple[dict[str, Any], int, int, str, str, str]] = []
    for row, offset, days_left in due:
        for channel, address in _channels_for(row, contacts.get(row["customer_id"], {})):
            key = reminder_dedupe_key(
                contract_id=row["id"],
                term_end=row["end_date"],
                offset=offset,
                channel=channel,
                customer_id=row["customer_id"],
            )
            planned.append((row, offset, days_left, channel, address, key))
    existing = set(
        Message.objects.filter(dedupe_key__in=[p[5] for p in planned]).values_list(
            "dedupe_key", flat=True
        )
    )
    fresh = [p for p in planned if p[5] not in existing]
    summary.skipped += len(planned) - len(fresh)
    # Stored unrendered: delivery renders each row (message_render). Rendering thousands of
    # templates here would make the sweep's time grow with template work, not with SQL.
    # One INSERT … SELECT FROM unnest(arrays) per batch; ON CONFLICT DO NOTHING lets a
    # concurrent sweep that inserted the same key first win quietly, and rowcount tells how
    # many rows this sweep really created.
    # One list per column (psycopg2 sends a Python list as a PostgreSQL array).
    cols: list[list[Any]] = [[] for _ in range(10)]
    for row, offset, days_left, channel, address, key in fresh:
        values = (
            row["customer_id"],
            row["id"],
            address,
            channel,
            row["customer__language"],
            key,
            row["end_date"],
            offset,
            days_left < offset,
            days_left,
        )
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    created = late = 0
    if fresh:
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_REMINDERS.format(table=Message._meta.db_table), cols)
            created = cursor.rowcount
        late = sum(1 for is_late in cols[8] if is_late)
    summary.created += created
    summary.late += late
    _staff_tasks(as_of, fresh, summary)


def _staff_tasks(as_of: dt.date, fresh: list[tuple], summary: SweepSummary) -> None:
    """A task for the account manager at each offset; an escalation to their team lead
    when the customer has not answered by ESCALATION_DAYS before the end."""
    tasks: list[Task] = []
    escalate: dict[int, dict[str, Any]] = {}
    seen: set[int] = set()
    for row, offset, days_left, *_rest in fresh:
        if row["id"] in seen:
            continue
        seen.add(row["id"])
        assignee = row["owner_id"] or row["customer__account_manager_id"]
        if not assignee:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Renewal reminder sent: %(number)s ends on %(date)s (%(days)s days left)") % {
                "number": row["number"],
                "date": row["end_date"].isoformat(),
                "days": days_left,
            }
        tasks.append(
            Task(
                assignee_id=assignee,
                kind=TaskKind.REMINDER,
                title=title[:300],
                details=_("Follow up with the customer about the renewal."),
                due_date=as_of,
                customer_id=row["customer_id"],
                contract_id=row["id"],
                dedupe_key=f"renewal_reminder_task:{row['id']}:{row['end_date']}:{offset}",
            )
        )
        if days_left <= ESCALATION_DAYS and offset <= ESCALATION_DAYS:
            escalate[row["id"]] = row
    if escalate:
        responded = _customer_has_responded(list(escalate))
        for cid, row in escalate.items():
            if responded.get(cid):
                continue
            lead = row["owner__team_lead_id"] or row["owner_id"]
            if not lead:
                continue
            title = _("Escalation: no answer from %(customer)s, %(number)s ends on %(date)s") % {
                "customer": row["customer__name"],
                "number": row["number"],
                "date": row["end_date"].isoformat(),
            }
            tasks.append(
                Task(
                    assignee_id=lead,
                    kind=TaskKind.ESCALATION,
                    title=title[:300],
                    details=_("The customer has not responded to the renewal reminders."),
                    due_date=as_of,
                    customer_id=row["customer_id"],
                    contract_id=cid,
                    dedupe_key=f"renewal_escalation:{cid}:{row['end_date']}",
                )
            )
            summary.escalations += 1
    summary.tasks += _tasks_insert(tasks)


_INSERT_TASKS = """
INSERT INTO {table} (created_at, updated_at, assignee_id, kind, title, details, due_date,
    customer_id, contract_id, dedupe_key)
SELECT now(), now(), t.assignee_id, t.kind, t.title, t.details, t.due_date, t.customer_id,
    t.contract_id, t.dedupe_key
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::date[], %s::bigint[],
            %s::bigint[], %s::text[])
     AS t(assignee_id, kind, title, details, due_date, customer_id, contract_id, dedupe_key)
ON CONFLICT DO NOTHING
"""


def _tasks_insert(tasks: list[Task]) -> int:
    """Insert tasks idempotently (unique dedupe_key, as core.services.task_create) in one
    statement. Falls back to the ORM if core's Task table gained a column this SQL does not
    know (core owns that table)."""
    if not tasks:
        return 0
    cols: list[list[Any]] = [[] for _ in range(8)]
    for t in tasks:
        values = (
            t.assignee_id,
            t.kind,
            t.title,
            t.details,
            t.due_date,
            t.customer_id,
            t.contract_id,
            t.dedupe_key,
        )
        for col, value in zip(cols, values, strict=True):
            col.append(value)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_INSERT_TASKS.format(table=Task._meta.db_table), cols)
            return cursor.rowcount
    except DatabaseError:
        logger.warning("set-based task insert failed; using the ORM", exc_info=True)
        Task.objects.bulk_create(tasks, ignore_conflicts=True)
        return len(tasks)
