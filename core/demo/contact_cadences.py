"""How often the demo's account managers call, visit and review their customers, per tier
(admin → Contact cadences): what the daily contact-plan sweep (relations.contact_plans)
turns into the due-contacts list and the managers' contact tasks.

Only when no tier has a cadence yet: a database whose admins set their own (or switched
one off) keeps them, and a second seed_demo run adds nothing. The sweep runs every morning
(06:00); scripts/run_local.sh runs it once at start, as it does for the renewal cases.
"""

from __future__ import annotations

from relations.models import CadenceUnit, ContactCadence, ContactKind

# tier, kind, every, unit, planned this many days ahead, minutes it takes
CADENCES = [
    ("A", ContactKind.CALL, 1, CadenceUnit.MONTHS, 7, 20),
    ("A", ContactKind.VISIT, 3, CadenceUnit.MONTHS, 14, 120),
    ("A", ContactKind.REVIEW, 12, CadenceUnit.MONTHS, 30, 90),
    ("B", ContactKind.CALL, 2, CadenceUnit.MONTHS, 7, 20),
    ("B", ContactKind.VISIT, 6, CadenceUnit.MONTHS, 14, 120),
    ("C", ContactKind.CALL, 6, CadenceUnit.MONTHS, 7, 15),
]


def contact_cadences_seed() -> int:
    """The tier cadences above, unless some tier has one already. Returns how many."""
    if ContactCadence.objects.filter(customer__isnull=True).exists():
        return 0
    ContactCadence.objects.bulk_create(
        [
            ContactCadence(
                tier=tier,
                kind=kind,
                every=every,
                unit=unit,
                lead_days=lead_days,
                estimate_minutes=minutes,
            )
            for tier, kind, every, unit, lead_days, minutes in CADENCES
        ]
    )
    return len(CADENCES)
