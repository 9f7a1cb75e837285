"""Labels for the contract events retention writes, for the staff contract timeline and
the customer's contract history. The pages that show a timeline import them (they sit
above retention); nothing is registered into other apps."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

# Labels for the staff contract timeline and the customer's contract history.
EVENT_LABELS: dict[str, Any] = {
    "cancellation_submitted": _("Cancellation requested"),
    "cancellation_in_review": _("Cancellation in review"),
    "cancellation_offer_made": _("Retention offer made"),
    "cancellation_offer_declined": _("Retention offer declined"),
    "cancellation_offer_accepted": _("Retention offer accepted, cancellation withdrawn"),
    "cancellation_confirmed": _("Cancellation confirmed"),
    "cancellation_withdrawn": _("Cancellation withdrawn"),
    "cancellation_rejected": _("Cancellation request rejected"),
    "cancellation_completed": _("Cancellation completed"),
    "cancellation_contact_logged": _("Contact about the cancellation logged"),
    "extended": _("Extended (free months)"),
    "paused": _("Paused"),
    "line_added": _("Service added"),
    "amendment_recorded": _("Downgrade recorded as an amendment"),
    "offer_granted": _("Offer granted for the next term"),
    "offer_used": _("Offer applied to a quote"),
    "winback_offered": _("New contract offered (win-back)"),
    "winback_from": _("Win-back of an earlier contract"),
}

# Staff bookkeeping that the customer's history does not show.
INTERNAL_KINDS = {"cancellation_contact_logged", "winback_offered", "winback_from"}
