"""Demo data for ``manage.py seed_demo``: realistic and deterministic for a given seed.

cast.py (staff, customers, catalogue) and story.py (what happened to each contract and
when) decide everything from one seeded random generator; writers.py writes it, either
through contracts.services (small demos) or with bulk INSERTs of the same rows (large
ones); seed.py runs it.
"""

from .cast import Demo
from .data import ADMIN_PASSWORD, DEMO_PASSWORD
from .seed import BULK_FROM, demo_seed

__all__ = ["ADMIN_PASSWORD", "BULK_FROM", "DEMO_PASSWORD", "Demo", "demo_seed"]
