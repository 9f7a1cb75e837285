"""Generated texts stored once, shown in the reader's language.

Some texts are written from a pattern when a row is made, in the language active then,
and stored: a document's title (billing/documents.py, renewals/services/quotes.py and
signing.py, retention/documents.py), a credit note's reason (retention, lifecycle). The
stored text stays as it was: it is the record. But a customer and staff members in other
languages read the same row, so it is shown rebuilt in the active language: the stored
text is matched against its pattern in every offered language, its facts (number,
revision, a name, a date) taken out and put in the pattern of the language being read. A
text that matches no pattern (typed by someone, an upload, an older wording) is shown as
stored.

The patterns are msgids of the apps that write the texts (strings only: this module
imports no model, so that ``core.models`` can import it).
"""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings
from django.utils.translation import gettext, gettext_noop, override

# Keep in step with the services that store the titles (tests/core/test_document_titles.py
# stores each kind through them and reads it back in the other language). By DocumentKind.
TITLE_PATTERNS: dict[str, tuple[str, ...]] = {
    "invoice": (gettext_noop("Invoice %(number)s"),),
    "receipt": (gettext_noop("Receipt %(number)s"),),
    "contract": (gettext_noop("Contract %(number)s (revision %(rev)s)"),),
    "quote": (gettext_noop("Renewal quote %(number)s (revision %(rev)s)"),),
    "signed": (
        gettext_noop("Contract %(number)s, signed online by %(name)s"),
        gettext_noop("Contract %(number)s, signed on paper by %(name)s"),
    ),
    "cancellation": (gettext_noop("Cancellation confirmation %(number)s"),),
}

# Credit note reasons the code writes (tests/core/test_stored_texts.py). Left out: the
# service-level compensation (relations.compensation_claims), whose indicator name is
# itself translated text, written in the customer's language on purpose.
CREDIT_NOTE_REASON_PATTERNS: tuple[str, ...] = (
    # retention/termination_settlement.py
    gettext_noop("Refund of prepaid unused service, contract %(number)s, from %(date)s"),
    gettext_noop("Service after the early termination of contract %(number)s"),
    # lifecycle/contract_withdrawal.py, lifecycle/renewal_undo.py
    gettext_noop("Refund: withdrawal from contract %(number)s"),
    gettext_noop("Refund: automatic renewal of contract %(number)s undone"),
)

# Reasons the code gives a contract's status changes and events (the staff timeline,
# lifecycle.auto_renewal_state.event_reason_text; tests/core/test_stored_texts.py).
CONTRACT_EVENT_REASON_PATTERNS: tuple[str, ...] = (
    # renewals/services/quotes.py, successors.py, outcomes.py, cases.py
    gettext_noop("Quote revised"),
    gettext_noop("Taken over by the renewal quote"),
    gettext_noop("Replaced by the automatic renewal"),
    gettext_noop("Renewal lost"),
    gettext_noop("The term ended without a renewal"),
    # lifecycle/contract_withdrawal.py, renewal_undo.py, auto_renewal.py
    gettext_noop("Withdrawal by the customer within the withdrawal period"),
    gettext_noop("Automatic renewal undone by the customer"),
    gettext_noop("Renewed automatically under the customer's consent"),
    gettext_noop("Auto-renewal"),
    gettext_noop(
        "Continues for an indefinite period after the initial term: the customer may end it "
        "at any time, with at most %(months)s month(s) notice."
    ),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _regex(template: str) -> re.Pattern[str]:
    """``"发票 %(number)s"`` → ``^发票\\ (?P<number>.*?)$``; a name used twice must match the
    same text twice."""
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        name = match.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


@cache
def _matchers(msgids: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(msgid, regex) for each pattern in each offered language and as written in the
    code; read once per process (the catalogues do not change while it runs)."""
    found: list[tuple[str, re.Pattern[str]]] = []
    for msgid in msgids:
        templates = {msgid}
        for code, _name in settings.LANGUAGES:
            with override(code):
                templates.add(gettext(msgid))
        found.extend((msgid, _regex(template)) for template in sorted(templates))
    return tuple(found)


def _rebuilt(text: str, patterns: tuple[str, ...]) -> str | None:
    for msgid, regex in _matchers(patterns):
        match = regex.match(text)
        if match is not None:
            return gettext(msgid) % match.groupdict()
    return None


def stored_text_display(*, text: str, patterns: tuple[str, ...]) -> str:
    """``text`` (stored in whichever language) in the active language when it follows one
    of ``patterns`` (msgids), else as stored."""
    rebuilt = _rebuilt(text, patterns)
    return text if rebuilt is None else rebuilt


def document_title_display(*, kind: str, title: str) -> str:
    """A document's stored title in the active language (patterns of its kind only)."""
    return stored_text_display(text=title, patterns=TITLE_PATTERNS.get(kind, ()))


def credit_note_reason_display(reason: str) -> str:
    """A credit note's stored reason in the active language."""
    return stored_text_display(text=reason, patterns=CREDIT_NOTE_REASON_PATTERNS)


def contract_event_reason_display(reason: str) -> str:
    """A contract event's stored reason in the active language. One that follows no known
    pattern is looked up as a source text (a reason stored in English, such as a renewal
    case's flag, translates); a reason someone typed comes back as typed."""
    if not reason:
        return ""
    rebuilt = _rebuilt(reason, CONTRACT_EVENT_REASON_PATTERNS)
    return gettext(reason) if rebuilt is None else rebuilt
