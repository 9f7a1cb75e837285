"""Re-rendering a form that failed validation on a long page."""

from __future__ import annotations

from typing import Any


def focus_first_error(form: Any) -> Any:
    """Give the first field with an error the autofocus attribute, so that the browser
    scrolls to it: the message stands beside its field, which may be far down the page.
    Returns the form."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["autofocus"] = True
            break
    return form
