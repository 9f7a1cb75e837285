"""Where a renewal stands, told to the customer in their own words (the portal).

The staff pipeline stages ("customer responded", "quote sent") are bookkeeping for the
account manager; a customer sees four steps of their own, each marked done only from the
fact that makes it true: an offer they can sign (or signed), a signature on the new
contract, its first invoice paid, the new term in place. And always one next step: what
they do now, or what we do for them and by which date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from billing.models import Invoice, InvoiceStatus
from contracts.models import Contract, ContractStatus
from core.money import money_text
from renewals.models import Intent, Quote, QuoteStatus, RenewalCase, Signature, Stage
from renewals.services import reply_due_date
from retention.selectors import contracts_with_open_cancellation

S = ContractStatus
UNSIGNED = (S.DRAFT, S.AWAITING_SIGNATURE, S.VOID)
# The customer can still answer the renewal question in these stages.
ANSWERABLE = (Stage.INTENT_PENDING, Stage.RESPONDED, Stage.QUOTE_SENT)


@dataclass(frozen=True)
class CustomerStep:
    key: str  # offer, sign, pay, renewed
    label: str
    done: bool
    current: bool = False


@dataclass
class RenewalProgress:
    contract: Contract
    case: RenewalCase | None
    successor: Contract | None  # the new contract, once written
    quote: Quote | None  # the offer the customer can act on now, or the one they signed
    signature: Signature | None
    invoices: list[Invoice]
    steps: list[CustomerStep]
    lost: bool
    signed: bool
    can_sign: bool
    on_hold: bool  # an offer is out but a cancellation request is open: not signable
    can_answer: bool
    next_step: str  # one sentence: what the customer does now, or what we do and by when
    next_url: str = ""  # where the customer does it, when it is a page
    expected_by: dt.date | None = None  # when we promised what we are preparing
    late: bool = False  # that date has passed

    @property
    def current(self) -> CustomerStep | None:
        return next((s for s in self.steps if s.current), None)


def _day(value: dt.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _successor(contract: Contract, case: RenewalCase | None) -> Contract | None:
    """The case's successor, or a renewal signed outside the case (by hand, automatically);
    an unsigned contract the customer was never sent through the portal is no step."""
    if case is not None and case.successor is not None and case.successor.status != S.VOID:
        return case.successor
    return Contract.objects.filter(predecessor=contract).exclude(status__in=UNSIGNED).first()


def _offer_quote(case: RenewalCase | None) -> Quote | None:
    if case is None:
        return None
    return (
        Quote.objects.filter(case=case, status__in=[QuoteStatus.SENT, QuoteStatus.SIGNED])
        .select_related("document", "contract_document", "terms_version")
        .first()
    )


def renewal_progress_for_customer(
    *, contract: Contract, today: dt.date | None = None
) -> RenewalProgress | None:
    """The renewal of ``contract`` as its customer sees it; None when there is nothing to
    tell (no case and no renewal), in which case the portal simply offers to renew."""
    case = (
        RenewalCase.objects.filter(contract=contract).select_related("successor", "owner").first()
    )
    successor = _successor(contract, case)
    if case is None and successor is None:
        return None
    return _progress(
        contract=contract,
        case=case,
        successor=successor,
        quote=_offer_quote(case),
        signature_of=lambda q: Signature.objects.filter(quote=q).first(),
        invoices_of=lambda c: list(
            c.invoices.exclude(status=InvoiceStatus.VOID).order_by("installment_no")
        ),
        today=today or timezone.localdate(),
        cancelling=bool(_cancelling([contract.pk])),
    )


def _cancelling(contract_ids: list[int]) -> set[int]:
    """Contracts with an open cancellation request: their renewal cannot be signed until
    it is withdrawn (renewals.services.signing refuses it), so the portal does not offer it."""
    return contracts_with_open_cancellation(contract_ids=contract_ids)


def renewal_progress_for_cases(
    *, cases: list[RenewalCase], today: dt.date | None = None
) -> dict[int, RenewalProgress]:
    """The same for many cases at once (the portal dashboard), in a fixed number of
    queries whatever their number: {case id: progress}."""
    if not cases:
        return {}
    today = today or timezone.localdate()
    contract_ids = [c.contract_id for c in cases]
    cancelling = _cancelling(contract_ids)
    signed_elsewhere = {
        c.predecessor_id: c
        for c in Contract.objects.filter(predecessor_id__in=contract_ids).exclude(
            status__in=UNSIGNED
        )
    }
    quotes: dict[int, Quote] = {}
    for q in (
        Quote.objects.filter(case__in=cases, status__in=[QuoteStatus.SENT, QuoteStatus.SIGNED])
        .select_related("document", "contract_document", "terms_version")
        .order_by("pk")
    ):
        quotes[q.case_id] = q  # the last one wins: the row .first() picks (ordering -id)
    signatures = {s.quote_id: s for s in Signature.objects.filter(quote__in=quotes.values())}
    successors = {
        case.pk: (
            case.successor
            if case.successor is not None and case.successor.status != S.VOID
            else signed_elsewhere.get(case.contract_id)
        )
        for case in cases
    }
    invoices: dict[int | None, list[Invoice]] = {}
    for inv in (
        Invoice.objects.filter(contract__in=[c for c in successors.values() if c is not None])
        .exclude(status=InvoiceStatus.VOID)
        .order_by("installment_no")
    ):
        invoices.setdefault(inv.contract_id, []).append(inv)
    result = {}
    for case in cases:
        progress = _progress(
            contract=case.contract,
            case=case,
            successor=successors[case.pk],
            quote=quotes.get(case.pk),
            signature_of=lambda q: signatures.get(q.pk),
            invoices_of=lambda c: invoices.get(c.pk, []),
            today=today,
            cancelling=case.contract_id in cancelling,
        )
        if progress is not None:
            result[case.pk] = progress
    return result


def _progress(
    *,
    contract: Contract,
    case: RenewalCase | None,
    successor: Contract | None,
    quote: Quote | None,
    signature_of: Callable[[Quote], Signature | None],
    invoices_of: Callable[[Contract], list[Invoice]],
    today: dt.date,
    cancelling: bool = False,
) -> RenewalProgress:
    signed = successor is not None and successor.status not in UNSIGNED
    signable = bool(
        quote is not None
        and quote.status == QuoteStatus.SENT
        and case is not None
        and case.stage == Stage.QUOTE_SENT
        and successor is not None
        and successor.status == S.AWAITING_SIGNATURE
    )
    # An open cancellation request holds the renewal: signing it would be refused.
    can_sign, on_hold = signable and not cancelling, signable and cancelling
    if not (can_sign or on_hold or (quote is not None and quote.status == QuoteStatus.SIGNED)):
        # A quote the customer asked to change (or that was withdrawn) is not their offer.
        quote = None
    signature = signature_of(quote) if quote is not None else None
    invoices = invoices_of(successor) if signed and successor is not None else []
    first = invoices[0] if invoices else None
    paid = signed and (
        first.status == InvoiceStatus.PAID
        if first is not None
        else successor is not None and successor.status not in (S.AWAITING_PAYMENT,)
    )
    renewed = signed and (
        contract.status == S.RENEWED
        or (successor is not None and successor.status in (S.SCHEDULED, S.ACTIVE))
    )
    # A lost case with a signed successor is lost only if that successor was ended (the
    # customer undid the renewal or withdrew: renewals.services.case_lose_undone_renewal).
    undone = successor is not None and successor.status == S.TERMINATED
    lost = case is not None and case.stage == Stage.LOST and (not signed or undone)
    until = successor.end_date if signed and successor else (quote.end_date if quote else None)

    steps: list[tuple[str, str, bool]] = []
    # Renewed without an offer (automatically under the customer's consent, or a contract
    # signed by hand): there was no offer to send or sign in the portal.
    if not signed or signature is not None or quote is not None:
        # A done step reads as done ("Renewal offer sent"), one to come as what happens.
        offered = quote is not None
        steps.append(
            (
                "offer",
                _("Renewal offer sent") if offered else _("We'll send your renewal offer"),
                offered,
            )
        )
        steps.append(
            (
                "sign",
                pgettext("renewal step done", "Signed") if signed else _("Review and sign"),
                signed,
            )
        )
    steps.append(("pay", pgettext("renewal step done", "Paid") if paid else _("Pay"), paid))
    steps.append(
        (
            "renewed",
            _("Renewed until %(date)s") % {"date": _day(until)} if until else _("Renewed"),
            renewed,
        )
    )
    current_key = None if lost else next((k for k, _label, done in steps if not done), None)
    progress = RenewalProgress(
        contract=contract,
        case=case,
        successor=successor,
        quote=quote,
        signature=signature,
        invoices=invoices,
        steps=[CustomerStep(k, label, done, k == current_key) for k, label, done in steps],
        lost=lost,
        signed=signed,
        can_sign=can_sign,
        on_hold=on_hold,
        can_answer=(
            contract.status == S.ACTIVE
            and not signed
            and (case is None or case.stage in ANSWERABLE)
        ),
        next_step="",
    )
    _tell_next_step(progress, today=today, first_open=_first_open(invoices), paid=paid)
    return progress


def _first_open(invoices: list[Invoice]) -> Invoice | None:
    return next((i for i in invoices if i.status == InvoiceStatus.OPEN), None)


def _tell_next_step(
    p: RenewalProgress, *, today: dt.date, first_open: Invoice | None, paid: bool
) -> None:
    case, successor = p.case, p.successor
    if p.lost:
        p.next_step = _("This contract will not be renewed.")
    elif p.signed and not paid and first_open is not None:
        p.next_step = _("Pay invoice %(number)s (%(amount)s) by %(date)s.") % {
            "number": first_open.number,
            "amount": money_text(first_open.balance, first_open.currency),
            "date": _day(first_open.due_date),
        }
        p.next_url = reverse("portal:invoice", args=[first_open.pk])
    elif p.signed and not paid:
        p.next_step = _("We are preparing your invoice; you will find it here.")
    elif p.signed and successor is not None and successor.status == S.SCHEDULED:
        p.next_step = _("You are renewed: the new term runs from %(start)s to %(end)s.") % {
            "start": _day(successor.start_date),
            "end": _day(successor.end_date),
        }
    elif p.signed and successor is not None:
        p.next_step = _("You are renewed until %(date)s.") % {"date": _day(successor.end_date)}
    elif p.on_hold:
        p.next_step = _(
            "Your cancellation request for this contract is open, so its renewal offer cannot "
            "be signed. Withdraw the request if you want to renew."
        )
    elif p.can_sign:
        p.next_step = _("Review your renewal offer below and sign it.")
        p.next_url = "#sign"
    elif case is None or (not case.intent and case.stage == Stage.INTENT_PENDING):
        p.next_step = (
            _("Tell us below whether you want to renew.")
            if p.can_answer
            else _("Your account manager will contact you about renewing.")
        )
        p.next_url = "#intent" if p.can_answer else ""
    elif case.intent == Intent.WILL_NOT_RENEW:
        p.next_step = _("You told us you will not renew. Changed your mind? Answer again below.")
        p.next_url = "#intent" if p.can_answer else ""
    else:
        _tell_what_we_prepare(p, case, today=today)


def _tell_what_we_prepare(p: RenewalProgress, case: RenewalCase, *, today: dt.date) -> None:
    """The customer answered and waits for us: say what we prepare and by when, honestly
    (the case's next action date, which staff keep; else the reply time from the answer)."""
    start = timezone.localdate(case.intent_at) if case.intent_at else today
    due = case.next_action_date or reply_due_date(start=start)
    p.expected_by, p.late = due, due < today
    calls_back = case.intent == Intent.UNDECIDED
    if not p.late:
        message = (
            _("Your account manager will contact you by %(date)s.")
            if calls_back
            else _(
                "Your account manager is preparing your renewal offer. We expect to send it "
                "by %(date)s."
            )
        )
    else:
        message = (
            _(
                "We planned to contact you by %(date)s and have not yet: your account "
                "manager will do so as soon as possible."
            )
            if calls_back
            else _(
                "Your renewal offer is taking longer than we planned (we aimed for "
                "%(date)s). Your account manager will send it as soon as possible."
            )
        )
    p.next_step = message % {"date": _day(due)}
