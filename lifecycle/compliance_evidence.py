"""The compliance evidence of one customer or one contract (docs/compliance.md, "Evidence
and retention"): what a regulator, a court or the customer may ask us to show.

- the consents (auto-renewal switches and automatic payment) with the exact text shown,
  its version, the time, channel, actor, IP address and user agent;
- every notice sent to the customer with its channel, times and delivery proof: the
  e-mail accepted by the receiving server, the SMS provider's delivery receipt (or its
  report that it was not delivered), the portal message read, with the provider and its
  message id, and every status change of the message;
- the signatures with the SHA-256 of the exact document signed, and the stored documents
  with theirs;
- the cancellation requests with their timeline;
- the rule sets that applied to each contract (captured when it was signed, or read as of
  that day), with their legal sources.

A read across several apps, so it lives in lifecycle; the staff pages that download it as
PDF and CSV are lifecycle/staff_views.py. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.models import ContractRules
from compliance.selectors import contract_rules_day, contract_ruleset_snapshot
from contracts.models import AutoRenewConsent, Contract
from core.models import Document
from customers.models import Customer
from notifications.models import Channel, Message, MessageEvent, MessageStatus
from notifications.selectors import message_kind_label
from renewals.models import Signature
from retention.models import CancellationRequest, RequestEvent


@dataclass(frozen=True)
class Step:
    """One entry of a timeline (a message's status changes, a cancellation's events)."""

    at: dt.datetime
    label: str
    actor: str = ""
    note: str = ""


@dataclass(frozen=True)
class ConsentItem:
    contract: str
    at: dt.datetime
    kind: str
    enabled: bool
    channel: str
    actor: str
    ip_address: str
    user_agent: str
    text: str
    text_version: str


@dataclass(frozen=True)
class NoticeItem:
    contract: str
    created_at: dt.datetime
    kind: str
    channel: str
    to: str
    subject: str
    body: str
    status: str
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    read_at: dt.datetime | None
    provider: str
    provider_message_id: str
    proof: str
    late: bool
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class SignatureItem:
    contract: str
    quote: str
    method: str
    signer: str
    signed_at: dt.datetime
    ip_address: str
    user_agent: str
    sha256: str
    document: str
    document_sha256: str

    @property
    def hash_matches(self) -> bool:
        return self.sha256 == self.document_sha256


@dataclass(frozen=True)
class DocumentItem:
    contract: str
    created_at: dt.datetime
    kind: str
    title: str
    sha256: str
    size: int


@dataclass(frozen=True)
class CancellationItem:
    contract: str
    kind: str
    status: str
    reason: str
    reason_text: str
    channel: str
    requested_by: str
    submitted_at: dt.datetime
    effective_date: dt.date | None
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class RulesItem:
    contract: str
    captured: bool
    country: str
    region: str
    on: dt.date
    labels: tuple[str, ...]
    parameters: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass
class Evidence:
    customer: Customer
    contract: Contract | None
    generated_at: dt.datetime
    contracts: list[Contract] = field(default_factory=list)
    consents: list[ConsentItem] = field(default_factory=list)
    notices: list[NoticeItem] = field(default_factory=list)
    signatures: list[SignatureItem] = field(default_factory=list)
    documents: list[DocumentItem] = field(default_factory=list)
    cancellations: list[CancellationItem] = field(default_factory=list)
    rules: list[RulesItem] = field(default_factory=list)

    @property
    def scope_label(self) -> str:
        if self.contract is not None:
            return _("Contract %(number)s") % {"number": self.contract.number}
        return _("Customer %(code)s") % {"code": self.customer.code}


def _user_label(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def notice_proof(message: Message) -> str:
    """What shows that the notice reached the customer, in words, from the outbox row."""
    status = message.status
    if status in (MessageStatus.PENDING, MessageStatus.SENDING):
        return _("Not sent yet")
    if status == MessageStatus.CANCELLED:
        return _("Cancelled, never sent")
    if status == MessageStatus.FAILED:
        return _("Failed: %(error)s") % {"error": message.last_error or "—"}
    if message.channel == Channel.EMAIL:
        return _("Accepted by the receiving mail server")
    if message.channel == Channel.SMS:
        if status == MessageStatus.DELIVERED:
            return _("Delivery receipt from the SMS provider")
        if status == MessageStatus.UNDELIVERED:
            return _("The SMS provider reported it not delivered: %(error)s") % {
                "error": message.last_error or "—"
            }
        if message.provider in ("console", "file"):
            return _("Written by a test backend (%(provider)s): never sent to a phone") % {
                "provider": message.provider
            }
        return _("Handed to the SMS provider, no delivery receipt")
    if message.read_at is not None:
        return _("Read in the portal")
    return _("In the portal inbox, not read")


def _step_label(kind: str) -> str:
    if kind in MessageStatus.values:
        return str(MessageStatus(kind).label)
    return kind


def _contracts_in_scope(customer: Customer, contract: Contract | None) -> list[Contract]:
    if contract is not None:
        return [contract]
    return list(
        Contract.objects.filter(customer=customer)
        .select_related("customer", "predecessor")
        .order_by("start_date", "id")
    )


def _consents(customer: Customer, scope: Q) -> Iterator[ConsentItem]:
    qs = (
        AutoRenewConsent.objects.filter(customer=customer)
        .filter(scope)
        .select_related("contract", "actor")
        .order_by("at", "id")
    )
    for c in qs:
        yield ConsentItem(
            contract=c.contract.number,
            at=c.at,
            kind=str(c.get_kind_display()),
            enabled=c.enabled,
            channel=str(c.get_channel_display()),
            actor=_user_label(c.actor),
            ip_address=c.ip_address or "",
            user_agent=c.user_agent,
            text=c.text,
            text_version=c.text_version,
        )


def _notices(customer: Customer, scope: Q) -> Iterator[NoticeItem]:
    # Messages to the customer (staff alerts about the contract are not notices to them).
    qs = (
        Message.objects.filter(customer=customer)
        .filter(scope)
        .select_related("contract")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=MessageEvent.objects.select_related("actor").order_by("at", "id"),
            )
        )
        .order_by("created_at", "id")
    )
    for m in qs:
        yield NoticeItem(
            contract=m.contract.number if m.contract is not None else "",
            created_at=m.created_at,
            kind=message_kind_label(m.kind),
            channel=str(m.get_channel_display()),
            to=m.to_address,
            subject=m.subject,
            body=m.body_text,
            status=str(m.get_status_display()),
            sent_at=m.sent_at,
            delivered_at=m.delivered_at,
            read_at=m.read_at,
            provider=m.provider,
            provider_message_id=m.provider_message_id,
            proof=notice_proof(m),
            late=m.late,
            steps=tuple(
                Step(at=e.at, label=_step_label(e.kind), actor=_user_label(e.actor))
                for e in m.events.all()
            ),
        )


def _signatures(contracts: list[Contract]) -> Iterator[SignatureItem]:
    ids = [c.pk for c in contracts]
    qs = (
        Signature.objects.filter(
            Q(quote__case__successor_id__in=ids) | Q(quote__case__contract_id__in=ids)
        )
        .select_related("quote__case__successor", "quote__case__contract", "document")
        .order_by("signed_at", "id")
    )
    for s in qs:
        case = s.quote.case
        signed = case.successor if case.successor is not None else case.contract
        yield SignatureItem(
            contract=signed.number,
            quote=s.quote.number,
            method=str(s.get_method_display()),
            signer=s.signer_name,
            signed_at=s.signed_at,
            ip_address=s.ip_address or "",
            user_agent=s.user_agent,
            sha256=s.sha256,
            document=s.document.title,
            document_sha256=s.document.sha256,
        )


def _documents(customer: Customer, scope: Q) -> Iterator[DocumentItem]:
    qs = (
        Document.objects.filter(customer=customer)
        .filter(scope)
        .select_related("contract")
        .order_by("created_at", "id")
    )
    for d in qs:
        yield DocumentItem(
            contract=d.contract.number if d.contract is not None else "",
            created_at=d.created_at,
            kind=str(d.get_kind_display()),
            title=d.title,
            sha256=d.sha256,
            size=d.size,
        )


def _cancellations(customer: Customer, scope: Q) -> Iterator[CancellationItem]:
    qs = (
        CancellationRequest.objects.filter(customer=customer)
        .filter(scope)
        .select_related("contract", "requested_by")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=RequestEvent.objects.select_related("actor").order_by("at", "id"),
            )
        )
        .order_by("submitted_at", "id")
    )
    for r in qs:
        yield CancellationItem(
            contract=r.contract.number,
            kind=str(r.get_kind_display()),
            status=str(r.get_status_display()),
            reason=str(r.get_reason_display()),
            reason_text=r.reason_text,
            channel=str(r.get_channel_display()),
            requested_by=_user_label(r.requested_by),
            submitted_at=r.submitted_at,
            effective_date=r.effective_date,
            steps=tuple(
                Step(at=e.at, label=e.label, actor=_user_label(e.actor), note=e.note)
                for e in r.events.all()
            ),
        )


def _rules(contracts: list[Contract]) -> Iterator[RulesItem]:
    captured = {
        r.contract_id: r
        for r in ContractRules.objects.filter(contract__in=[c.pk for c in contracts])
    }
    for contract in contracts:
        rules = contract_ruleset_snapshot(contract)
        row = captured.get(contract.pk)
        if row is not None:
            country, region, on = row.country, row.region, row.resolved_on
        else:
            customer = contract.customer
            country, region, on = customer.country, customer.region, contract_rules_day(contract)
        yield RulesItem(
            contract=contract.number,
            captured=row is not None,
            country=country,
            region=region,
            on=on,
            labels=tuple(rules.labels),
            parameters=tuple(rules.explain()),
            sources=tuple(
                f"{r.jurisdiction.code} v{r.version}: {r.source_citation}" for r in rules.rulesets
            ),
        )


def evidence_build(*, customer: Customer, contract: Contract | None = None) -> Evidence:
    """Everything we can show about ``customer`` (or only about ``contract``, which must be
    one of theirs), oldest first in each section."""
    if contract is not None and contract.customer_id != customer.pk:
        raise ValueError("the contract is not the customer's")
    contracts = _contracts_in_scope(customer, contract)
    scope = Q(contract=contract) if contract is not None else Q()
    return Evidence(
        customer=customer,
        contract=contract,
        generated_at=timezone.now(),
        contracts=contracts,
        consents=list(_consents(customer, scope)),
        notices=list(_notices(customer, scope)),
        signatures=list(_signatures(contracts)),
        documents=list(_documents(customer, scope)),
        cancellations=list(_cancellations(customer, scope)),
        rules=list(_rules(contracts)),
    )
