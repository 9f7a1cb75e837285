"""The compliance evidence (lifecycle/compliance_evidence.py) as files: one CSV (one row
per fact, the section in the first column, written by core.csv_export so that no cell runs
as a formula) and one PDF (WeasyPrint, with the CJK font embedded)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.pdf import pdf_render

from .compliance_evidence import Evidence

PDF_TEMPLATE = "lifecycle/evidence/evidence_pdf.html"


def zone_label(moment: dt.datetime) -> str:
    """The business time zone as nobody can misread it: "UTC+08:00 (Asia/Shanghai)".
    Its abbreviation ("CST") is China Standard Time to some readers and US Central Time
    to others; evidence may be read by a court in either."""
    local = timezone.localtime(moment)
    offset = local.strftime("%z")  # +0800
    return f"UTC{offset[:3]}:{offset[3:]} ({timezone.get_current_timezone_name()})"


def evidence_pdf_render(evidence: Evidence, *, language: str | None = None) -> bytes:
    return pdf_render(
        template_name=PDF_TEMPLATE,
        context={
            "evidence": evidence,
            "generated_local": timezone.localtime(evidence.generated_at),
            "generated_zone": zone_label(evidence.generated_at),
            "zone_name": timezone.get_current_timezone_name(),
        },
        language=language,
    )


def evidence_filename(evidence: Evidence, extension: str) -> str:
    """evidence-C00012-20280229.pdf, or evidence-HT-2028-000001-20280229.csv: ASCII only
    (a Content-Disposition filename), the day in the business time zone."""
    name = evidence.contract.number if evidence.contract is not None else evidence.customer.code
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in name)
    day = timezone.localtime(evidence.generated_at).strftime("%Y%m%d")
    return f"evidence-{safe}-{day}.{extension}"


# --- CSV -------------------------------------------------------------------------------
# One file, one row per fact, the section in the first column: a spreadsheet filters it.


def evidence_csv_header() -> list[str]:
    return [
        _("Section"),
        _("Contract"),
        _("At"),
        _("What"),
        _("Channel"),
        _("Status / proof"),
        _("Actor / recipient"),
        _("IP address"),
        _("User agent"),
        _("Message provider"),
        _("Provider message id"),
        _("SHA-256"),
        _("Text"),
    ]


def _row(
    section: str,
    contract: str,
    at: Any,
    what: str = "",
    *,
    channel: str = "",
    status: str = "",
    actor: str = "",
    ip: str = "",
    agent: str = "",
    provider: str = "",
    provider_id: str = "",
    sha256: str = "",
    text: str = "",
) -> list[Any]:
    return [
        section,
        contract,
        at,
        what,
        channel,
        status,
        actor,
        ip,
        agent,
        provider,
        provider_id,
        sha256,
        text,
    ]


def evidence_csv_rows(evidence: Evidence) -> Iterator[list[Any]]:
    for c in evidence.consents:
        on_off = _("on") if c.enabled else _("off")
        yield _row(
            _("Consent"),
            c.contract,
            c.at,
            f"{c.kind}: {on_off} ({c.text_version})",
            channel=c.channel,
            actor=c.actor,
            ip=c.ip_address,
            agent=c.user_agent,
            text=c.text,
        )
    for n in evidence.notices:
        ids = {"provider": n.provider, "provider_id": n.provider_message_id}
        yield _row(
            _("Notice"),
            n.contract,
            n.created_at,
            n.kind,
            channel=n.channel,
            status=f"{n.status}: {n.proof}",
            actor=n.to,
            text="\n".join(part for part in (n.subject, n.body) if part),
            **ids,
        )
        steps = [(step.at, step.label, step.actor) for step in n.steps]
        for label, moment in (
            (_("Sent"), n.sent_at),
            (_("Delivered"), n.delivered_at),
            (_("Read"), n.read_at),
        ):
            if moment is not None:
                steps.append((moment, label, ""))
        for at, label, actor in steps:
            yield _row(
                _("Notice status"),
                n.contract,
                at,
                n.kind,
                channel=n.channel,
                status=label,
                actor=actor,
                **ids,
            )
    for s in evidence.signatures:
        matches = (
            _("hash matches the document")
            if s.hash_matches
            else _("hash differs from the document")
        )
        yield _row(
            _("Signature"),
            s.contract,
            s.signed_at,
            f"{s.method}: {s.quote}",
            status=matches,
            actor=s.signer,
            ip=s.ip_address,
            agent=s.user_agent,
            sha256=s.sha256,
            text=s.document,
        )
    for d in evidence.documents:
        yield _row(_("Document"), d.contract, d.created_at, d.kind, sha256=d.sha256, text=d.title)
    for r in evidence.cancellations:
        yield _row(
            _("Cancellation"),
            r.contract,
            r.submitted_at,
            f"{r.kind}: {r.reason}",
            channel=r.channel,
            status=r.status,
            actor=r.requested_by,
            text=r.reason_text,
        )
        for step in r.steps:
            yield _row(
                _("Cancellation step"),
                r.contract,
                step.at,
                step.label,
                actor=step.actor,
                text=step.note,
            )
    for rules in evidence.rules:
        yield _row(
            _("Rules"),
            rules.contract,
            rules.on,
            ", ".join(rules.labels) or _("no rule set"),
            status=_("captured when signed") if rules.captured else _("read as of that day"),
            text="\n".join(rules.parameters + rules.sources),
        )
