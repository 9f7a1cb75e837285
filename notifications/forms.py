"""Forms of the staff notification views."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Channel, MessageStatus


class OutboxFilterForm(forms.Form):
    """The GET filters of the outbox and the failed list.

    Every field is a CharField, so Django refuses a NUL character (``?q=%00``) as a field
    error instead of handing it to PostgreSQL, which cannot compare text holding one (the
    view answered with a 500). An unknown status or channel is ignored, as before: links
    and bookmarks from older versions keep working.
    """

    q = forms.CharField(label=_("Contract number or address"), required=False, max_length=100)
    status = forms.CharField(label=_("Status"), required=False, max_length=20)
    channel = forms.CharField(label=_("Channel"), required=False, max_length=20)
    kind = forms.CharField(label=_("Kind"), required=False, max_length=50)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Django's own message is vague (and its Chinese says "empty string"); the page
        # shows it after the field's label.
        for field in self.fields.values():
            field.error_messages["null_characters_not_allowed"] = gettext(
                "must not contain the NUL character (\\0)."
            )

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        return status if status in MessageStatus.values else ""

    def clean_channel(self) -> str:
        channel = self.cleaned_data["channel"]
        return channel if channel in Channel.values else ""

    def filters(self) -> dict[str, str]:
        """The filters as keyword arguments of ``outbox_for_staff``; a field in error is
        left empty (the page shows its error, and the user's value is not echoed back)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name, "") for name in self.fields}
