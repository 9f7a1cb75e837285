from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from customers.models import Contact
from insights.models import FeedbackCategory, FeedbackSeverity


class PortalFormMixin:
    """Bootstrap classes, and errors tied to their field for screen readers.

    Each field gets ``aria-describedby`` pointing at its help text and error message
    (rendered by portal/_field.html with those ids) and ``aria-invalid`` when it has an error.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if field.help_text:
                widget.attrs["aria-describedby"] = f"id_{name}_help"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            widget.attrs["aria-invalid"] = "true"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
            described = [f"id_{name}_error"]
            if self.fields[name].help_text:
                described.append(f"id_{name}_help")
            widget.attrs["aria-describedby"] = " ".join(described)


class MagicLinkRequestForm(PortalFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class PasswordLoginForm(PortalFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "inputmode": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PreferencesForm(PortalFormMixin, forms.Form):
    notify_email = forms.BooleanField(label=_("E-mail"), required=False)
    notify_sms = forms.BooleanField(label=_("SMS (text message)"), required=False)
    notify_in_app = forms.BooleanField(label=_("Messages in this portal"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("Used for this portal and for the messages we send you."),
    )


class ContactForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "role"]
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }


class FeedbackForm(PortalFormMixin, forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=FeedbackCategory.choices)
    severity = forms.ChoiceField(
        label=_("How serious is it?"),
        choices=FeedbackSeverity.choices,
        initial=FeedbackSeverity.NORMAL,
    )
    contract = forms.ModelChoiceField(
        label=_("Contract concerned"),
        queryset=Contract.objects.none(),
        required=False,
        empty_label=_("None / not about one contract"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Describe it"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, contracts=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the customer's own contracts can be chosen (ids of others fail validation).
        if contracts is not None:
            self.fields["contract"].queryset = contracts


class FeedbackReplyForm(PortalFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Your reply"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
