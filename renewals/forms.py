from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from contracts.models import Plan, TermsVersion

from .models import Intent, LossReason

MAX_SCAN_BYTES = 10 * 1024 * 1024
SCAN_TYPES = {".pdf", ".jpg", ".jpeg", ".png"}


class IntentForm(forms.Form):
    intent = forms.ChoiceField(
        label=_("Answer"),
        choices=Intent.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose one of the answers."),
            "invalid_choice": _("Choose one of the answers."),
        },
    )
    note = forms.CharField(
        label=_("The customer's words / wished changes"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PortalIntentForm(IntentForm):
    note = forms.CharField(
        label=_("What would you like to change, or what is your question?"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class ContactForm(forms.Form):
    """A contact with the customer (what was said) and/or a new next action. An empty
    note with the next action unchanged records nothing: it is refused, since it would
    move the case's "last contact" for a contact that never happened."""

    note = forms.CharField(label=_("What was said"), max_length=500, required=False)
    next_action = forms.CharField(label=_("Next action"), max_length=200, required=False)
    next_action_date = forms.DateField(
        label=pgettext_lazy("before a date", "By"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_next_action_date(self):
        day = self.cleaned_data.get("next_action_date")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("The next action cannot be due in the past."))
        return day

    def clean(self):
        data = super().clean()
        note, action = data.get("note", ""), data.get("next_action", "")
        if (
            self.case is not None
            and self.case.next_action
            and action == gettext(self.case.next_action)
        ):
            # The form showed the stored action in the reader's language: keep the stored
            # text (the source a service wrote), not this translation of it.
            action = data["next_action"] = self.case.next_action
        changed = self.case is None or (
            action != (self.case.next_action or "")
            or data.get("next_action_date") != self.case.next_action_date
        )
        if not note and not changed and "next_action_date" not in self.errors:
            self.add_error(
                "note", _("Write what was said, or change the next action: nothing to record.")
            )
        return data


class LoseForm(forms.Form):
    # No reason chosen in advance: the one recorded is the one the manager picked.
    reason = forms.ChoiceField(
        label=_("Loss reason"),
        choices=[("", _("Choose a reason")), *LossReason.choices],
        error_messages={"required": _("Choose a loss reason.")},
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


TERM_RANGE = _("The term must be between 1 and 60 months.")
INSTALLMENTS_RANGE = _("Choose between 1 and 12 installments.")
# No "%" sign: Django formats min/max messages with %-interpolation.
DISCOUNT_RANGE = _("Enter a discount from 0 to 100 (percent).")


class QuoteSettingsForm(forms.Form):
    term_months = forms.IntegerField(
        label=_("Term (months)"),
        min_value=1,
        max_value=60,
        error_messages={
            "required": _("Enter the term in months."),
            "invalid": TERM_RANGE,
            "min_value": TERM_RANGE,
            "max_value": TERM_RANGE,
        },
    )
    terms_version = forms.ModelChoiceField(
        label=_("Terms version"), queryset=TermsVersion.objects.all(), required=False
    )
    discount_percent = forms.DecimalField(
        label=_("Renewal discount (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        error_messages={
            "required": _("Enter the discount (0 for none)."),
            "invalid": DISCOUNT_RANGE,
            "min_value": DISCOUNT_RANGE,
            "max_value": DISCOUNT_RANGE,
        },
    )
    installments = forms.IntegerField(
        label=_("Installments"),
        min_value=1,
        max_value=12,
        error_messages={
            "required": INSTALLMENTS_RANGE,
            "invalid": INSTALLMENTS_RANGE,
            "min_value": INSTALLMENTS_RANGE,
            "max_value": INSTALLMENTS_RANGE,
        },
    )
    note = forms.CharField(
        label=_("Note to the customer"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class QuoteLineForm(forms.Form):
    source_line_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    plan = forms.ModelChoiceField(
        label=_("Product"), queryset=Plan.objects.filter(is_active=True), required=False
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        error_messages={
            "required": _("Enter a quantity."),
            "invalid": _("Enter the quantity as a number, e.g. 1 or 2.5."),
            "min_value": _("Enter a quantity greater than zero."),
        },
    )
    unit_price = forms.DecimalField(
        label=_("Unit price (per term)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Empty: the product's price list for the term."),
        error_messages={
            "invalid": _("Enter the price as a number, e.g. 1200.00."),
            "min_value": _("A price cannot be negative."),
        },
    )

    def clean(self):
        data = super().clean()
        if data.get("DELETE"):
            return data
        # Each problem beside the field that fixes it, not as a message about the line.
        if self.has_error("plan") or data.get("plan"):
            return data
        if not data.get("description"):
            self.add_error("plan", _("Choose a product or describe the line."))
        elif data.get("unit_price") is None and not self.has_error("unit_price"):
            self.add_error("unit_price", _("A line without a product needs a price."))
        return data


class BaseQuoteLineFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_few_forms": _("A quote needs at least one line."),
    }


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm,
    formset=BaseQuoteLineFormSet,
    extra=1,
    can_delete=True,
    min_num=1,
    validate_min=True,
    max_num=50,
)


class OfflineSignatureForm(forms.Form):
    signer_name = forms.CharField(label=_("Signed by"), max_length=200)
    signed_on = forms.DateField(
        label=_("Signed on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    scan = forms.FileField(label=_("Signed scan (PDF, JPG or PNG, at most 10 MB)"))

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        name = scan.name.lower()
        if not any(name.endswith(ext) for ext in SCAN_TYPES):
            raise forms.ValidationError(_("Upload a PDF, JPG or PNG file."))
        if scan.size > MAX_SCAN_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return scan

    def clean_signed_on(self):
        day = self.cleaned_data["signed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The signing date cannot be in the future."))
        return day


class SignForm(forms.Form):
    accept = forms.BooleanField(label=_("I have read the contract and accept it."), required=True)
    full_name = forms.CharField(label=_("Type your full name to sign"), max_length=200)
    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
