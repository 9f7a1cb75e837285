"""Opening cases, the customer's intent, contacts, flags, losing a case."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from contracts import services as contract_services
from contracts.models import (
    ConsentChannel,
    Contract,
    ContractEvent,
    ContractStatus,
)
from contracts.open_ended import open_ended_continuing
from contracts.services import event_record
from core.errors import DomainError, InvalidTransition
from core.events import actor_or_none, events_publish
from core.models import TaskKind
from core.services import in_language_of, task_create
from notifications.customer_messages import message_to_staff
from renewals.case_states import (
    LOSABLE_STAGES,
    case_lock,
    case_stage_change,
    cases_stage_change_locked,
)
from renewals.models import (
    Intent,
    IntentChannel,
    LossReason,
    Quote,
    RenewalCase,
    Stage,
)
from renewals.quote_states import quote_withdraw

from .reply_dates import reply_due_date

BATCH_SIZE = 500

# --- opening cases -----------------------------------------------------------------------


def case_open(*, contract: Contract, by: Any = None) -> tuple[RenewalCase, bool]:
    """Open the renewal case of one contract (idempotent: returns the existing one)."""
    existing = RenewalCase.objects.filter(contract=contract).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            case = RenewalCase.objects.create(
                contract=contract,
                owner_id=contract.owner_id or contract.customer.account_manager_id,
                opened_at=timezone.now(),
            )
            event_record(contract=contract, kind="renewal_opened", by=by, payload={"case": case.pk})
            return case, True
    except IntegrityError:
        # Opened concurrently by the daily sweep or another worker.
        return RenewalCase.objects.get(contract=contract), False


def renewal_cases_open_due(*, as_of: dt.date | None = None, days: int | None = None) -> int:
    """Open a case for every active contract ending within ``days`` (default the setting
    RENEWAL_CASE_OPEN_DAYS) that has none yet. Set-based: candidate ids in batches, one
    INSERT ... ON CONFLICT DO NOTHING per batch, then one event per case actually opened.
    Safe to run twice or concurrently: the unique contract column decides. An open-ended
    contract going on month by month gets none: its end date is not an end to renew at
    (contracts.open_ended).
    """
    as_of = as_of or timezone.localdate()
    days = settings.RENEWDESK["RENEWAL_CASE_OPEN_DAYS"] if days is None else days
    candidates = (
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            end_date__gte=as_of,
            end_date__lte=as_of + dt.timedelta(days=days),
            renewal_case__isnull=True,
        )
        # Already renewed by hand (a signed successor): nothing to work on.
        .exclude(
            successor__status__in=[
                ContractStatus.AWAITING_PAYMENT,
                ContractStatus.SCHEDULED,
                ContractStatus.ACTIVE,
            ]
        )
        .exclude(open_ended_continuing())
        .order_by("id")
        .values_list("id", "owner_id", "customer__account_manager_id")
    )
    opened = 0
    last = 0
    while True:
        batch = list(candidates.filter(id__gt=last)[:BATCH_SIZE])
        if not batch:
            return opened
        last = batch[-1][0]
        # A stamp unique to this run and batch tells us which rows *we* inserted.
        stamp = timezone.now() + dt.timedelta(microseconds=uuid.uuid4().int % 997)
        with transaction.atomic():
            RenewalCase.objects.bulk_create(
                [
                    RenewalCase(contract_id=cid, owner_id=owner or am, opened_at=stamp)
                    for cid, owner, am in batch
                ],
                ignore_conflicts=True,
            )
            mine = list(
                RenewalCase.objects.filter(
                    contract_id__in=[row[0] for row in batch], opened_at=stamp
                ).values_list("id", "contract_id")
            )
            events = ContractEvent.objects.bulk_create(
                [
                    ContractEvent(
                        contract_id=contract_id,
                        kind="renewal_opened",
                        payload={"case": case_id, "automatic": True},
                    )
                    for case_id, contract_id in mine
                ]
            )
            events_publish(ContractEvent, [e.pk for e in events])
        opened += len(mine)


# --- intent ------------------------------------------------------------------------------


def case_record_intent(
    *,
    case: RenewalCase,
    intent: str,
    channel: str,
    by: Any = None,
    note: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
) -> RenewalCase:
    """Record the customer's answer: renew as is / with changes / will not renew /
    undecided. Staff recording it from a call use ``channel="staff"``.

    - will not renew: auto-renewal is switched off (with a consent row saying why), so a
      customer who said no is never renewed automatically; the portal then hands over to
      the cancellation flow.
    - undecided or with changes: a task for the account manager, and a message to them.
    """
    if intent not in Intent.values:
        raise DomainError(_("Choose one of the answers."))
    if channel not in IntentChannel.values:
        raise ValueError(f"unknown channel {channel}")
    note = (note or "").strip()
    if intent == Intent.RENEW_WITH_CHANGES and not note:
        raise DomainError(_("Tell us which changes you would like."))
    with transaction.atomic():
        locked = case_lock(case)
        if not locked.is_open:
            raise InvalidTransition(_("This renewal is already closed."))
        if locked.stage in (Stage.SIGNED, Stage.PAID):
            raise InvalidTransition(_("The renewal is already signed."))
        answered_at = timezone.now()
        target = Stage.RESPONDED if locked.stage == Stage.INTENT_PENDING else locked.stage
        if intent in (Intent.RENEW_WITH_CHANGES, Intent.UNDECIDED, Intent.WILL_NOT_RENEW):
            # The quote (if any) no longer matches what the customer wants.
            target = Stage.RESPONDED
        case_stage_change(
            locked,
            target,
            by=by,
            # Staying in the stage (an answer while a quote is out) is not a stage change.
            kind=None if target != locked.stage else "renewal_intent",
            reason=note[:500],
            payload={
                "intent": intent,
                "channel": channel,
                "ip": ip_address or "",
                "user_agent": (user_agent or "")[:200],
            },
            updates={
                "intent": intent,
                "intent_note": note[:4000],
                "intent_at": answered_at,
                "intent_channel": channel,
                "intent_by": actor_or_none(by),
                "last_contact_at": answered_at,
                "next_action": {
                    Intent.RENEW_AS_IS: gettext_noop("Send the renewal quote"),
                    Intent.RENEW_WITH_CHANGES: gettext_noop("Prepare a revised quote"),
                    Intent.WILL_NOT_RENEW: gettext_noop(
                        "Talk to the customer; record the loss reason"
                    ),
                    Intent.UNDECIDED: gettext_noop("Call the customer back"),
                }[Intent(intent)],
                "next_action_date": reply_due_date(start=timezone.localdate()),
            },
        )
        contract = locked.contract
        if intent == Intent.WILL_NOT_RENEW and contract.auto_renew:
            contract_services.contract_set_auto_renew(
                contract=contract,
                enabled=False,
                by=by,
                channel=(
                    ConsentChannel.STAFF
                    if channel == IntentChannel.STAFF
                    else ConsentChannel.PORTAL
                ),
                text=_("The customer answered that they will not renew."),
                text_version="renewal-intent",
                ip_address=ip_address,
                user_agent=user_agent,
            )
        if intent in (Intent.UNDECIDED, Intent.RENEW_WITH_CHANGES, Intent.WILL_NOT_RENEW):
            _intent_task(locked, intent, note)
    case.refresh_from_db()
    return case


def _intent_task(case: RenewalCase, intent: str, note: str) -> None:
    contract = case.contract
    owner = case.owner or contract.customer.account_manager
    if owner is None:
        return
    # The customer answers in the portal, in their language; the task is the owner's.
    with in_language_of(owner):
        title = {
            Intent.UNDECIDED: _("%(customer)s is undecided about renewing %(number)s: call them"),
            Intent.RENEW_WITH_CHANGES: _("%(customer)s wants changes to renew %(number)s"),
            Intent.WILL_NOT_RENEW: _("%(customer)s will not renew %(number)s"),
        }[Intent(intent)] % {"customer": contract.customer.name, "number": contract.number}
    task_create(
        assignee=owner,
        kind=TaskKind.RENEWAL,
        title=title,
        details=note,
        due_date=timezone.localdate() + dt.timedelta(days=1),
        customer=contract.customer,
        contract=contract,
        dedupe_key=f"renewal-intent:{case.pk}:{intent}:{case.intent_at:%Y%m%d%H%M%S}",
    )
    message_to_staff(
        kind="renewal_intent_staff",
        user=owner,
        customer=contract.customer,
        contract=contract,
        context={"intent": intent, "note": note, "contract_number": contract.number},
    )


def case_log_contact(
    *,
    case: RenewalCase,
    by: Any,
    note: str = "",
    next_action: str | None = None,
    next_action_date: dt.date | None = None,
) -> RenewalCase:
    """Note a contact with the customer and optionally set the next action. Only a note
    (something was said) moves "last contact": a next action alone is a plan, not a
    contact."""
    note = note.strip()
    with transaction.atomic():
        locked = case_lock(case)
        fields = ["updated_at"]
        if note:
            locked.last_contact_at = timezone.now()
            fields.append("last_contact_at")
        if next_action is not None:
            locked.next_action = next_action[:200]
            locked.next_action_date = next_action_date
            fields += ["next_action", "next_action_date"]
        locked.save(update_fields=fields)
        event_record(
            contract=locked.contract,
            kind="renewal_contact",
            by=by,
            reason=note[:500],
            payload={"case": locked.pk, "next_action": locked.next_action},
        )
    case.refresh_from_db()
    return case


def case_flag(*, case: RenewalCase, flag: str, by: Any = None) -> RenewalCase:
    with transaction.atomic():
        locked = case_lock(case)
        locked.flag = flag[:300]
        locked.save(update_fields=["flag", "updated_at"])
        event_record(contract=locked.contract, kind="renewal_flagged", by=by, reason=flag)
    case.refresh_from_db()
    return case


def case_lose(*, case: RenewalCase, reason: str, by: Any, note: str = "") -> RenewalCase:
    """Close the case as lost with a reason. An unsigned quote is withdrawn and its
    successor contract voided; a signed one cannot be lost this way (it is a contract)."""
    if reason not in LossReason.values:
        raise DomainError(_("Choose a loss reason."))
    with transaction.atomic():
        locked = case_lock(case)
        if locked.stage == Stage.LOST:
            raise InvalidTransition(_("This renewal is already closed as lost."))
        if locked.stage in (Stage.SIGNED, Stage.PAID, Stage.WON):
            raise InvalidTransition(
                _("The renewal was already signed; cancel the new contract instead.")
            )
        _withdraw_unsigned_renewal(locked, by=by, note=note)
        case_stage_change(
            locked,
            Stage.LOST,
            by=by,
            reason=note[:500],
            payload={"loss_reason": reason},
            updates={"loss_reason": reason, "loss_note": note[:500], "next_action": ""},
            expect_from=LOSABLE_STAGES,
        )
    case.refresh_from_db()
    return case


def _withdraw_unsigned_renewal(locked: RenewalCase, *, by: Any, note: str) -> None:
    """A case being lost: its draft or sent quote is withdrawn and the unsigned successor
    voided (the caller holds the case lock)."""
    quote = Quote.objects.filter(case=locked).first()
    if quote is not None and quote_withdraw(quote, by=by, reason=note):
        successor = locked.successor
        if successor is not None and successor.status in (
            ContractStatus.DRAFT,
            ContractStatus.AWAITING_SIGNATURE,
        ):
            contract_services.contract_void(contract=successor, by=by, reason=_("Renewal lost"))


def cases_lose_at_term_end(*, contract_ids: list[int]) -> int:
    """The contracts' terms ended without a renewal (they expired): their renewal cases
    still open are closed as lost, so that every lost renewal carries a reason. A
    customer who never answered gets "no response"; one who answered and then let the
    term run out gets "other", the note saying so (their answer stays on the case).
    Called by lifecycle inside the expiry's transaction, which already holds the case
    locks (cases first, then contracts). Returns how many were closed."""
    # No savepoint: the expiry's transaction is the unit (one read more per chunk, not three).
    with transaction.atomic(savepoint=False):
        cases = list(
            RenewalCase.objects.select_for_update(of=("self",))
            .select_related("contract")
            .filter(contract_id__in=contract_ids, stage__in=LOSABLE_STAGES)
            .order_by("contract_id")
        )
        note = gettext_noop("The term ended without a renewal")
        for case in cases:
            _withdraw_unsigned_renewal(case, by=None, note=_(note))
        for reason, group in (
            (LossReason.NO_RESPONSE, [c for c in cases if not c.intent]),
            (LossReason.OTHER, [c for c in cases if c.intent]),
        ):
            cases_stage_change_locked(
                group,
                Stage.LOST,
                reason=_(note),
                payload={"loss_reason": reason, "automatic": True},
                updates={"loss_reason": reason, "loss_note": _(note), "next_action": ""},
            )
    return len(cases)
