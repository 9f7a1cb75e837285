from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.access import customers_visible_to
from customers.country_codes import COUNTRIES, REGIONS, validate_region_in_country
from customers.models import Contact, Customer, Tier
from customers.validators import validate_past_date

from .common import StaffUsernameField


class ContactInlineSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    role = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class CustomerSerializer(serializers.ModelSerializer):
    account_manager = StaffUsernameField(
        required=False,
        allow_null=True,
        help_text=_("The account manager's username. Defaults to you."),
    )
    tier_override = serializers.ChoiceField(
        choices=Tier.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("A tier pinned by hand, or empty when the computed tier applies."),
    )
    effective_tier = serializers.ChoiceField(
        choices=Tier.choices,
        read_only=True,
        help_text=_("The tier in force: the manual override if any, else the computed tier."),
    )
    country = serializers.ChoiceField(
        choices=list(COUNTRIES.items()),
        required=False,
        help_text=_(
            "ISO 3166-1 code of the country whose automatic-renewal rules apply. "
            "Defaults to the configured default country."
        ),
    )
    region = serializers.ChoiceField(
        choices=list(REGIONS.items()),
        required=False,
        allow_blank=True,
        help_text=_("ISO 3166-2 subdivision (e.g. US-CA) when its own law applies, else empty."),
    )
    contact = ContactInlineSerializer(
        write_only=True,
        required=False,
        help_text=_("On creation only: the primary contact to create with the customer."),
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "account_manager",
            "tier",
            "tier_override",
            "effective_tier",
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
            "contact",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "tier", "tier_override", "created_at", "updated_at"]
        # Uniqueness of the code is checked by the service (one clear message), not here.
        extra_kwargs: dict[str, dict[str, Any]] = {"code": {"validators": []}}

    def validate_account_manager(self, value: Any) -> Any:
        user = self.context["request"].user
        if value != user and not user.is_team_lead:
            raise serializers.ValidationError(
                _("You can only assign customers to yourself; a team lead can assign others.")
            )
        return value

    # DRF turns the Django ValidationError into an error on the field.
    def validate_birthday(self, value: dt.date | None) -> dt.date | None:
        return validate_past_date("birthday", value)

    def validate_founded_on(self, value: dt.date | None) -> dt.date | None:
        return validate_past_date("founded_on", value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The pair is checked as it will be stored: a PATCH of one reads the other as it is.
        if "country" in attrs or "region" in attrs:
            country = attrs.get("country", getattr(self.instance, "country", None))
            if country is None and attrs.get("region"):
                country = attrs["region"].split("-", 1)[0]
                attrs["country"] = country
            try:
                validate_region_in_country(
                    country or "", attrs.get("region", getattr(self.instance, "region", ""))
                )
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"region": exc.messages}) from exc
        return attrs

    def validate_code(self, value: str) -> str:
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError(_("A customer's code cannot be changed."))
        return value


class ContactSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), help_text=_("The customer's id.")
    )
    customer_code = serializers.CharField(source="customer.code", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "customer_code",
            "name",
            "email",
            "phone",
            "role",
            "is_primary",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # The one-primary-contact constraint is kept by contact_save (it demotes the old
        # primary), so the validator DRF derives from the constraint must not refuse it.
        validators: list = []

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            # Only customers the caller can see exist, as far as this field is concerned.
            customer_field = fields["customer"]
            assert isinstance(customer_field, serializers.RelatedField)
            customer_field.queryset = customers_visible_to(request.user)
        return fields

    def validate_customer(self, value: Customer) -> Customer:
        if self.instance is not None and value.pk != self.instance.customer_id:
            raise serializers.ValidationError(_("A contact cannot move to another customer."))
        return value
