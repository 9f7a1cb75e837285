"""The countries and subdivisions a customer can be in, as data (docs/compliance.md).

Codes are ISO 3166-1 alpha-2 for countries and ISO 3166-2 for subdivisions ("US-CA").
The list is deliberately short: the countries RenewDesk ships renewal rules for (China,
the United States, the United Kingdom, the EU member states) and a few neighbours of the
business. Adding a country is adding a line here (and its zh-hans name); the database
stores the code and validates it against this list, so no migration is needed.

The compliance app (above customers) maps these codes to its jurisdictions and rule sets.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# The 27 member states of the European Union (since 1 February 2020).
EU_MEMBER_STATES = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip

COUNTRIES: dict[str, Promise] = {
    "CN": _("China"),
    "HK": _("Hong Kong SAR, China"),
    "MO": _("Macao SAR, China"),
    "SG": _("Singapore"),
    "JP": _("Japan"),
    "KR": _("South Korea"),
    "US": _("United States"),
    "CA": _("Canada"),
    "AU": _("Australia"),
    "GB": _("United Kingdom"),
    "CH": _("Switzerland"),
    "NO": _("Norway"),
    "AT": _("Austria"),
    "BE": _("Belgium"),
    "BG": _("Bulgaria"),
    "HR": _("Croatia"),
    "CY": _("Cyprus"),
    "CZ": _("Czechia"),
    "DK": _("Denmark"),
    "EE": _("Estonia"),
    "FI": _("Finland"),
    "FR": _("France"),
    "DE": _("Germany"),
    "GR": _("Greece"),
    "HU": _("Hungary"),
    "IE": _("Ireland"),
    "IT": _("Italy"),
    "LV": _("Latvia"),
    "LT": _("Lithuania"),
    "LU": _("Luxembourg"),
    "MT": _("Malta"),
    "NL": _("Netherlands"),
    "PL": _("Poland"),
    "PT": _("Portugal"),
    "RO": _("Romania"),
    "SK": _("Slovakia"),
    "SI": _("Slovenia"),
    "ES": _("Spain"),
    "SE": _("Sweden"),
}

# ISO 3166-2 subdivisions, by country. Only the United States today: California's
# automatic-renewal law is a state law.
US_STATES: dict[str, Promise] = {
    "US-AL": _("Alabama"),
    "US-AK": _("Alaska"),
    "US-AZ": _("Arizona"),
    "US-AR": _("Arkansas"),
    "US-CA": _("California"),
    "US-CO": _("Colorado"),
    "US-CT": _("Connecticut"),
    "US-DE": _("Delaware"),
    "US-DC": _("District of Columbia"),
    "US-FL": _("Florida"),
    "US-GA": _("Georgia (US state)"),
    "US-HI": _("Hawaii"),
    "US-ID": _("Idaho"),
    "US-IL": _("Illinois"),
    "US-IN": _("Indiana"),
    "US-IA": _("Iowa"),
    "US-KS": _("Kansas"),
    "US-KY": _("Kentucky"),
    "US-LA": _("Louisiana"),
    "US-ME": _("Maine"),
    "US-MD": _("Maryland"),
    "US-MA": _("Massachusetts"),
    "US-MI": _("Michigan"),
    "US-MN": _("Minnesota"),
    "US-MS": _("Mississippi"),
    "US-MO": _("Missouri"),
    "US-MT": _("Montana"),
    "US-NE": _("Nebraska"),
    "US-NV": _("Nevada"),
    "US-NH": _("New Hampshire"),
    "US-NJ": _("New Jersey"),
    "US-NM": _("New Mexico"),
    "US-NY": _("New York"),
    "US-NC": _("North Carolina"),
    "US-ND": _("North Dakota"),
    "US-OH": _("Ohio"),
    "US-OK": _("Oklahoma"),
    "US-OR": _("Oregon"),
    "US-PA": _("Pennsylvania"),
    "US-RI": _("Rhode Island"),
    "US-SC": _("South Carolina"),
    "US-SD": _("South Dakota"),
    "US-TN": _("Tennessee"),
    "US-TX": _("Texas"),
    "US-UT": _("Utah"),
    "US-VT": _("Vermont"),
    "US-VA": _("Virginia"),
    "US-WA": _("Washington (US state)"),
    "US-WV": _("West Virginia"),
    "US-WI": _("Wisconsin"),
    "US-WY": _("Wyoming"),
}

REGIONS: dict[str, Promise] = {**US_STATES}


def normalise_code(value: str | None) -> str:
    """' us-ca ' → 'US-CA' (codes are compared in upper case)."""
    return (value or "").strip().upper()


def default_country() -> str:
    """settings.RENEWDESK['DEFAULT_COUNTRY'] (env DEFAULT_COUNTRY), 'CN' when unset."""
    return normalise_code(settings.RENEWDESK.get("DEFAULT_COUNTRY") or "CN")


def country_of_region(region: str) -> str:
    """'US-CA' → 'US'."""
    return region.split("-", 1)[0]


def validate_country_code(value: str) -> None:
    if value not in COUNTRIES:
        raise ValidationError(
            _("“%(code)s” is not a country code RenewDesk knows (ISO 3166-1, e.g. CN, US, FR).")
            % {"code": value},
            code="unknown_country",
        )


def validate_region_code(value: str) -> None:
    if value and value not in REGIONS:
        raise ValidationError(
            _("“%(code)s” is not a region code RenewDesk knows (ISO 3166-2, e.g. US-CA).")
            % {"code": value},
            code="unknown_region",
        )


def validate_region_in_country(country: str, region: str) -> None:
    """A region belongs to its country: 'US-CA' with 'US', never with 'CN'."""
    if region and country_of_region(region) != country:
        raise ValidationError(
            _("The region %(region)s is not in the country %(country)s.")
            % {"region": region, "country": country},
            code="region_outside_country",
        )


def country_choices() -> list[tuple[str, Promise]]:
    return list(COUNTRIES.items())


def region_choices() -> list[tuple[str, Promise | str]]:
    return [("", _("(none)")), *REGIONS.items()]
