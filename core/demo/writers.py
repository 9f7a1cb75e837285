"""Two ways to write the same stories.

``write_with_services`` replays every step through contracts.services (and
renewals.services for a lost renewal case; the default: the same code paths as the UI,
signals included). ``write_in_bulk`` writes the rows those services would write
(contract, lines, events, consents, lost renewal cases) with a few bulk INSERTs per batch:
for demos of many thousand contracts (benchmarks, model training). Both give the same data
for the same stories; tests/core/test_seed_demo.py checks that.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F

from contracts.models import (
    AutoRenewConsent,
    Contract,
    ContractEvent,
    ContractLine,
    ContractStatus,
)
from contracts.services import (
    _annualise,
    contract_create_draft,
    contract_expire,
    contract_mark_renewed,
    contract_record_first_payment,
    contract_record_signature,
    contract_send_for_signature,
    contract_set_auto_renew,
    contract_terminate,
    contract_void,
)
from core.models import Sequence
from core.money import money
from renewals.models import RenewalCase, Stage
from renewals.services import case_lose, case_open

from .story import Story

S = ContractStatus


# --- through the services ---------------------------------------------------------------------


def write_with_services(stories: list[Story], *, today: dt.date) -> None:
    for story in stories:
        consent_ids: dict[str, int] = {}
        for step in story.steps:
            if step.kind == "renewed":
                continue  # happens once the successor is paid, below
            consent_id = _apply(story, step, today)
            if consent_id:
                consent_ids[step.kind] = consent_id
        _stamp(story, consent_ids)
        previous = story.predecessor
        renewed = previous.step("renewed") if previous is not None else None
        if previous is not None and renewed is not None:
            contract_mark_renewed(contract=previous.contract, successor=story.contract, by=None)
            ContractEvent.objects.filter(contract=previous.contract, kind="renewed").update(
                at=renewed.at
            )
            Contract.objects.filter(pk=previous.contract.pk).update(ended_at=renewed.at)


def _apply(story: Story, step: Any, today: dt.date) -> int | None:
    contract = story.contract
    if step.kind == "created":
        story.contract = contract_create_draft(
            customer=story.customer,
            by=step.by,
            start_date=story.term.start,
            end_date=story.term.end,
            lines=story.lines,
            plan=story.plan,
            terms_version=story.terms_version,
            predecessor=story.predecessor.contract if story.predecessor else None,
        )
    elif step.kind == "sent_for_signature":
        contract_send_for_signature(contract=contract, by=step.by)
    elif step.kind == "signed":
        contract_record_signature(contract=contract, by=step.by, payload=step.payload)
    elif step.kind == "paid":
        contract_record_first_payment(contract=contract, by=step.by, today=today)
    elif step.kind in ("auto_renew_on", "auto_renew_off"):
        c = step.consent
        consent = contract_set_auto_renew(
            contract=contract,
            enabled=c.enabled,
            by=c.by,
            channel=c.channel,
            text=c.text,
            text_version=c.text_version,
            ip_address=c.ip_address,
            user_agent=c.user_agent,
        )
        return consent.pk
    elif step.kind == "renewal_opened":
        case_open(contract=contract, by=step.by)
    elif step.kind == "renewal_lost":
        case_lose(
            case=RenewalCase.objects.get(contract=contract),
            reason=step.payload["loss_reason"],
            by=step.by,
            note=step.reason,
        )
    elif step.kind == "expired":
        contract_expire(contract=contract, by=step.by, reason=step.reason)
    elif step.kind == "terminated":
        contract_terminate(contract=contract, by=step.by, reason=step.reason, payload=step.payload)
    elif step.kind == "voided":
        contract_void(contract=contract, by=step.by, reason=step.reason)
    else:
        raise ValueError(f"unknown demo step {step.kind}")
    return None


def _stamp(story: Story, consent_ids: dict[str, int]) -> None:
    """Move the rows the services just wrote back to when the story says they happened."""
    contract = story.contract
    for step in story.steps:
        if step.kind != "renewed":
            ContractEvent.objects.filter(contract=contract, kind=step.kind).update(at=step.at)
    for kind, pk in consent_ids.items():
        consent_step = story.step(kind)
        assert consent_step is not None  # consent_ids holds the kinds of the story's own steps
        AutoRenewConsent.objects.filter(pk=pk).update(at=consent_step.at)
    updates: dict[str, Any] = {"created_at": story.steps[0].at}
    signed = story.step("signed")
    if signed is not None:
        updates["signed_at"] = signed.at
    for kind in ("expired", "terminated"):
        ended = story.step(kind)
        if ended is not None:
            updates["ended_at"] = ended.at
    Contract.objects.filter(pk=contract.pk).update(**updates)
    opened, lost = story.step("renewal_opened"), story.step("renewal_lost")
    if opened is not None and lost is not None:
        RenewalCase.objects.filter(contract=contract).update(
            opened_at=opened.at, closed_at=lost.at, created_at=opened.at, updated_at=lost.at
        )


# --- in bulk ------------------------------------------------------------------------------------


def _transitions(story: Story, today: dt.date) -> list[tuple[str, str, str]]:
    """(kind, from, to) for each step, as the services record them."""
    status = ""
    out = []
    for step in story.steps:
        if step.kind == "created":
            new = S.DRAFT
        elif step.kind == "sent_for_signature":
            new = S.AWAITING_SIGNATURE
        elif step.kind == "signed":
            new = S.AWAITING_PAYMENT
        elif step.kind == "paid":
            new = S.ACTIVE if story.term.start <= today else S.SCHEDULED
        elif step.kind in ("auto_renew_on", "auto_renew_off", "renewal_opened", "renewal_lost"):
            out.append((step.kind, "", ""))  # not a contract status change
            continue
        else:
            new = {
                "expired": S.EXPIRED,
                "terminated": S.TERMINATED,
                "voided": S.VOID,
                "renewed": S.RENEWED,
            }[step.kind]
        out.append((step.kind, "" if step.kind == "created" else status, new))
        status = new
    return out


def _allocate_numbers(stories: list[Story]) -> list[str]:
    """Contract numbers in story order, as contract_number_next would hand them out: one
    locked increment of each year's counter for the whole batch."""
    prefix = settings.RENEWDESK["CONTRACT_NUMBER_PREFIX"]
    per_year: dict[int, int] = defaultdict(int)
    for story in stories:
        per_year[story.term.start.year] += 1
    first: dict[int, int] = {}
    for year, count in sorted(per_year.items()):
        seq, _created = Sequence.objects.select_for_update().get_or_create(name=f"contract-{year}")
        Sequence.objects.filter(pk=seq.pk).update(last_value=F("last_value") + count)
        first[year] = seq.last_value + 1
    numbers = []
    for story in stories:
        year = story.term.start.year
        numbers.append(f"{prefix}-{year}-{first[year]:06d}")
        first[year] += 1
    return numbers


def write_in_bulk(stories: list[Story], *, today: dt.date, batch_size: int = 1000) -> None:
    """Write the rows for ``stories`` (callers hold a transaction) with bulk INSERTs."""
    if not stories:
        return
    numbers = _allocate_numbers(stories)
    lines_by_story: list[list[ContractLine]] = []
    transitions = [_transitions(story, today) for story in stories]
    for story, number, moves in zip(stories, numbers, transitions, strict=True):
        lines = [
            ContractLine(
                plan=spec.plan,
                description=spec.description,
                quantity=spec.quantity,
                unit_price=money(spec.unit_price),
                position=i,
            )
            for i, spec in enumerate(story.lines)
        ]
        lines_by_story.append(lines)
        total = money(sum((line.amount for line in lines), Decimal("0")))
        plan = story.plan
        status = _last_status(moves)
        consents = [s.consent for s in story.steps if s.consent is not None]
        signed = story.step("signed")
        ended = next(
            (s for s in story.steps if s.kind in ("expired", "terminated", "renewed")), None
        )
        story.contract = Contract(
            number=number,
            customer=story.customer,
            plan=plan,
            owner=story.customer.account_manager,
            status=status,
            start_date=story.term.start,
            end_date=story.term.end,
            billing_period=plan.billing_period,
            currency=plan.currency,
            total_amount=total,
            annual_value=_annualise(total, story.term.start, story.term.end),
            terms_version=story.terms_version,
            auto_renew=consents[-1].enabled if consents else False,
            notice_period_days=plan.default_notice_days,
            etf_kind=plan.etf_kind,
            etf_value=plan.etf_value,
            refund_policy=plan.refund_policy,
            signed_at=signed.at if signed else None,
            ended_at=ended.at if ended else None,
        )
    # A renewal points at the contract it renews, so write each generation after the last.
    depth = {id(story): _depth(story) for story in stories}
    for level in sorted(set(depth.values())):
        generation = [s for s in stories if depth[id(s)] == level]
        for story in generation:
            if story.predecessor is not None:
                story.contract.predecessor = story.predecessor.contract
        Contract.objects.bulk_create([s.contract for s in generation], batch_size=batch_size)
    # created_at is auto_now_add (bulk_create sets it to now): put the story's date back.
    for story in stories:
        story.contract.created_at = story.steps[0].at
    Contract.objects.bulk_update(
        [s.contract for s in stories], ["created_at"], batch_size=batch_size
    )
    all_lines = []
    for story, lines in zip(stories, lines_by_story, strict=True):
        for line in lines:
            line.contract = story.contract
            all_lines.append(line)
    ContractLine.objects.bulk_create(all_lines, batch_size=batch_size)

    consent_rows: list[tuple[Story, Any, AutoRenewConsent]] = []
    for story in stories:
        for step in story.steps:
            if step.consent is not None:
                c = step.consent
                consent_rows.append(
                    (
                        story,
                        step,
                        AutoRenewConsent(
                            contract=story.contract,
                            customer=story.customer,
                            enabled=c.enabled,
                            text=c.text,
                            text_version=c.text_version,
                            at=step.at,
                            channel=c.channel,
                            actor=c.by,
                            ip_address=c.ip_address,
                            user_agent=c.user_agent[:500],
                        ),
                    )
                )
    AutoRenewConsent.objects.bulk_create([row[2] for row in consent_rows], batch_size=batch_size)
    consent_for_step = {id(step): consent for _story, step, consent in consent_rows}

    cases = _lost_cases(stories)
    successor_of = {id(s.predecessor): s for s in stories if s.predecessor is not None}
    events = []
    for story, moves in zip(stories, transitions, strict=True):
        auto_renew = False
        for step, (kind, from_status, to_status) in zip(story.steps, moves, strict=True):
            payload: dict[str, Any] = dict(step.payload)
            if kind == "created":
                payload = {"total_amount": str(story.contract.total_amount)}
            elif step.consent is not None:
                payload = {
                    "previous": auto_renew,
                    "channel": step.consent.channel,
                    "consent_id": consent_for_step[id(step)].pk,
                }
                auto_renew = step.consent.enabled
            elif kind == "renewed":
                payload = {"successor": successor_of[id(story)].contract.number}
            elif kind == "renewal_opened":
                payload = {"case": cases[id(story)].pk}
            elif kind == "renewal_lost":
                # As renewals.case_states writes a stage change.
                payload = {
                    "case": cases[id(story)].pk,
                    "from_stage": Stage.INTENT_PENDING,
                    "to_stage": Stage.LOST,
                    **step.payload,
                }
            events.append(
                ContractEvent(
                    contract=story.contract,
                    at=step.at,
                    # History: nothing reacts to it now (no webhooks, surveys or messages).
                    reacted_at=step.at,
                    actor=step.by,
                    kind=kind,
                    from_status=from_status,
                    to_status=to_status,
                    reason=step.reason[:500],
                    payload=payload,
                )
            )
    ContractEvent.objects.bulk_create(events, batch_size=batch_size)


def _lost_cases(stories: list[Story], batch_size: int = 1000) -> dict[int, RenewalCase]:
    """The renewal cases closed as lost (story.Storyteller._renewal_lost), by story, as
    case_open and case_lose leave them."""
    cases: dict[int, RenewalCase] = {}
    for story in stories:
        opened, lost = story.step("renewal_opened"), story.step("renewal_lost")
        if opened is None or lost is None:
            continue
        cases[id(story)] = RenewalCase(
            contract=story.contract,
            owner_id=story.contract.owner_id or story.customer.account_manager_id,
            stage=Stage.LOST,
            opened_at=opened.at,
            closed_at=lost.at,
            loss_reason=lost.payload["loss_reason"],
            loss_note=lost.reason[:500],
        )
    RenewalCase.objects.bulk_create(cases.values(), batch_size=batch_size)
    for story in stories:
        opened, lost = story.step("renewal_opened"), story.step("renewal_lost")
        case = cases.get(id(story))
        if case is not None and opened is not None and lost is not None:
            case.created_at, case.updated_at = opened.at, lost.at
    RenewalCase.objects.bulk_update(
        cases.values(), ["created_at", "updated_at"], batch_size=batch_size
    )
    return cases


def _last_status(moves: list[tuple[str, str, str]]) -> str:
    return next(to for _kind, _from, to in reversed(moves) if to)


def _depth(story: Story) -> int:
    n = 0
    while story.predecessor is not None:
        story, n = story.predecessor, n + 1
    return n
