"""Combining rule sets and computing their date windows: pure, no database, no clock.

``combine(rulesets)`` makes the ``Rules`` a customer is under from every rule set that
applies (region, country, EU): for each parameter the strictest value, with the rule set
that gave it (``Rules.reasons``, ``Rules.explain()``). ``notice_window(...)`` gives the
days on which the automatic-renewal notice may be sent for one term; ``price_change_window``
the same for a price change. The database side (which rule sets apply) is
compliance/selectors.py. docs/compliance.md explains every rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from .calendar import months_shift, term_months
from .models import ALL_PROOFS, RuleSet, WindowAnchor, WindowUnit


def ruleset_label(ruleset: RuleSet) -> str:
    """'FR v1': the jurisdiction's code and the version, how explanations name a rule set."""
    try:
        code = ruleset.jurisdiction.code
    except ObjectDoesNotExist:
        code = "?"
    return f"{code} v{ruleset.version}"


@dataclass(frozen=True)
class NoticeWindow:
    """The days (inclusive) on which a notice may be sent. ``earliest`` None: no earliest
    day; ``latest`` is always set. ``sources`` names the rule sets that shaped it."""

    earliest: dt.date | None
    latest: dt.date
    sources: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """No day satisfies every rule (two rule sets disagree): nothing can be on time."""
        return self.earliest is not None and self.earliest > self.latest

    def contains(self, day: dt.date) -> bool:
        if self.is_empty:
            return False
        return (self.earliest is None or self.earliest <= day) and day <= self.latest


@dataclass(frozen=True)
class Rules:
    """The strictest combination of the rule sets that apply to one customer on one day.

    Booleans: required if any rule set requires it. Periods that protect the customer
    (withdrawal, undo, consent retention): the longest. The open-ended notice period: the
    shortest. The price-change threshold: the lowest. Delivery proofs: only those every
    rule set accepts. Notice windows are not merged into numbers: each rule set keeps its
    own unit and anchor, and ``notice_window`` intersects their dates.
    """

    rulesets: tuple[RuleSet, ...] = ()
    requires_online_cancellation: bool = False
    requires_cancel_button: bool = False
    renew_into_open_ended: bool = False
    open_ended_notice_months: int | None = None
    free_termination_if_not_notified: bool = False
    withdrawal_days: int | None = None
    requires_withdrawal_function: bool = False
    undo_window_days: int | None = None
    consent_retention_years: int | None = None
    prominent_disclosure_required: bool = False
    price_change_threshold_percent: Decimal | None = None
    delivered_notice_channels: frozenset[str] = field(default_factory=lambda: frozenset(ALL_PROOFS))
    # parameter name → the rule set(s) that gave its value, e.g. {"withdrawal_days": "EU v2"}
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [ruleset_label(r) for r in self.rulesets]

    def explain(self) -> list[str]:
        """One line per parameter that applies, saying which rule set it comes from."""
        lines = []
        for name, source in sorted(self.reasons.items()):
            lines.append(
                _("%(parameter)s = %(value)s (from %(source)s)")
                % {"parameter": name, "value": _value_text(getattr(self, name)), "source": source}
            )
        return lines


def _value_text(value: object) -> str:
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    return str(value)


BOOLEAN_PARAMETERS = (
    "requires_online_cancellation",
    "requires_cancel_button",
    "renew_into_open_ended",
    "free_termination_if_not_notified",
    "requires_withdrawal_function",
    "prominent_disclosure_required",
)
LONGEST_PARAMETERS = ("withdrawal_days", "undo_window_days", "consent_retention_years")
SHORTEST_PARAMETERS = ("open_ended_notice_months", "price_change_threshold_percent")


def combine(rulesets: Iterable[RuleSet]) -> Rules:
    """The strictest combination of ``rulesets`` (see ``Rules``). No rule set: no rule."""
    chosen = tuple(rulesets)
    values: dict[str, object] = {}
    reasons: dict[str, str] = {}
    for name in BOOLEAN_PARAMETERS:
        givers = [ruleset_label(r) for r in chosen if getattr(r, name)]
        if givers:
            values[name] = True
            reasons[name] = ", ".join(givers)
    for name in LONGEST_PARAMETERS + SHORTEST_PARAMETERS:
        candidates = [(getattr(r, name), r) for r in chosen if getattr(r, name) is not None]
        if not candidates:
            continue
        pick = max if name in LONGEST_PARAMETERS else min
        best = pick(value for value, _r in candidates)
        values[name] = best
        reasons[name] = ", ".join(ruleset_label(r) for value, r in candidates if value == best)
    # Only a proof every rule set accepts counts (an empty set: no notice counts).
    proofs = frozenset(ALL_PROOFS)
    narrowing = []
    for r in chosen:
        if not r.delivery_proofs >= proofs:
            narrowing.append(ruleset_label(r))
        proofs = proofs & r.delivery_proofs
    if narrowing:
        reasons["delivered_notice_channels"] = ", ".join(narrowing)
    return Rules(rulesets=chosen, delivered_notice_channels=proofs, reasons=reasons, **values)  # type: ignore[arg-type]


def _as_rulesets(rules: Rules | RuleSet | Sequence[RuleSet]) -> Sequence[RuleSet]:
    if isinstance(rules, Rules):
        return rules.rulesets
    if isinstance(rules, RuleSet):
        return (rules,)
    return rules


def _before(anchor: dt.date, amount: int, unit: str) -> dt.date:
    if unit == WindowUnit.MONTHS:
        return months_shift(anchor, -amount)
    return anchor - dt.timedelta(days=amount)


def notice_window(
    rules: Rules | RuleSet | Sequence[RuleSet],
    term_start: dt.date,
    term_end: dt.date,
    refusal_deadline: dt.date | None = None,
) -> NoticeWindow | None:
    """The days on which the automatic-renewal notice for the term ``term_start`` ..
    ``term_end`` (the contract's first and last days) may be sent, or None when no rule
    asks for one.

    Per rule set with a window that applies to this term's length: the anchor is the
    term's last day, or ``refusal_deadline`` (the last day the customer may refuse the
    renewal; the term's last day when not given); the latest day is ``notice_min`` units
    before the anchor (the anchor itself when unset), the earliest ``notice_max`` units
    before it (none when unset). Months clamp at month ends (31 March − 1 month = 28/29
    February). Several rule sets: the days all of them allow (``is_empty`` when none).
    Counting from the last day of the term rather than the renewal day (the day after)
    is one day stricter, on purpose.
    """
    months = term_months(term_start, term_end)
    earliest: dt.date | None = None
    latest: dt.date | None = None
    sources: list[str] = []
    for ruleset in _as_rulesets(rules):
        if not ruleset.has_notice_window:
            continue
        minimum = ruleset.applies_to_terms_of_at_least_months
        if minimum is not None and months < minimum:
            continue
        anchor = term_end
        if ruleset.window_anchor == WindowAnchor.REFUSAL_DEADLINE and refusal_deadline:
            anchor = refusal_deadline
        last = _before(anchor, ruleset.notice_min or 0, ruleset.notice_unit)
        first = (
            _before(anchor, ruleset.notice_max, ruleset.notice_unit)
            if ruleset.notice_max is not None
            else None
        )
        latest = last if latest is None else min(latest, last)
        if first is not None:
            earliest = first if earliest is None else max(earliest, first)
        sources.append(ruleset_label(ruleset))
    if latest is None:
        return None
    return NoticeWindow(earliest=earliest, latest=latest, sources=tuple(sources))


def price_change_window(
    rules: Rules | RuleSet | Sequence[RuleSet], change_date: dt.date
) -> NoticeWindow | None:
    """The days on which a notice of a price change taking effect on ``change_date`` may be
    sent (California: 7 to 30 days before), or None when no rule asks for one."""
    earliest: dt.date | None = None
    latest: dt.date | None = None
    sources: list[str] = []
    for ruleset in _as_rulesets(rules):
        lo, hi = ruleset.price_change_notice_min_days, ruleset.price_change_notice_max_days
        if lo is None and hi is None:
            continue
        last = change_date - dt.timedelta(days=lo or 0)
        latest = last if latest is None else min(latest, last)
        if hi is not None:
            first = change_date - dt.timedelta(days=hi)
            earliest = first if earliest is None else max(earliest, first)
        sources.append(ruleset_label(ruleset))
    if latest is None:
        return None
    return NoticeWindow(earliest=earliest, latest=latest, sources=tuple(sources))


def price_change_needs_notice(rules: Rules, *, old: Decimal, new: Decimal) -> bool:
    """Whether a price going from ``old`` to ``new`` needs its own notice (or consent):
    an increase of more than the threshold percent (0: any increase)."""
    threshold = rules.price_change_threshold_percent
    if threshold is None or new <= old:
        return False
    if old <= 0:
        return True
    return (new - old) * 100 / old > threshold


def refusal_deadline_for(term_end: dt.date, notice_period_days: int) -> dt.date:
    """The last day a customer can refuse the renewal: the term's last day minus the
    contract's notice period (Contract.notice_period_days)."""
    return term_end - dt.timedelta(days=max(notice_period_days, 0))
