from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import PaymentMethod


def _amount_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("The amount must be greater than zero.")},
    )


class PaymentForm(forms.Form):
    amount = _amount_field()
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        help_text=_("Bank or provider transaction id, or the receipt slip number for cash."),
    )
    received_on = forms.DateField(
        label=_("Received on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The payment cannot be received in the future."))
        return day


class CreditNoteForm(forms.Form):
    amount = _amount_field()
    reason = forms.CharField(label=_("Reason"), max_length=300)


class RefundForm(forms.Form):
    amount = _amount_field()
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=100)


class InvoiceFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("", _("All")),
        ("open", _("Open")),
        ("overdue", _("Overdue")),
        ("paid", _("Paid")),
        ("void", _("Void")),
    ]
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
