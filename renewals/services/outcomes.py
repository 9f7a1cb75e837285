"""Payment, winning, automatic renewal and blocked auto-renewal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import InvoiceStatus
from billing.services import invoice_void
from contracts import services as contract_services
from contracts.models import (
    Contract,
    ContractStatus,
)
from contracts.open_ended import open_ended_continuing
from contracts.services import event_record
from core.models import TaskKind
from core.services import in_language_of, task_create
from notifications.customer_messages import message_to_customer, message_to_staff
from renewals.case_states import (
    case_lock,
    case_stage_change,
    cases_stage_change_locked,
)
from renewals.models import (
    LossReason,
    Quote,
    RenewalCase,
    Stage,
)
from renewals.quote_states import quote_withdraw

from .cases import case_open
from .successors import successor_detach

# --- payment, activation, after renewal -----------------------------------------------------


def case_on_successor_paid(*, successor: Contract, by: Any = None) -> None:
    """The successor's first invoice was paid (called inside that transaction)."""
    case = RenewalCase.objects.filter(successor=successor).first()
    if case is None:
        return
    locked = case_lock(case)
    if locked.stage != Stage.SIGNED:
        return
    successor.refresh_from_db()
    case_stage_change(
        locked,
        Stage.PAID,
        by=by,
        payload={"successor_status": successor.status},
        updates={"next_action": gettext_noop("Follow up after the renewal")},
    )
    if (
        successor.status == ContractStatus.ACTIVE
        and locked.contract.status != ContractStatus.ACTIVE
    ):
        # The old term is already over: the renewal is complete now (the case is locked).
        _mark_won_locked(locked, by=by)


def case_mark_won(*, case: RenewalCase, by: Any = None, automatic: bool = False) -> RenewalCase:
    """The renewal is done (predecessor renewed). Follow-up task and satisfaction survey."""
    with transaction.atomic():
        return _mark_won_locked(case_lock(case), by=by, automatic=automatic)


def _mark_won_locked(
    locked: RenewalCase, *, by: Any = None, automatic: bool = False
) -> RenewalCase:
    """case_mark_won for a case the caller has locked in its transaction."""
    if locked.stage == Stage.WON:
        return locked
    case_stage_change(
        locked, Stage.WON, by=by, payload={"automatic": automatic}, updates={"next_action": ""}
    )
    _follow_up_after_win(locked)
    return locked


def cases_mark_won(*, contract_ids: Sequence[int], by: Any = None) -> int:
    """case_mark_won for the cases of many renewed contracts at once (an end-of-term
    sweep, inside its transaction): the same table and events in one UPDATE and one
    INSERT, then each case's follow-up task. Cases already won are left alone; one the
    table refuses (lost) refuses the batch, as it would refuse the single win. Returns
    how many were won."""
    with transaction.atomic():
        cases = [
            case
            for case in RenewalCase.objects.select_for_update(of=("self",))
            .select_related("contract__customer__account_manager", "owner", "successor")
            .filter(contract_id__in=list(contract_ids))
            .order_by("contract_id")
            if case.stage != Stage.WON
        ]
        cases_stage_change_locked(
            cases, Stage.WON, by=by, payload={"automatic": False}, updates={"next_action": ""}
        )
        for case in cases:
            _follow_up_after_win(case)
    return len(cases)


def _follow_up_after_win(case: RenewalCase) -> None:
    """A follow-up task for the account manager. The satisfaction survey is the insights
    app's CSAT (with a rating link), a reaction to the old contract becoming "renewed"
    (lifecycle/subscriptions.py)."""
    contract = case.contract
    owner = case.owner or contract.customer.account_manager
    if owner is None:
        return
    with in_language_of(owner):
        task_create(
            assignee=owner,
            kind=TaskKind.FOLLOW_UP,
            title=_("Follow up with %(customer)s after the renewal of %(number)s")
            % {"customer": contract.customer.name, "number": contract.number},
            due_date=timezone.localdate() + dt.timedelta(days=14),
            customer=contract.customer,
            contract=case.successor or contract,
            dedupe_key=f"renewal-followup:{case.pk}",
        )


def case_attach_auto_renewal(*, predecessor: Contract, successor: Contract) -> RenewalCase | None:
    """An automatic renewal happened: link it to the case (opened if missing) and win it.
    An open-ended contract going on into its next month is no renewal to work: without a
    case already (one a held renewal opened), none is opened (no monthly won case, no
    monthly follow-up task); None then."""
    # One query: no case yet, and an open-ended month going on.
    if (
        Contract.objects.filter(pk=predecessor.pk, renewal_case__isnull=True)
        .filter(open_ended_continuing())
        .exists()
    ):
        return None
    case, _created = case_open(contract=predecessor)
    with transaction.atomic():
        locked = case_lock(case)
        if locked.successor_id is None:
            locked.successor = successor
            locked.save(update_fields=["successor", "updated_at"])
        quote = Quote.objects.filter(case=locked).first()
        if quote is not None:
            quote_withdraw(quote, reason=_("Renewed automatically"))
        # Still under the lock taken above: no second lock of the same case.
        return _mark_won_locked(locked, automatic=True)


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
    successor_detach(predecessor=predecessor, successor=successor, by=by)
    # At most one quote (one case per contract, one quote per case).
    quote = Quote.objects.filter(case__contract=predecessor).first()
    if quote is not None:
        quote_withdraw(quote, by=by, reason=_("Replaced by the automatic renewal"))
    return True


def case_lose_undone_renewal(
    *, predecessor: Contract, successor: Contract, note: str, by: Any = None
) -> RenewalCase | None:
    """The customer undid the renewal of ``predecessor`` into ``successor`` (lifecycle: an
    automatic renewal undone, or a withdrawal from the new contract): its case, won (or
    still open), is closed as lost ("other", ``note`` saying why), so the portal and the
    pipeline no longer count it as renewed. The successor stays on the case as history.
    Call inside the undo's transaction (lock order: the case first, then the contracts,
    as lifecycle.contract_locks takes them). None when there is no case; a case already
    lost is left alone, and so is one signed or paid but not won yet: its new contract
    was voided, and ``case_on_successor_voided`` closes it as lost after that commit."""
    case = RenewalCase.objects.filter(contract=predecessor).first()
    if case is None:
        return None
    locked = case_lock(case)
    if locked.stage in (Stage.LOST, Stage.SIGNED, Stage.PAID):
        return locked
    return case_stage_change(
        locked,
        Stage.LOST,
        by=by,
        reason=note[:500],
        payload={"loss_reason": LossReason.OTHER, "undone": True, "successor": successor.number},
        updates={"loss_reason": LossReason.OTHER, "loss_note": note[:500], "next_action": ""},
    )


def case_on_successor_voided(*, successor: Contract, by: Any = None, reason: str = "") -> None:
    """The renewal's new contract was voided after it was signed (staff voided it on its
    page while it waited for payment, or the customer withdrew from it before it started):
    the renewal did not happen, so its case, signed or paid, is closed as lost ("other",
    the note naming the contract and why it was voided). The account manager sees it
    among the lost renewals with that reason instead of a signed renewal that will never
    pay; the predecessor's end of term then finds no renewal and expires it. The voided
    contract's open invoices with nothing paid on them are voided too, so that no overdue
    reminder asks the customer to pay for it.

    A lifecycle reaction to the "voided" change, after that commit (renewals lock the case
    before contracts; the void locked the contract). A case that is not signed or paid is
    left alone: before the signature, the quote can be revised and sent again (a void
    successor is replaced then), and a won or lost case is closed already. The signed
    quote stays signed: it is the record of what the customer signed."""
    case = RenewalCase.objects.filter(successor=successor).first()
    if case is None:
        return
    with transaction.atomic():
        locked = case_lock(case)
        successor.refresh_from_db(fields=["status"])
        if (
            locked.stage not in (Stage.SIGNED, Stage.PAID)
            or locked.successor_id != successor.pk
            or successor.status != ContractStatus.VOID
        ):
            return
        why = reason.strip()
        note = (
            _("The renewal contract %(number)s was voided: %(reason)s")
            % {"number": successor.number, "reason": why}
            if why
            else _("The renewal contract %(number)s was voided.") % {"number": successor.number}
        )[:500]
        case_stage_change(
            locked,
            Stage.LOST,
            by=by,
            reason=note,
            payload={"loss_reason": LossReason.OTHER, "successor_voided": successor.number},
            updates={"loss_reason": LossReason.OTHER, "loss_note": note, "next_action": ""},
        )
        for invoice in successor.invoices.filter(
            status=InvoiceStatus.OPEN, amount_paid=0, amount_credited=0
        ):
            invoice_void(invoice=invoice, by=by, reason=_("Contract void"))


# Why an automatic renewal was held, in a few words (lifecycle.compliance_renewal decides).
BLOCKED_NO_NOTICE = "no_notice"
BLOCKED_NOTICE_NOT_IN_TIME = "notice_not_in_time"
BLOCKED_PRICE_RISE = "price_rise"
# The case's flag, stored as the English source and shown in the reader's language (the
# renewals templates translate it, as they do the next action).
BLOCKED_FLAGS = {
    BLOCKED_NO_NOTICE: gettext_noop("Auto-renewal blocked: the renewal notice was not delivered."),
    BLOCKED_NOTICE_NOT_IN_TIME: gettext_noop(
        "Auto-renewal blocked: the renewal notice did not reach the customer in time."
    ),
    BLOCKED_PRICE_RISE: gettext_noop(
        "Auto-renewal blocked: the price rises and the customer was not told in time."
    ),
}


def _blocked_task_title(cause: str, contract: Contract) -> str:
    values = {"number": contract.number, "customer": contract.customer.name}
    if cause == BLOCKED_NOTICE_NOT_IN_TIME:
        return _(
            "Auto-renewal of %(number)s blocked (notice not in time): contact %(customer)s"
        ) % (values)
    if cause == BLOCKED_PRICE_RISE:
        return (
            _(
                "Auto-renewal of %(number)s blocked (price rise without notice): "
                "contact %(customer)s"
            )
            % values
        )
    return _("Auto-renewal of %(number)s blocked (no delivered notice): contact %(customer)s") % (
        values
    )


def blocked_auto_renewal_key(contract: Any) -> str:
    """The dedupe key of a held automatic renewal's task and customer message (one each
    per contract); the lifecycle finds the task by it."""
    return f"auto-renew-blocked:{contract.pk}"


def case_open_for_blocked_auto_renewal(
    *,
    contract: Contract,
    reason: str | Callable[[], str] = "",
    cause: str = BLOCKED_NO_NOTICE,
) -> RenewalCase:
    """Auto-renewal was due but the rules were not met (``cause``: no notice delivered, a
    notice not in time, a price rise without its notice): no silent renewal. Flag the case
    for the manager (task + message) and tell the customer. ``reason`` (the compliance rule
    that held it, or a function that words it in the active language) goes into the
    manager's task; the task is for one person, so its title and details are written in
    the manager's language."""
    cause = cause if cause in BLOCKED_FLAGS else BLOCKED_NO_NOTICE
    flag = BLOCKED_FLAGS[cause]
    case, _created = case_open(contract=contract)
    with transaction.atomic():
        locked = case_lock(case)
        if locked.flag != flag:
            locked.flag = flag
            locked.next_action = gettext_noop(
                "Contact the customer: confirm the renewal explicitly"
            )
            locked.next_action_date = timezone.localdate()
            locked.save(update_fields=["flag", "next_action", "next_action_date", "updated_at"])
            event_record(contract=contract, kind="renewal_flagged", reason=flag)
            owner = locked.owner or contract.customer.account_manager
            if owner is not None:
                with in_language_of(owner):
                    title = _blocked_task_title(cause, contract)
                    details = reason() if callable(reason) else reason
                task_create(
                    assignee=owner,
                    kind=TaskKind.RENEWAL,
                    title=title,
                    due_date=timezone.localdate(),
                    details=details,
                    customer=contract.customer,
                    contract=contract,
                    dedupe_key=blocked_auto_renewal_key(contract),
                )
                message_to_staff(
                    kind="auto_renewal_blocked_staff",
                    user=owner,
                    customer=contract.customer,
                    contract=contract,
                    context={"contract_number": contract.number, "cause": cause},
                    dedupe_key=f"auto-renew-blocked-staff:{contract.pk}",
                )
            message_to_customer(
                kind="auto_renewal_blocked",
                customer=contract.customer,
                contract=contract,
                context={
                    "contract_number": contract.number,
                    "end_date": contract.end_date.isoformat(),
                    "cause": cause,
                },
                dedupe_key=blocked_auto_renewal_key(contract),
            )
    return locked
