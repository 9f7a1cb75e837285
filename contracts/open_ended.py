"""Open-ended contracts: a term whose end date is not an end.

Where the rules renew only into an open-ended contract (Germany: after the initial term,
an open-ended contract cancellable with a month's notice; docs/compliance.md),
``lifecycle.auto_renewal`` writes it as a chain of monthly terms, each carrying a
``continues_open_ended`` event (``OPEN_ENDED_KIND``). While automatic renewal is on, such a
term's end date is only the end of the running month: the next month follows on its own.
So the end-of-term work keyed on the end date does not apply to it: no renewal reminders
("your contract ends in 30 days"), no renewal case, no expiry. Once automatic renewal is off
(the customer gave notice), the end date is the real end and it is treated like any term.

The reads for the apps that select by end date: ``open_ended_continuing()`` for a contract
queryset, ``OPEN_ENDED_CONTINUING_SQL`` for raw SQL over a contract aliased ``c``.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from .models import ContractEvent

# The event that makes a term the open-ended continuation of an earlier one.
OPEN_ENDED_KIND = "continues_open_ended"


def open_ended_continuing() -> Q:
    """Contracts that continue open-ended month by month (automatic renewal on), as a
    filter: exclude them where an end date is taken as an end."""
    return Q(auto_renew=True) & Q(
        Exists(ContractEvent.objects.filter(contract_id=OuterRef("pk"), kind=OPEN_ENDED_KIND))
    )


# The same test in SQL, for a contract row aliased ``c`` (the event's index on contract
# serves the lookup). ``{contract_event}`` is the event table's name; the kind is constant.
OPEN_ENDED_CONTINUING_SQL = (
    "(c.auto_renew AND EXISTS (SELECT 1 FROM {contract_event} oe"  # noqa: S608 (constants)
    " WHERE oe.contract_id = c.id AND oe.kind = '" + OPEN_ENDED_KIND + "'))"
)


def contract_event_table() -> str:
    return ContractEvent._meta.db_table
