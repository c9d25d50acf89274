"""Address validation per country: which fields are required and what a postcode looks like.

Known shapes for the countries we ship to most; every other country gets a generic check (a
postcode, when given, is 2-10 letters, digits, spaces or hyphens). Postcodes are normalised
(upper case, canonical spacing) so that tax and shipping zones match reliably.
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale

from kernel.errors import InvalidInput
from plugin_sdk.types import Address

POSTCODES: dict[str, tuple[str, str]] = {
    # country: (pattern, example)
    "US": (r"^\d{5}(-\d{4})?$", "94105 or 94105-1234"),
    "CA": (r"^[ABCEGHJ-NPRSTVXY]\d[A-Z] \d[A-Z]\d$", "K1A 0B1"),
    "GB": (r"^(GIR 0AA|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2})$", "SW1A 1AA"),
    "DE": (r"^\d{5}$", "10115"),
    "FR": (r"^\d{5}$", "75001"),
    "NL": (r"^[1-9]\d{3} [A-Z]{2}$", "1012 AB"),
    "JP": (r"^\d{3}-\d{4}$", "100-0001"),
}
GENERIC_POSTCODE = r"^[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]$"
# Countries without a postcode system (a postcode is optional there).
NO_POSTCODE = frozenset({"AE", "AG", "AO", "BS", "BZ", "HK", "IE", "QA", "ZW", "FJ", "GH", "JM", "TT"})
REGION_REQUIRED = frozenset({"US", "CA", "AU", "JP"})


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha()
                     and code not in {"ZZ", "QO", "EU", "EZ", "UN"})


def normalize_postcode(country: str, postcode: str) -> str:
    code = re.sub(r"\s+", " ", postcode.strip().upper())
    if country in ("GB", "CA", "NL"):
        compact = code.replace(" ", "").replace("-", "")
        if len(compact) > 3:
            code = f"{compact[:-3]} {compact[-3:]}" if country != "NL" else f"{compact[:4]} {compact[4:]}"
    elif country == "JP":
        compact = code.replace("-", "").replace(" ", "")
        if len(compact) == 7 and compact.isdigit():
            code = f"{compact[:3]}-{compact[3:]}"
    return code


def validate_address(address: Address, *, field: str = "shipping_address") -> Address:
    """Return the normalised address, or raise ``InvalidInput`` listing every problem at once."""
    errors: list[dict] = []

    def problem(name: str, msg: str) -> None:
        errors.append({"loc": ["body", field, name], "msg": msg, "type": "value_error"})

    country = address.country.strip().upper()
    if country not in country_codes():
        problem("country", "Enter a valid ISO 3166-1 alpha-2 country code, e.g. 'US' or 'DE'.")
    for name in ("name", "line1", "city"):
        if not getattr(address, name).strip():
            problem(name, "This field is required.")
    if country in REGION_REQUIRED and not address.region.strip():
        problem("region", f"A state, province or prefecture is required for {country}.")
    postcode = normalize_postcode(country, address.postcode)
    if not postcode:
        if country not in NO_POSTCODE:
            problem("postcode", "A postcode is required.")
    else:
        pattern, example = POSTCODES.get(country, (GENERIC_POSTCODE, "a valid postcode"))
        if not re.match(pattern, postcode):
            problem("postcode", f"This is not a valid postcode for {country or 'this country'} (e.g. {example}).")
    if errors:
        raise InvalidInput("The address is not valid.", errors=errors)
    return address.model_copy(update={"country": country, "postcode": postcode,
                                      "region": address.region.strip().upper()})
