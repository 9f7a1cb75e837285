"""Generated texts stored in one language, shown in the reader's (core.stored_texts)."""

from __future__ import annotations

from django import template

from core.stored_texts import credit_note_reason_display

register = template.Library()


@register.filter
def credit_note_reason(reason: str) -> str:
    """``{{ note.reason|credit_note_reason }}``: a reason the code wrote ("Refund: withdrawal
    from contract HT-…") in the active language; one a person typed, as typed. The result
    is plain text: autoescaping applies as to the stored reason."""
    return credit_note_reason_display(reason or "")
