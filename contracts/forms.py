"""Forms of the staff contract pages. They validate; the services do the writing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.widgets import FastSelect
from customers.access import customers_visible_to
from customers.forms import ManagerFilterMixin, StaffUserChoiceField, staff_users
from customers.models import Tier
from retention.selectors import cancelled_contract_ids

from .models import BillingPeriod, ContractStatus, Plan, TermsVersion
from .selectors import CONTRACT_DEFAULT_SORT, CONTRACT_SORTS, ContractFilters
from .services import LineSpec

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The text a staff member confirms they read to the customer before switching
# auto-renewal on or off on their behalf. Its version goes into the consent ledger.
STAFF_CONSENT_TEXT_VERSION = "staff-1"
STAFF_CONSENT_TEXT_ON = _(
    "The customer agreed that this contract renews automatically at the end of its term "
    "at the price then in force, and was told they can switch automatic renewal off at any "
    "time before the renewal date."
)
STAFF_CONSENT_TEXT_OFF = _(
    "The customer asked that this contract does not renew automatically; it will end on its "
    "end date unless renewed."
)


class ContractFilterForm(ManagerFilterMixin, forms.Form):
    """The GET filters of the contract list. Bad values become form errors, not 500s."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ContractStatus.choices],
    )
    ending_within = forms.IntegerField(
        label=_("Ending within (days)"), required=False, min_value=0, max_value=3650
    )
    manager = StaffUserChoiceField(
        label=_("Account manager"),
        required=False,
        queryset=staff_users(),
        empty_label=_("All managers"),
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    plan = forms.ModelChoiceField(
        label=_("Plan"),
        required=False,
        queryset=Plan.objects.order_by("code"),
        empty_label=_("All plans"),
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    tier = forms.ChoiceField(
        required=False, choices=[("", ""), *Tier.choices], widget=forms.HiddenInput
    )
    ended_from = forms.DateField(required=False, widget=forms.HiddenInput)
    ended_to = forms.DateField(required=False, widget=forms.HiddenInput)
    cancel_reason = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    cancel_from = forms.DateField(required=False, widget=forms.HiddenInput)
    cancel_to = forms.DateField(required=False, widget=forms.HiddenInput)
    offer = forms.ChoiceField(
        required=False,
        choices=[("", ""), ("shown", "shown"), ("accepted", "accepted")],
        widget=forms.HiddenInput,
    )
    sort = forms.ChoiceField(
        required=False, choices=[(k, k) for k in CONTRACT_SORTS], widget=forms.HiddenInput
    )

    def to_filters(self) -> ContractFilters:
        # Keep the filters that are valid even when another one is not.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        manager = data.get("manager")
        plan = data.get("plan")
        return ContractFilters(
            q=data.get("q") or "",
            status=data.get("status") or "",
            ending_within=data.get("ending_within"),
            manager_id=manager.pk if manager else None,
            plan_id=plan.pk if plan else None,
            customer_id=data.get("customer"),
            sort=data.get("sort") or CONTRACT_DEFAULT_SORT,
            tier=data.get("tier") or "",
            ended_from=data.get("ended_from"),
            ended_to=data.get("ended_to"),
            among=self._cancelled_contract_ids(data),
        )

    @staticmethod
    def _cancelled_contract_ids(data: dict[str, Any]) -> QuerySet | None:
        """The contracts behind a dashboard cancellation or retention-offer figure."""
        reason, day_from, day_to = (
            data.get(k) for k in ("cancel_reason", "cancel_from", "cancel_to")
        )
        offer = data.get("offer") or ""
        if not (reason or day_from or day_to or offer):
            return None
        return cancelled_contract_ids(
            reason=reason or "", day_from=day_from, day_to=day_to, offer=offer
        )


class CustomerByCodeField(forms.ModelChoiceField):
    """A customer picked by its code: a select of 200,000 customers is no use."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": _("No customer with this code in your book.")},
        )
        super().__init__(to_field_name="code", **kwargs)


class ContractDraftForm(forms.Form):
    customer = CustomerByCodeField(
        label=_("Customer code"), queryset=None, help_text=_("For example C00012.")
    )
    plan = forms.ModelChoiceField(
        label=_("Plan"), required=False, queryset=Plan.objects.filter(is_active=True)
    )
    owner = StaffUserChoiceField(
        label=_("Account manager"),
        required=False,
        queryset=staff_users(),
        help_text=_("Leave empty to use the customer's account manager."),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE_WIDGET)
    end_date = forms.DateField(label=_("End date"), widget=DATE_WIDGET)
    billing_period = forms.ChoiceField(
        label=_("Billing period"), choices=BillingPeriod.choices, initial=BillingPeriod.MONTHLY
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        initial="CNY",
        validators=[
            RegexValidator(r"^[A-Za-z]{3}$", _("Use a three-letter currency code such as CNY."))
        ],
    )
    terms_version = forms.ModelChoiceField(
        label=_("Terms version"), required=False, queryset=TermsVersion.objects.all()
    )
    notice_period_days = forms.IntegerField(
        label=_("Notice period (days)"), min_value=0, max_value=365, initial=30
    )

    def __init__(
        self, *args: Any, user: Any, editing: bool = False, fixed_customer: Any = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        customer_field, plan_field = self.fields["customer"], self.fields["plan"]
        assert isinstance(customer_field, forms.ModelChoiceField)
        assert isinstance(plan_field, forms.ModelChoiceField)
        customer_field.queryset = customers_visible_to(user)
        current_plan = self.initial.get("plan")
        if current_plan is not None:
            # A draft keeps its plan even if the plan was retired since.
            plan_field.queryset = Plan.objects.filter(
                Q(is_active=True) | Q(pk=getattr(current_plan, "pk", current_plan))
            )
        if editing:
            del self.fields["customer"]
        elif fixed_customer is not None:
            self.fields["customer"].initial = fixed_customer.code
            self.fields["customer"].widget = forms.HiddenInput()
        if not user.is_team_lead:
            # Managers draft contracts for their own book only.
            del self.fields["owner"]

    def clean_currency(self) -> str:
        return (self.cleaned_data.get("currency") or "").upper()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must not be before the start date."))
        return data


class ContractLineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        initial=Decimal("1"),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price (per term)"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )


class BaseContractLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.line_specs():
            raise forms.ValidationError(_("A contract needs at least one line."))

    def line_specs(self) -> list[LineSpec]:
        specs = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            specs.append(
                LineSpec(
                    description=data["description"],
                    quantity=data["quantity"],
                    unit_price=data["unit_price"],
                )
            )
        return specs


def line_formset_class(*, extra: int) -> type[BaseContractLineFormSet]:
    # formset_factory subclasses the formset it is given; the stubs return the base type.
    return cast(
        "type[BaseContractLineFormSet]",
        forms.formset_factory(
            ContractLineForm,
            formset=BaseContractLineFormSet,
            extra=extra,
            can_delete=True,
            max_num=100,
            validate_max=True,
        ),
    )


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ReturnToDraftForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class SignatureForm(forms.Form):
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean_signed_on(self):
        day = self.cleaned_data["signed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The signature date cannot be in the future."))
        return day


class AutoRenewForm(forms.Form):
    enabled = forms.TypedChoiceField(
        choices=[("on", _("On")), ("off", _("Off"))],
        coerce=lambda v: v == "on",
        widget=forms.HiddenInput,
    )
    text = forms.CharField(
        label=_("What the customer agreed to"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirmed = forms.BooleanField(
        label=_("The customer gave this consent to me (phone, meeting or in writing)."),
        required=True,
    )
