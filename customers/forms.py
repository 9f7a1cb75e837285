"""Forms of the staff customer pages. They validate; the services do the writing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.term_length import TermClass
from core.widgets import FastSelect
from relations.segment_models import Segment
from relations.segments import segment_members, segments_visible_to
from relations.selectors import NOT_CONTACTED_POPULATION, not_contacted_in

from .country_codes import country_choices, default_country, normalise_code, region_choices
from .models import Contact, Customer, Tier
from .selectors import CUSTOMER_DEFAULT_SORT, CUSTOMER_SORTS, CustomerFilters
from .tags import TAG_MAX_LENGTH
from .validators import validate_past_date

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def staff_users() -> Any:
    """The people who can hold a book of customers, for manager selects and filters.

    Active staff except superusers (the "admin" account is not an account manager), plus
    whoever manages a customer today, whatever their flags: an existing assignment must
    stay visible and selectable. One query: the book check is an EXISTS subquery.
    """
    holds_a_book = Exists(Customer.objects.filter(account_manager_id=OuterRef("pk")))
    return (
        get_user_model()
        .objects.filter(Q(is_staff=True, is_active=True, is_superuser=False) | Q(holds_a_book))
        .order_by("first_name", "last_name", "username")
    )


class StaffUserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class ManagerFilterMixin:
    """A filter form's "manager" field, for team leads only: an account manager sees
    their own book (customers.access), so the field is removed for them."""

    fields: dict[str, Any]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_filter_by_manager = bool(user.is_team_lead)
        if not self.can_filter_by_manager:
            del self.fields["manager"]


class CustomerFilterForm(ManagerFilterMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    tier = forms.ChoiceField(
        label=_("Tier"),
        required=False,
        choices=[("", _("All tiers")), *Tier.choices],
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    manager = StaffUserChoiceField(
        label=_("Account manager"),
        required=False,
        queryset=staff_users(),
        empty_label=_("All managers"),
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    sort = forms.ChoiceField(
        required=False, choices=[(k, k) for k in CUSTOMER_SORTS], widget=forms.HiddenInput
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=TAG_MAX_LENGTH)
    term = forms.ChoiceField(
        label=_("Term length"),
        required=False,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    # A saved segment the user sees (their own or a shared one): its members in their book.
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        required=False,
        queryset=Segment.objects.none(),
        empty_label=_("No segment"),
        widget=FastSelect(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": _("This segment does not exist or is not shared.")},
    )
    # No call, visit, e-mail or meeting in this many days, among the customers with a
    # contract in force: relations.selectors.not_contacted_in, the one rule of the
    # dashboard figure and the "not contacted" list, so the three agree for the same N.
    not_contacted = forms.IntegerField(
        label=_("Not contacted in (days)"),
        help_text=NOT_CONTACTED_POPULATION,
        required=False,
        min_value=1,
        max_value=3650,
        error_messages={
            "invalid": _("Enter a number of days."),
            "min_value": _("Enter a number of days from 1 to 3650."),
            "max_value": _("Enter a number of days from 1 to 3650."),
        },
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.user = user
        self.fields["term"].choices = [("", _("Any term")), *TermClass.choices()]
        self.fields["segment"].queryset = segments_visible_to(user)

    def to_filters(self) -> CustomerFilters:
        # Keep the filters that are valid even when another one is not.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        manager = data.get("manager")
        segment = data.get("segment")
        among = None
        if segment is not None:
            among = segment_members(segment, as_of=timezone.localdate(), viewer=self.user).values(
                "pk"
            )
        elif self.is_bound and "segment" in self.errors:
            # A segment asked for but not found: nobody, rather than the whole book.
            among = Customer.objects.none().values("pk")
        days = data.get("not_contacted")
        if days:
            quiet = Customer.objects.filter(
                not_contacted_in(as_of=timezone.localdate(), days=days)
            ).values("pk")
            among = quiet if among is None else among.filter(pk__in=quiet)
        return CustomerFilters(
            q=data.get("q") or "",
            tier=data.get("tier") or "",
            manager_id=manager.pk if manager else None,
            sort=data.get("sort") or CUSTOMER_DEFAULT_SORT,
            tag=data.get("tag") or "",
            term=data.get("term") or "",
            among=among,
        )


class CustomerForm(forms.ModelForm):
    """Customer fields. On creation it also takes the primary contact."""

    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_role = forms.CharField(label=_("Contact role"), max_length=100, required=False)

    CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone", "contact_role")

    # Where the customer lives decides the automatic-renewal rules (docs/compliance.md).
    country = forms.ChoiceField(
        label=_("Country"),
        choices=country_choices,
        initial=default_country,
        # Left out (a script posting the older form): the customer's country, or the default.
        required=False,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    region = forms.ChoiceField(
        label=_("Region"),
        choices=region_choices,
        required=False,
        help_text=_("Only where the region's own law applies, e.g. California (US-CA)."),
        widget=FastSelect(attrs={"class": "form-select"}),
    )

    class Meta:
        model = Customer
        fields = [
            "code",
            "name",
            "kind",
            "account_manager",
            "language",
            "country",
            "region",
            "notify_email",
            "notify_sms",
            "notify_in_app",
            "care_messages",
            "birthday",
            "founded_on",
            "tags",
            "notes",
        ]
        widgets = {
            "birthday": DATE_WIDGET,
            "founded_on": DATE_WIDGET,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"account_manager": StaffUserChoiceField}

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        if user.is_team_lead:
            manager_field = self.fields["account_manager"]
            assert isinstance(manager_field, forms.ModelChoiceField)  # Meta.field_classes
            manager_field.queryset = staff_users()
        else:
            # Managers keep customers in their own book; a team lead reassigns.
            del self.fields["account_manager"]
        if not creating:
            for name in self.CONTACT_FIELDS:
                del self.fields[name]
        self.fields["code"].help_text = _("A short unique code, for example C00012.")

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()

    def clean_country(self) -> str:
        code = normalise_code(self.cleaned_data.get("country"))
        if code:
            return code
        return self.instance.country if self.instance.pk else default_country()

    def clean_region(self) -> str:
        return normalise_code(self.cleaned_data.get("region"))

    def clean_birthday(self) -> dt.date | None:
        return validate_past_date("birthday", self.cleaned_data.get("birthday"))

    def clean_founded_on(self) -> dt.date | None:
        return validate_past_date("founded_on", self.cleaned_data.get("founded_on"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.creating and (data.get("contact_email") or data.get("contact_phone")):
            if not data.get("contact_name"):
                self.add_error("contact_name", _("Give the contact's name."))
        return data

    def customer_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in self.CONTACT_FIELDS}

    def contact_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data.get("contact_name", ""),
            "email": data.get("contact_email", ""),
            "phone": data.get("contact_phone", ""),
            "role": data.get("contact_role", ""),
        }


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "role", "is_primary"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("email") and not data.get("phone") and "email" not in self.errors:
            # Beside the email field, the first of the two.
            self.add_error("email", _("Give at least an email address or a phone number."))
        return data


class TierOverrideForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("Tier"),
        required=False,
        choices=[("", _("Automatic (no override)")), *Tier.choices],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("tier") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for overriding the tier."))
        return data
