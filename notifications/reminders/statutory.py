"""The statutory automatic-renewal notice: each term's window gets a reminder inside it.

The tiers' offsets (30, 15, 7 days) are chosen for selling, not for the law: France wants
the notice 1 to 3 months before the deadline to refuse the renewal, so none of them lands
there; California wants 15 to 45 days before for terms of a year or more. For an
auto-renewing contract whose rules (compliance.selectors.contract_ruleset_snapshot) have a
notice window (compliance.rules.notice_window) that none of its offsets' days falls in, the
daily sweep adds one more renewal reminder per channel on ``statutory_notice_day``: the
window's latest day minus ``MARGIN_DAYS`` (time for retries and an SMS receipt), not before
its earliest day. A contract first seen after that day (an import) gets it at once while the
window is open, marked late.

The rows are renewal reminders like the others (rendered at delivery, cancelled if the
contract ended, one per (term, offset, channel, recipient)) with ``context["statutory"]``
set: the evidence of a statutory notice. Their offset is the planned day's, so a rerun or a
later catch-up cannot make a second one. The channels are the customer's; when none of them
gives a proof the rules accept (an SMS-only customer where only e-mail counts), the e-mail
(else the portal inbox) is added.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from compliance.models import DeliveryProof, Jurisdiction, RuleSet, WindowAnchor, WindowUnit
from compliance.rules import NoticeWindow, notice_window, refusal_deadline_for
from compliance.selectors import contract_ruleset_snapshot
from contracts.models import Contract, ContractStatus

from ..models import Channel, Message, MessageKind, MessageStatus
from ..selectors import primary_contacts
from .rules import RuleBook, channels_for, reminder_dedupe_key
from .schedule_state import SIGNED_SUCCESSOR

logger = logging.getLogger("notifications.reminders")

# Days between the statutory notice and the window's last day.
MARGIN_DAYS = 7
BATCH = 500

PROOF_OF_CHANNEL = {
    Channel.EMAIL.value: DeliveryProof.EMAIL_ACCEPTED.value,
    Channel.SMS.value: DeliveryProof.SMS_RECEIPT.value,
    Channel.IN_APP.value: DeliveryProof.PORTAL_READ.value,
}


def statutory_notice_day(
    window: NoticeWindow | None, offsets: list[int], end_date: dt.date
) -> dt.date | None:
    """The day of the term's statutory notice, or None when it needs none: no window, an
    empty one (no day can be on time: the renewal will be held), or a window that one of
    the contract's reminder offsets already falls in."""
    if window is None or window.is_empty:
        return None
    if any(window.contains(end_date - dt.timedelta(days=o)) for o in offsets):
        return None
    day = window.latest - dt.timedelta(days=MARGIN_DAYS)
    if window.earliest is not None and day < window.earliest:
        day = window.earliest
    return day


def term_window(contract: Contract, rules) -> NoticeWindow | None:  # noqa: ANN001 - Rules
    return notice_window(
        rules,
        contract.start_date,
        contract.end_date,
        refusal_deadline_for(contract.end_date, contract.notice_period_days),
    )


def _reach_days(ruleset: RuleSet, longest_notice_period: int) -> int:
    """How many days before a term's end its statutory notice may fall, at most."""
    amount = ruleset.notice_max if ruleset.notice_max is not None else ruleset.notice_min or 0
    days = amount * 31 if ruleset.notice_unit == WindowUnit.MONTHS else amount
    if ruleset.window_anchor == WindowAnchor.REFUSAL_DEADLINE:
        days += longest_notice_period
    return days + MARGIN_DAYS + 1


def candidates(as_of: dt.date) -> QuerySet[Contract]:
    """Auto-renewing active contracts of customers under a rule set with a notice window,
    close enough to their end for it, without a statutory notice for this term yet."""
    windowed = list(
        RuleSet.objects.filter(Q(notice_min__isnull=False) | Q(notice_max__isnull=False))
    )
    if not windowed:
        return Contract.objects.none()
    base = Contract.objects.filter(
        status=ContractStatus.ACTIVE, auto_renew=True, end_date__gt=as_of
    )
    longest = base.aggregate(m=Max("notice_period_days"))["m"] or 0
    reach: dict[int, int] = {}
    for ruleset in windowed:
        days = _reach_days(ruleset, longest)
        reach[ruleset.jurisdiction_id] = max(reach.get(ruleset.jurisdiction_id, 0), days)
    codes: dict[str, int] = {}
    for j in Jurisdiction.objects.filter(Q(pk__in=reach) | Q(parent_id__in=reach)):
        days = max(reach.get(j.pk, 0), reach.get(j.parent_id or 0, 0))
        codes[j.code] = max(codes.get(j.code, 0), days)
    place = Q(pk__in=[])
    for code, days in codes.items():
        near = Q(end_date__lte=as_of + dt.timedelta(days=days))
        place |= (Q(customer__region=code) | Q(customer__country=code)) & near
    sent = Message.objects.filter(
        kind=MessageKind.RENEWAL_REMINDER,
        contract_id=OuterRef("pk"),
        term_end=OuterRef("end_date"),
        context__statutory=True,
    )
    signed = Contract.objects.filter(predecessor_id=OuterRef("pk"), status__in=SIGNED_SUCCESSOR)
    return (
        base.filter(place)
        .exclude(Exists(sent))
        .exclude(Exists(signed))
        .select_related("customer")
        .order_by("id")
    )


def _batches(qs: QuerySet[Contract]) -> Iterator[list[Contract]]:
    last = 0
    while True:
        batch = list(qs.filter(id__gt=last)[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _channels(contract: Contract, contact: dict[str, str], proofs: frozenset[str]):  # noqa: ANN202
    customer = contract.customer
    chosen = channels_for(
        notify_email=customer.notify_email,
        notify_sms=customer.notify_sms,
        notify_in_app=customer.notify_in_app,
        email=contact.get("email", ""),
        phone=contact.get("phone", ""),
    )
    if not any(PROOF_OF_CHANNEL[ch] in proofs for ch, _a in chosen):
        if DeliveryProof.EMAIL_ACCEPTED in proofs and contact.get("email"):
            chosen.append((Channel.EMAIL.value, contact["email"]))
        elif all(ch != Channel.IN_APP for ch, _a in chosen):
            chosen.append((Channel.IN_APP.value, ""))
    return chosen


def statutory_notices_sweep(*, as_of: dt.date, book: RuleBook | None = None) -> int:
    """Create the statutory notices due on ``as_of``; returns how many rows it inserted.
    Safe to repeat (ON CONFLICT DO NOTHING on the reminder's keys)."""
    book = book or RuleBook()
    created = 0
    now = timezone.now()
    for batch in _batches(candidates(as_of)):
        contacts = primary_contacts(customer_ids={c.customer_id for c in batch})
        rows = []
        for contract in batch:
            rules = contract_ruleset_snapshot(contract)
            window = term_window(contract, rules)
            customer = contract.customer
            offsets = book.offsets_for(
                plan_id=contract.plan_id,
                tier=customer.tier_override or customer.tier,
                auto_renew=True,
            )
            day = statutory_notice_day(window, offsets, contract.end_date)
            if day is None or window is None or as_of < day or not window.contains(as_of):
                continue
            offset = (contract.end_date - day).days
            context = {
                "days_left": (contract.end_date - as_of).days,
                "statutory": True,
                "window": [
                    window.earliest.isoformat() if window.earliest else None,
                    window.latest.isoformat(),
                ],
                "rules": list(window.sources),
            }
            for channel, address in _channels(
                contract, contacts.get(contract.customer_id, {}), rules.delivered_notice_channels
            ):
                rows.append(
                    Message(
                        customer_id=contract.customer_id,
                        contract_id=contract.pk,
                        to_address=address,
                        channel=channel,
                        kind=MessageKind.RENEWAL_REMINDER,
                        template_kind=MessageKind.RENEWAL_REMINDER,
                        language=customer.language,
                        dedupe_key=reminder_dedupe_key(
                            contract_id=contract.pk,
                            term_end=contract.end_date,
                            offset=offset,
                            channel=channel,
                            customer_id=contract.customer_id,
                        ),
                        status=MessageStatus.PENDING,
                        next_attempt_at=now,
                        rendered=False,
                        context=context,
                        term_end=contract.end_date,
                        offset_days=offset,
                        late=as_of > day,
                    )
                )
        if rows:
            created += len(Message.objects.bulk_create(rows, ignore_conflicts=True))
    if created:
        logger.info("statutory renewal notices on %s: %s", as_of, created)
    return created


def is_statutory(message: Message) -> bool:
    """Whether a message is a statutory automatic-renewal notice (evidence)."""
    return message.kind == MessageKind.RENEWAL_REMINDER and bool(
        (message.context or {}).get("statutory")
    )
