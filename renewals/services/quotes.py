"""The quote for the successor contract: creating, revising and sending it (its lifecycle).
What it costs is worked out in ``quote_pricing``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.services import term_end
from contracts import services as contract_services
from contracts.models import ContractStatus, TermsVersion
from contracts.services import event_record
from core.errors import DomainError, InvalidTransition
from core.models import DocumentKind
from core.pdf import document_store
from core.sequences import sequence_next
from notifications.customer_messages import message_to_customer
from renewals.case_states import case_lock, case_stage_change
from renewals.models import Quote, QuoteStatus, RenewalCase, Stage
from renewals.quote_states import quote_lock, quote_mark_sent, quote_reopen
from renewals.selectors import term_months
from retention.services import grant_mark_used

from .quote_pricing import (
    QuoteLineSpec,
    quote_grant_changes,
    quote_lines_write,
    quote_retention_grants_apply,
    quote_successor_lines,
    renewal_lines_at_current_prices,
)
from .reply_dates import reply_due_date
from .successors import (
    successor_claim_for_case,
    successor_create_for_case,
    successor_in_place,
    successor_refusal,
)


def _latest_terms(day: dt.date) -> TermsVersion | None:
    return TermsVersion.objects.filter(effective_from__lte=day).order_by("-effective_from").first()


def quote_create(*, case: RenewalCase, by: Any) -> Quote:
    """The first quote of a case: same lines and term length as the current contract, at
    today's price list for the new start date, under the latest terms version."""
    with transaction.atomic():
        locked = case_lock(case)
        if not locked.is_open or locked.stage in (Stage.SIGNED, Stage.PAID):
            raise InvalidTransition(_("This renewal can no longer be quoted."))
        existing = Quote.objects.filter(case=locked).first()
        if existing is not None:
            return existing
        contract = locked.contract
        # Say now, not at sending, that a renewal signed (or paid) elsewhere is in the way.
        in_place = successor_in_place(predecessor=contract)
        refusal = successor_refusal(contract=in_place) if in_place else None
        if refusal is not None:
            raise refusal
        start = contract.end_date + dt.timedelta(days=1)
        months = term_months(contract.start_date, contract.end_date)
        quote = Quote.objects.create(
            case=locked,
            number=_quote_number(),
            start_date=start,
            end_date=term_end(start, months),
            billing_period=contract.billing_period,
            currency=contract.currency,
            terms_version=_latest_terms(start) or contract.terms_version,
        )
        specs = renewal_lines_at_current_prices(contract=contract, start=start, months=months)
        used = quote_retention_grants_apply(quote, contract, specs, start, months)
        quote_lines_write(quote, specs)
        quote.save()
        for grant in used:
            grant_mark_used(grant=grant, by=by, quote_ref=quote.number)
        event_record(
            contract=contract,
            kind="quote_created",
            by=by,
            payload={"quote": quote.number, "total": str(quote.total)},
        )
    return quote


def quote_apply_grant(*, quote: Quote, grant: Any, by: Any = None) -> bool:
    """Apply a retention grant to a quote already written (draft or sent; quote_update
    takes a sent one back to draft). False when the grant changes nothing."""
    first = quote.lines.order_by("position").first()
    changes = quote_grant_changes(
        grant,
        quote=quote,
        source_line_id=first.source_line_id if first else None,
        start=quote.start_date,
        months=term_months(quote.start_date, quote.end_date),
    )
    if not changes:
        return False
    quote_update(quote=quote, by=by, **changes)
    return True


def _quote_number() -> str:
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
        case_lock(quote.case)
        locked = quote_lock(quote)
        if not locked.is_editable:
            raise InvalidTransition(_("A signed quote cannot be edited."))
        if term_months_count is not None:
            if not 1 <= term_months_count <= 60:
                raise DomainError(_("The term must be between 1 and 60 months."))
            locked.end_date = term_end(locked.start_date, term_months_count)
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
        quote_lines_write(locked, lines)
        was_sent = locked.status == QuoteStatus.SENT
        locked.save()
        event_payload = {
            "total": str(locked.total),
            "installments": locked.installments,
            "discount_percent": str(locked.discount_percent),
        }
        if was_sent:
            # Back to draft as a new revision, without the sent revision's documents.
            quote_reopen(
                locked,
                by=by,
                payload=event_payload,
                updates={
                    "revision": locked.revision + 1,
                    "document": None,
                    "contract_document": None,
                },
            )
            # The customer waits for the new revision: the portal tells them by when.
            case = locked.case
            case.next_action = gettext_noop("Send the revised quote")
            case.next_action_date = reply_due_date(start=timezone.localdate())
            case.save(update_fields=["next_action", "next_action_date", "updated_at"])
        successor = locked.case.successor
        if (
            was_sent
            and successor is not None
            and successor.status == ContractStatus.AWAITING_SIGNATURE
        ):
            contract_services.contract_return_to_draft(
                contract=successor, by=by, reason=_("Quote revised")
            )
        if not was_sent:
            # A draft's revision (a sent one's is written by quote_reopen above).
            event_record(
                contract=locked.case.contract,
                kind="quote_updated",
                by=by,
                payload={"quote": locked.number, "revision": locked.revision, **event_payload},
            )
    quote.refresh_from_db()
    return quote


def quote_send(*, quote: Quote, by: Any) -> Quote:
    """Send the quote to the customer: write the successor contract (created once per case,
    revised in place), make the quote and contract PDFs, move the case to "quote sent" and
    tell the customer. The contract PDF is the exact document the customer signs."""
    from renewals.documents import contract_pdf_bytes, quote_pdf_bytes

    with transaction.atomic():
        case = case_lock(quote.case)
        locked = quote_lock(quote)
        if locked.status != QuoteStatus.DRAFT:
            raise InvalidTransition(_("Only a draft quote can be sent."))
        if not case.is_open or case.stage in (Stage.SIGNED, Stage.PAID):
            raise InvalidTransition(_("This renewal can no longer be quoted."))
        predecessor = case.contract
        if predecessor.status not in (ContractStatus.ACTIVE, ContractStatus.EXPIRED):
            raise InvalidTransition(_("Only an active or just-ended contract can be renewed."))
        fields = {
            "start_date": locked.start_date,
            "end_date": locked.end_date,
            "billing_period": locked.billing_period,
            "currency": locked.currency,
            "terms_version": locked.terms_version,
            "plan": predecessor.plan,
            "notice_period_days": predecessor.notice_period_days,
        }
        # A draft renewal made before the case (by hand, an import) is taken over;
        # a signed one refuses the send with its reason.
        successor = successor_claim_for_case(case=case, by=by)
        if successor is None:
            successor = successor_create_for_case(
                case=case,
                by=by,
                customer=predecessor.customer,
                lines=quote_successor_lines(locked),
                owner=predecessor.owner,
                **fields,
            )
        else:
            successor = contract_services.contract_update_draft(
                contract=successor, by=by, lines=quote_successor_lines(locked), **fields
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
        quote_mark_sent(
            locked,
            by=by,
            updates={
                "sent_at": timezone.now(),
                "document": locked.document,
                "contract_document": locked.contract_document,
            },
        )
        case_stage_change(
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
            updates={
                "next_action": gettext_noop("Wait for the customer's signature"),
                "next_action_date": timezone.localdate() + dt.timedelta(days=5),
            },
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
