"""Every write to renewals goes through here.

Lock order, everywhere: the renewal case row first, then contract rows (predecessor, then
successor, through ``contracts.services``), then invoices. Two actions on the same case
(signing and losing it, two clerks sending a quote) queue on the case lock and the second
one sees what the first did.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.services import add_months, invoice_plan_issue, invoice_void
from contracts import services as contract_services
from contracts.models import (
    PERIOD_MONTHS,
    ConsentChannel,
    Contract,
    ContractEvent,
    ContractStatus,
    Plan,
    TermsVersion,
)
from contracts.services import LineSpec, event_record
from core.errors import DomainError, InvalidTransition
from core.models import DocumentKind, TaskKind
from core.money import money
from core.pdf import document_store, sha256_hex
from core.services import task_create

from .messaging import message_to_customer, message_to_staff
from .models import (
    OPEN_STAGES,
    Intent,
    IntentChannel,
    LossReason,
    Quote,
    QuoteLine,
    QuoteStatus,
    RenewalCase,
    Signature,
    SignatureMethod,
    Stage,
)
from .selectors import term_months

BATCH_SIZE = 500

# Which stage may follow which. Staying in a stage (e.g. a revised quote re-sent) is an
# update, not a transition. WON and LOST are final.
ALLOWED_STAGES: dict[str, frozenset[str]] = {
    Stage.INTENT_PENDING: frozenset(
        {Stage.RESPONDED, Stage.QUOTE_SENT, Stage.SIGNED, Stage.WON, Stage.LOST}
    ),
    Stage.RESPONDED: frozenset({Stage.QUOTE_SENT, Stage.SIGNED, Stage.WON, Stage.LOST}),
    Stage.QUOTE_SENT: frozenset({Stage.RESPONDED, Stage.SIGNED, Stage.WON, Stage.LOST}),
    Stage.SIGNED: frozenset({Stage.PAID, Stage.WON, Stage.LOST}),
    Stage.PAID: frozenset({Stage.WON}),
    Stage.WON: frozenset(),
    Stage.LOST: frozenset(),
}


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def _lock_case(case: RenewalCase) -> RenewalCase:
    return RenewalCase.objects.select_for_update().select_related("contract").get(pk=case.pk)


def _set_stage(
    locked: RenewalCase,
    to: str,
    *,
    by: Any,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
) -> None:
    """Move a locked case to another stage and write the event on the contract's timeline."""
    current = locked.stage
    if to != current and to not in ALLOWED_STAGES[current]:
        raise InvalidTransition(
            _("A renewal that is “%(current)s” cannot become “%(target)s”.")
            % {"current": Stage(current).label, "target": Stage(to).label}
        )
    locked.stage = to
    if to in (Stage.WON, Stage.LOST):
        locked.closed_at = timezone.now()
    locked.save(update_fields=["stage", "closed_at", "updated_at", *fields])
    event_record(
        contract=locked.contract,
        kind=f"renewal_{to}",
        by=by,
        from_status="",
        to_status="",
        reason=reason,
        payload={"case": locked.pk, "from_stage": current, "to_stage": to, **(payload or {})},
    )


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
    Safe to run twice or concurrently: the unique contract column decides.
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
            ContractEvent.objects.bulk_create(
                [
                    ContractEvent(
                        contract_id=contract_id,
                        kind="renewal_opened",
                        payload={"case": case_id, "automatic": True},
                    )
                    for case_id, contract_id in mine
                ]
            )
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
        locked = _lock_case(case)
        if not locked.is_open:
            raise InvalidTransition(_("This renewal is already closed."))
        if locked.stage in (Stage.SIGNED, Stage.PAID):
            raise InvalidTransition(_("The renewal is already signed."))
        locked.intent = intent
        locked.intent_note = note[:4000]
        locked.intent_at = timezone.now()
        locked.intent_channel = channel
        locked.intent_by = _actor(by)
        locked.last_contact_at = locked.intent_at
        target = Stage.RESPONDED if locked.stage == Stage.INTENT_PENDING else locked.stage
        if intent in (Intent.RENEW_WITH_CHANGES, Intent.UNDECIDED, Intent.WILL_NOT_RENEW):
            # The quote (if any) no longer matches what the customer wants.
            target = Stage.RESPONDED
        locked.next_action = {
            Intent.RENEW_AS_IS: _("Send the renewal quote"),
            Intent.RENEW_WITH_CHANGES: _("Prepare a revised quote"),
            Intent.WILL_NOT_RENEW: _("Talk to the customer; record the loss reason"),
            Intent.UNDECIDED: _("Call the customer back"),
        }[Intent(intent)]
        locked.next_action_date = timezone.localdate() + dt.timedelta(days=2)
        _set_stage(
            locked,
            target,
            by=by,
            reason=note[:500],
            payload={
                "intent": intent,
                "channel": channel,
                "ip": ip_address or "",
                "user_agent": (user_agent or "")[:200],
            },
            fields=[
                "intent",
                "intent_note",
                "intent_at",
                "intent_channel",
                "intent_by",
                "last_contact_at",
                "next_action",
                "next_action_date",
            ],
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
    """Note a contact with the customer and optionally set the next action."""
    with transaction.atomic():
        locked = _lock_case(case)
        locked.last_contact_at = timezone.now()
        fields = ["last_contact_at", "updated_at"]
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
        locked = _lock_case(case)
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
        locked = _lock_case(case)
        if locked.stage == Stage.LOST:
            raise InvalidTransition(_("This renewal is already closed as lost."))
        if locked.stage in (Stage.SIGNED, Stage.PAID, Stage.WON):
            raise InvalidTransition(
                _("The renewal was already signed; cancel the new contract instead.")
            )
        quote = Quote.objects.select_for_update().filter(case=locked).first()
        if quote is not None and quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT):
            quote.status = QuoteStatus.WITHDRAWN
            quote.save(update_fields=["status", "updated_at"])
            successor = locked.successor
            if successor is not None and successor.status in (
                ContractStatus.DRAFT,
                ContractStatus.AWAITING_SIGNATURE,
            ):
                contract_services.contract_void(contract=successor, by=by, reason=_("Renewal lost"))
        locked.loss_reason = reason
        locked.loss_note = note[:500]
        locked.next_action = ""
        _set_stage(
            locked,
            Stage.LOST,
            by=by,
            reason=note[:500],
            payload={"loss_reason": reason},
            fields=["loss_reason", "loss_note", "next_action"],
        )
    case.refresh_from_db()
    return case


# --- quote -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteLineSpec:
    description: str
    quantity: Decimal
    unit_price: Decimal
    plan: Plan | None = None
    source_line_id: int | None = None


def price_per_term(*, plan: Plan, start: dt.date, months: int) -> Decimal:
    """The plan's price in force on ``start`` for a term of ``months`` months."""
    periods = Decimal(months) / Decimal(PERIOD_MONTHS[plan.billing_period])
    return money(plan.price_on(start) * periods)


def renewal_lines_at_current_prices(
    *, contract: Contract, start: dt.date, months: int
) -> list[QuoteLineSpec]:
    """The current contract's lines, repriced from today's price list where a line has a
    product (or the contract a plan and a single line); other lines keep their price."""
    lines = list(contract.lines.select_related("plan"))
    specs = []
    for line in lines:
        plan = line.plan or (contract.plan if len(lines) == 1 else None)
        unit = price_per_term(plan=plan, start=start, months=months) if plan else line.unit_price
        specs.append(
            QuoteLineSpec(
                description=line.description,
                quantity=line.quantity,
                unit_price=unit,
                plan=plan,
                source_line_id=line.pk,
            )
        )
    return specs


def _latest_terms(day: dt.date) -> TermsVersion | None:
    return TermsVersion.objects.filter(effective_from__lte=day).order_by("-effective_from").first()


def _write_quote_lines(quote: Quote, specs: Sequence[QuoteLineSpec]) -> None:
    if not specs:
        raise DomainError(_("A quote needs at least one line."))
    quote.lines.all().delete()
    rows = [
        QuoteLine(
            quote=quote,
            plan=spec.plan,
            source_line_id=spec.source_line_id,
            description=spec.description[:300],
            quantity=spec.quantity,
            unit_price=money(spec.unit_price),
            position=i,
        )
        for i, spec in enumerate(specs)
    ]
    for row in rows:
        if row.quantity <= 0:
            raise DomainError(_("Quantities must be greater than zero."))
        if row.unit_price < 0:
            raise DomainError(_("Prices cannot be negative."))
    QuoteLine.objects.bulk_create(rows)
    quote.subtotal = money(sum((r.amount for r in rows), Decimal("0")))
    quote.discount_amount = money(quote.subtotal * quote.discount_percent / Decimal(100))
    quote.total = quote.subtotal - quote.discount_amount


def quote_create(*, case: RenewalCase, by: Any) -> Quote:
    """The first quote of a case: same lines and term length as the current contract, at
    today's price list for the new start date, under the latest terms version."""
    with transaction.atomic():
        locked = _lock_case(case)
        if not locked.is_open or locked.stage in (Stage.SIGNED, Stage.PAID):
            raise InvalidTransition(_("This renewal can no longer be quoted."))
        existing = Quote.objects.filter(case=locked).first()
        if existing is not None:
            return existing
        contract = locked.contract
        start = contract.end_date + dt.timedelta(days=1)
        months = term_months(contract.start_date, contract.end_date)
        quote = Quote.objects.create(
            case=locked,
            number=_quote_number(),
            start_date=start,
            end_date=add_months(start, months) - dt.timedelta(days=1),
            billing_period=contract.billing_period,
            currency=contract.currency,
            terms_version=_latest_terms(start) or contract.terms_version,
        )
        specs = renewal_lines_at_current_prices(contract=contract, start=start, months=months)
        used = _apply_retention_grants(quote, contract, specs, start, months)
        _write_quote_lines(quote, specs)
        quote.save()
        for grant in used:
            _grant_mark_used(grant, by=by, quote_ref=quote.number)
        event_record(
            contract=contract,
            kind="quote_created",
            by=by,
            payload={"quote": quote.number, "total": str(quote.total)},
        )
    return quote


def _apply_retention_grants(
    quote: Quote, contract: Contract, specs: list[QuoteLineSpec], start: dt.date, months: int
) -> list[Any]:
    """Apply what a retention offer promised (discount, installments, downgrade) to the
    first quote. Returns the grants used; the retention app may be absent."""
    try:
        from retention.selectors import pending_grants_for_next_quote
    except ImportError:
        return []
    used = []
    for grant in pending_grants_for_next_quote(contract=contract):
        if grant.kind == "discount" and grant.discount_percent:
            quote.discount_percent = max(quote.discount_percent, grant.discount_percent)
        elif grant.kind == "installments" and grant.installments:
            quote.installments = min(12, max(quote.installments, grant.installments))
        elif grant.kind == "downgrade" and grant.plan_id:
            plan = grant.plan
            specs[:] = [
                QuoteLineSpec(
                    description=plan.name,
                    quantity=Decimal(1),
                    unit_price=price_per_term(plan=plan, start=start, months=months),
                    plan=plan,
                    source_line_id=specs[0].source_line_id if specs else None,
                )
            ]
        else:
            continue
        used.append(grant)
    return used


def _grant_mark_used(grant: Any, *, by: Any, quote_ref: str) -> None:
    from retention.services import grant_mark_used

    grant_mark_used(grant=grant, by=by, quote_ref=quote_ref)


def _quote_number() -> str:
    from core.sequences import sequence_next

    year = timezone.localdate().year
    return f"QT-{year}-{sequence_next(name=f'quote-{year}'):06d}"


def quote_update(
    *,
    quote: Quote,
    by: Any,
    lines: Sequence[QuoteLineSpec] | None = None,
    term_months_count: int | None = None,
    terms_version: TermsVersion | None = None,
    discount_percent: Decimal | None = None,
    installments: int | None = None,
    note: str | None = None,
) -> Quote:
    """Revise a quote that is not signed yet. A sent quote goes back to draft (its
    successor contract too) and has to be sent again; a signed quote cannot be edited."""
    with transaction.atomic():
        _lock_case(quote.case)
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if not locked.is_editable:
            raise InvalidTransition(_("A signed quote cannot be edited."))
        if term_months_count is not None:
            if not 1 <= term_months_count <= 60:
                raise DomainError(_("The term must be between 1 and 60 months."))
            locked.end_date = add_months(locked.start_date, term_months_count) - dt.timedelta(
                days=1
            )
        if terms_version is not None:
            locked.terms_version = terms_version
        if discount_percent is not None:
            if not Decimal(0) <= discount_percent <= Decimal(100):
                raise DomainError(_("The discount must be between 0 and 100%."))
            locked.discount_percent = discount_percent
        if installments is not None:
            if not 1 <= installments <= 12:
                raise DomainError(_("Choose between 1 and 12 installments."))
            locked.installments = installments
        if note is not None:
            locked.note = note
        if lines is None:
            lines = [
                QuoteLineSpec(
                    description=ql.description,
                    quantity=ql.quantity,
                    unit_price=ql.unit_price,
                    plan=ql.plan,
                    source_line_id=ql.source_line_id,
                )
                for ql in locked.lines.all()
            ]
        _write_quote_lines(locked, lines)
        was_sent = locked.status == QuoteStatus.SENT
        if was_sent:
            locked.status = QuoteStatus.DRAFT
            locked.revision += 1
            locked.document = None
            locked.contract_document = None
        locked.save()
        successor = locked.case.successor
        if (
            was_sent
            and successor is not None
            and successor.status == ContractStatus.AWAITING_SIGNATURE
        ):
            contract_services.contract_return_to_draft(
                contract=successor, by=by, reason=_("Quote revised")
            )
        event_record(
            contract=locked.case.contract,
            kind="quote_updated",
            by=by,
            payload={
                "quote": locked.number,
                "revision": locked.revision,
                "total": str(locked.total),
                "installments": locked.installments,
                "discount_percent": str(locked.discount_percent),
            },
        )
    quote.refresh_from_db()
    return quote


def _successor_lines(quote: Quote) -> list[LineSpec]:
    """The quote's lines as contract lines, with the renewal discount spread over them."""
    factor = (Decimal(100) - quote.discount_percent) / Decimal(100)
    return [
        LineSpec(
            description=ql.description,
            quantity=ql.quantity,
            unit_price=money(ql.unit_price * factor),
            plan=ql.plan,
        )
        for ql in quote.lines.all()
    ]


def quote_send(*, quote: Quote, by: Any) -> Quote:
    """Send the quote to the customer: write the successor contract (created once per case,
    revised in place), make the quote and contract PDFs, move the case to "quote sent" and
    tell the customer. The contract PDF is the exact document the customer signs."""
    from .documents import contract_pdf_bytes, quote_pdf_bytes

    with transaction.atomic():
        case = _lock_case(quote.case)
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.status != QuoteStatus.DRAFT:
            raise InvalidTransition(_("Only a draft quote can be sent."))
        if not case.is_open or case.stage in (Stage.SIGNED, Stage.PAID):
            raise InvalidTransition(_("This renewal can no longer be quoted."))
        predecessor = case.contract
        if predecessor.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRED):
            raise InvalidTransition(_("Only an active or just-ended contract can be renewed."))
        successor = case.successor
        fields = {
            "start_date": locked.start_date,
            "end_date": locked.end_date,
            "billing_period": locked.billing_period,
            "currency": locked.currency,
            "terms_version": locked.terms_version,
        }
        if successor is None:
            successor = contract_services.contract_create_draft(
                customer=predecessor.customer,
                by=by,
                lines=_successor_lines(locked),
                plan=predecessor.plan,
                owner=predecessor.owner,
                notice_period_days=predecessor.notice_period_days,
                predecessor=predecessor,
                **fields,
            )
            case.successor = successor
            case.save(update_fields=["successor", "updated_at"])
        else:
            successor = contract_services.contract_update_draft(
                contract=successor, by=by, lines=_successor_lines(locked), **fields
            )
        contract_services.contract_send_for_signature(contract=successor, by=by)
        successor.refresh_from_db()
        language = predecessor.customer.language
        contract_pdf = contract_pdf_bytes(contract=successor, quote=locked, language=language)
        quote_pdf = quote_pdf_bytes(quote=locked, language=language)
        locked.contract_document = document_store(
            data=contract_pdf,
            kind=DocumentKind.CONTRACT,
            title=_("Contract %(number)s (revision %(rev)s)")
            % {"number": successor.number, "rev": locked.revision},
            customer=predecessor.customer,
            contract=successor,
            filename=f"{successor.number}-r{locked.revision}.pdf",
            by=by,
        )
        locked.document = document_store(
            data=quote_pdf,
            kind=DocumentKind.QUOTE,
            title=_("Renewal quote %(number)s (revision %(rev)s)")
            % {"number": locked.number, "rev": locked.revision},
            customer=predecessor.customer,
            contract=predecessor,
            filename=f"{locked.number}-r{locked.revision}.pdf",
            by=by,
        )
        locked.status = QuoteStatus.SENT
        locked.sent_at = timezone.now()
        locked.save()
        case.next_action = _("Wait for the customer's signature")
        case.next_action_date = timezone.localdate() + dt.timedelta(days=5)
        _set_stage(
            case,
            Stage.QUOTE_SENT,
            by=by,
            payload={
                "quote": locked.number,
                "revision": locked.revision,
                "total": str(locked.total),
                "successor": successor.number,
                "contract_sha256": locked.contract_document.sha256,
            },
            fields=["next_action", "next_action_date"],
        )
        message_to_customer(
            kind="renewal_quote_sent",
            customer=predecessor.customer,
            contract=predecessor,
            context={
                "quote_number": locked.number,
                "total": str(locked.total),
                "currency": locked.currency,
                "contract_number": predecessor.number,
            },
            dedupe_key=f"quote-sent:{locked.pk}:{locked.revision}",
        )
    quote.refresh_from_db()
    return quote


# --- signing -----------------------------------------------------------------------------


def _first_due_date(successor: Contract) -> dt.date:
    """Due in 14 days, or by the start date if that is sooner, never before today."""
    today = timezone.localdate()
    return max(today, min(today + dt.timedelta(days=14), successor.start_date))


def _quote_mark_signed(
    *,
    case: RenewalCase,
    quote: Quote,
    signature: Signature,
    by: Any,
) -> None:
    """Common tail of online and offline signing, inside the caller's transaction with the
    case and quote locked: sign the successor, invoice it, move the case."""
    successor = case.successor
    assert successor is not None
    predecessor = Contract.objects.select_for_update().get(pk=case.contract_id)
    # Same row lock as the cancellation flow takes: a cancellation request and a signature
    # on the same contract queue here, and whichever comes second is refused.
    if _has_open_cancellation(predecessor.pk):
        raise DomainError(
            _(
                "A cancellation of this contract is in progress. It cannot be renewed until "
                "the cancellation request is withdrawn."
            ),
            code="cancellation_open",
        )
    if predecessor.status == ContractStatus.TERMINATED:
        raise InvalidTransition(
            _("The current contract was cancelled; it can no longer be renewed.")
        )
    # Under the predecessor's row lock, which cancellation_submit also takes: a renewal
    # signature and a cancellation racing on the same contract cannot both win.
    from retention.selectors import renewal_blocked_by_cancellation

    if renewal_blocked_by_cancellation(contract_id=predecessor.pk):
        raise InvalidTransition(
            _("A cancellation of the current contract is open; withdraw it before renewing.")
        )
    contract_services.contract_record_signature(
        contract=successor,
        by=by,
        signed_at=signature.signed_at,
        payload={
            "method": signature.method,
            "signer": signature.signer_name,
            "sha256": signature.sha256,
            "quote": quote.number,
        },
    )
    Contract.objects.filter(pk=successor.pk).update(signed_document=signature.document.file.name)
    quote.status = QuoteStatus.SIGNED
    quote.save(update_fields=["status", "updated_at"])
    invoice_plan_issue(
        contract=successor,
        installments=quote.installments,
        first_due_date=_first_due_date(successor),
        by=by,
    )
    case.next_action = _("Wait for the first payment")
    case.next_action_date = _first_due_date(successor)
    _set_stage(
        case,
        Stage.SIGNED,
        by=by,
        payload={"method": signature.method, "signer": signature.signer_name},
        fields=["next_action", "next_action_date"],
    )
    message_to_customer(
        kind="renewal_signed",
        customer=predecessor.customer,
        contract=successor,
        context={"contract_number": successor.number, "quote_number": quote.number},
        dedupe_key=f"renewal-signed:{quote.pk}",
    )


def _has_open_cancellation(contract_id: int) -> bool:
    try:
        from retention.selectors import contract_has_open_cancellation
    except ImportError:
        return False
    return contract_has_open_cancellation(contract_id=contract_id)


def _lock_for_signing(quote: Quote) -> tuple[RenewalCase, Quote]:
    case = _lock_case(quote.case)
    locked = Quote.objects.select_for_update().get(pk=quote.pk)
    if locked.status == QuoteStatus.SIGNED:
        raise InvalidTransition(_("This quote is already signed."))
    if locked.status != QuoteStatus.SENT or case.stage != Stage.QUOTE_SENT:
        raise InvalidTransition(
            _(
                "This quote cannot be signed any more "
                "(it was revised, withdrawn or the renewal closed)."
            )
        )
    return case, locked


def quote_sign_online(
    *,
    quote: Quote,
    full_name: str,
    accepted: bool,
    document_sha256: str,
    user: Any = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Signature:
    """The customer signs in the portal: they ticked acceptance and typed their full name
    while looking at the contract PDF whose SHA-256 the page carried (``document_sha256``).

    If the quote was revised in between, that hash no longer matches and the signature is
    refused: a customer only ever signs the exact bytes they were shown. The signed PDF is
    stored again as a "signed" document and its hash recorded with time, IP and browser.
    """
    full_name = " ".join((full_name or "").split())
    if not accepted:
        raise DomainError(_("Tick the box to accept the contract."))
    if len(full_name) < 2:
        raise DomainError(_("Type your full name to sign."))
    with transaction.atomic():
        case, locked = _lock_for_signing(quote)
        doc = locked.contract_document
        if doc is None or doc.sha256 != document_sha256:
            raise DomainError(
                _("The contract changed while you were reading it. Please review it again.")
            )
        with doc.file.open("rb") as fh:
            data = fh.read()
        digest = sha256_hex(data)
        if digest != doc.sha256:  # the stored file no longer matches what we showed
            raise DomainError(_("The contract document is damaged; contact your account manager."))
        successor = case.successor
        stored = document_store(
            data=data,
            kind=DocumentKind.SIGNED,
            title=_("Contract %(number)s, signed online by %(name)s")
            % {"number": successor.number if successor else "", "name": full_name},
            customer=case.contract.customer,
            contract=successor,
            filename=f"{successor.number if successor else locked.number}-signed.pdf",
        )
        signature = Signature.objects.create(
            quote=locked,
            method=SignatureMethod.ONLINE,
            signer_name=full_name[:200],
            signed_at=timezone.now(),
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:500],
            sha256=digest,
            document=stored,
            signed_by_user=_actor(user),
        )
        case.last_contact_at = signature.signed_at
        case.save(update_fields=["last_contact_at"])
        _quote_mark_signed(case=case, quote=locked, signature=signature, by=user)
    return signature


def quote_sign_offline(
    *,
    quote: Quote,
    by: Any,
    signer_name: str,
    signed_at: dt.datetime,
    scan: bytes,
    filename: str,
) -> Signature:
    """Staff upload the scan of a contract signed on paper and record who signed and when."""
    signer_name = " ".join((signer_name or "").split())
    if len(signer_name) < 2:
        raise DomainError(_("Enter the name of the person who signed."))
    if not scan:
        raise DomainError(_("Upload the signed scan."))
    if signed_at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(_("The signing time cannot be in the future."))
    ext = (filename.rsplit(".", 1)[-1] if "." in filename else "pdf").lower()[:5]
    with transaction.atomic():
        case, locked = _lock_for_signing(quote)
        successor = case.successor
        stored = document_store(
            data=scan,
            kind=DocumentKind.SIGNED,
            title=_("Contract %(number)s, signed on paper by %(name)s")
            % {"number": successor.number if successor else "", "name": signer_name},
            customer=case.contract.customer,
            contract=successor,
            filename=f"{successor.number if successor else locked.number}-signed-scan.{ext}",
            by=by,
        )
        signature = Signature.objects.create(
            quote=locked,
            method=SignatureMethod.OFFLINE,
            signer_name=signer_name[:200],
            signed_at=signed_at,
            sha256=stored.sha256,
            document=stored,
            recorded_by=_actor(by),
        )
        _quote_mark_signed(case=case, quote=locked, signature=signature, by=by)
    return signature


# --- payment, activation, after renewal -----------------------------------------------------


def case_on_successor_paid(*, successor: Contract, by: Any = None) -> None:
    """The successor's first invoice was paid (called inside that transaction)."""
    case = RenewalCase.objects.filter(successor=successor).first()
    if case is None:
        return
    locked = _lock_case(case)
    if locked.stage != Stage.SIGNED:
        return
    successor.refresh_from_db()
    locked.next_action = _("Follow up after the renewal")
    _set_stage(
        locked,
        Stage.PAID,
        by=by,
        payload={"successor_status": successor.status},
        fields=["next_action"],
    )
    if (
        successor.status == ContractStatus.ACTIVE
        and locked.contract.status != ContractStatus.ACTIVE
    ):
        # The old term is already over: the renewal is complete now.
        case_mark_won(case=locked, by=by)


def case_mark_won(*, case: RenewalCase, by: Any = None, automatic: bool = False) -> RenewalCase:
    """The renewal is done (predecessor renewed). Follow-up task and satisfaction survey."""
    with transaction.atomic():
        locked = _lock_case(case)
        if locked.stage == Stage.WON:
            return locked
        locked.next_action = ""
        _set_stage(
            locked, Stage.WON, by=by, payload={"automatic": automatic}, fields=["next_action"]
        )
        contract = locked.contract
        owner = locked.owner or contract.customer.account_manager
        successor = locked.successor
        if owner is not None:
            task_create(
                assignee=owner,
                kind=TaskKind.FOLLOW_UP,
                title=_("Follow up with %(customer)s after the renewal of %(number)s")
                % {"customer": contract.customer.name, "number": contract.number},
                due_date=timezone.localdate() + dt.timedelta(days=14),
                customer=contract.customer,
                contract=successor or contract,
                dedupe_key=f"renewal-followup:{locked.pk}",
            )
        message_to_customer(
            kind="satisfaction_survey",
            customer=contract.customer,
            contract=successor or contract,
            context={"contract_number": (successor or contract).number},
            dedupe_key=f"renewal-survey:{locked.pk}",
        )
    return locked


def case_attach_auto_renewal(*, predecessor: Contract, successor: Contract) -> RenewalCase:
    """An automatic renewal happened: link it to the case (opened if missing) and win it."""
    case, _created = case_open(contract=predecessor)
    with transaction.atomic():
        locked = _lock_case(case)
        if locked.successor_id is None:
            locked.successor = successor
            locked.save(update_fields=["successor", "updated_at"])
        quote = Quote.objects.filter(case=locked).first()
        if quote is not None and quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT):
            quote.status = QuoteStatus.WITHDRAWN
            quote.save(update_fields=["status", "updated_at"])
    return case_mark_won(case=locked, automatic=True)


def successor_void_if_unsigned(*, predecessor: Contract, by: Any = None) -> bool:
    """Before an automatic renewal, an unsigned manual successor is abandoned (voided and
    detached, its quote withdrawn) so the automatic one can take its place.

    Returns False when a signed successor exists: then there is nothing to auto-renew.
    """
    successor = Contract.objects.filter(predecessor=predecessor).first()
    if successor is None:
        return True
    if successor.status in (ContractStatus.DRAFT, ContractStatus.AWAITING_SIGNATURE):
        successor = contract_services.contract_void(
            contract=successor, by=by, reason=_("Replaced by the automatic renewal")
        )
    if successor.status != ContractStatus.VOID:
        return False
    for inv in successor.invoices.filter(status="open"):
        invoice_void(invoice=inv, by=by, reason=_("Contract void"))
    # Contract.predecessor is one-to-one: the abandoned draft lets go of it.
    Contract.objects.filter(pk=successor.pk).update(predecessor=None)
    RenewalCase.objects.filter(successor=successor).update(successor=None)
    Quote.objects.filter(
        case__contract=predecessor, status__in=[QuoteStatus.DRAFT, QuoteStatus.SENT]
    ).update(status=QuoteStatus.WITHDRAWN)
    event_record(
        contract=predecessor,
        kind="successor_detached",
        by=by,
        payload={"successor": successor.number},
    )
    return True


def case_open_for_blocked_auto_renewal(*, contract: Contract) -> RenewalCase:
    """Auto-renewal was due but the renewal notice was not delivered: no silent renewal.
    Flag the case for the manager (task + message) and tell the customer."""
    flag = _("Auto-renewal blocked: the renewal notice was not delivered.")
    case, _created = case_open(contract=contract)
    with transaction.atomic():
        locked = _lock_case(case)
        if locked.flag != flag:
            locked.flag = flag
            locked.next_action = _("Contact the customer: confirm the renewal explicitly")
            locked.next_action_date = timezone.localdate()
            locked.save(update_fields=["flag", "next_action", "next_action_date", "updated_at"])
            event_record(contract=contract, kind="renewal_flagged", reason=flag)
            owner = locked.owner or contract.customer.account_manager
            if owner is not None:
                task_create(
                    assignee=owner,
                    kind=TaskKind.RENEWAL,
                    title=_(
                        "Auto-renewal of %(number)s blocked (no delivered notice): "
                        "contact %(customer)s"
                    )
                    % {"number": contract.number, "customer": contract.customer.name},
                    due_date=timezone.localdate(),
                    customer=contract.customer,
                    contract=contract,
                    dedupe_key=f"auto-renew-blocked:{contract.pk}",
                )
                message_to_staff(
                    kind="auto_renewal_blocked_staff",
                    user=owner,
                    customer=contract.customer,
                    contract=contract,
                    context={"contract_number": contract.number},
                    dedupe_key=f"auto-renew-blocked-staff:{contract.pk}",
                )
            message_to_customer(
                kind="auto_renewal_blocked",
                customer=contract.customer,
                contract=contract,
                context={
                    "contract_number": contract.number,
                    "end_date": contract.end_date.isoformat(),
                },
                dedupe_key=f"auto-renew-blocked:{contract.pk}",
            )
    return locked


__all__ = [
    "OPEN_STAGES",
    "QuoteLineSpec",
    "case_attach_auto_renewal",
    "case_flag",
    "case_log_contact",
    "case_lose",
    "case_mark_won",
    "case_on_successor_paid",
    "case_open",
    "case_open_for_blocked_auto_renewal",
    "case_record_intent",
    "quote_create",
    "quote_send",
    "quote_sign_offline",
    "quote_sign_online",
    "quote_update",
    "renewal_cases_open_due",
    "successor_void_if_unsigned",
]
