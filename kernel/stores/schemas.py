"""API shapes for stores."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kernel.accounts.schemas import UtcDatetime
from kernel.stores.models import StoreStatus, normalise_hostname

SLUG_RE = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
RESERVED_SLUGS = frozenset({"www", "api", "admin", "static", "media", "platform", "docs"})


class StoreBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_currency(value: str) -> str:
    value = value.upper()
    if value not in list_currencies():
        raise ValueError(f"unknown ISO 4217 currency code {value!r}")
    return value


def _check_locale(value: str) -> str:
    try:
        Locale.parse(value)
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"unknown locale {value!r}") from None
    return value


def _check_timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError(f"unknown time zone {value!r}")
    return value


def _check_hostnames(values: list[str]) -> list[str]:
    cleaned = []
    for value in values:
        host = normalise_hostname(value)
        if not HOSTNAME_RE.match(host):
            raise ValueError(f"{value!r} is not a valid host name")
        cleaned.append(host)
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("domains must be unique")
    return cleaned


class StoreCreate(StoreBase):
    slug: str = Field(pattern=SLUG_RE, examples=["acme"], description="Lower-case letters, digits and hyphens.")
    name: str = Field(min_length=1, max_length=200, examples=["Acme Outfitters"])
    currency: str = Field(default="USD", min_length=3, max_length=3, examples=["EUR"])
    locale: str = Field(default="en_US", max_length=35, examples=["de_DE"])
    timezone: str = Field(default="UTC", max_length=64, examples=["Europe/Berlin"])
    domains: list[str] = Field(default_factory=list, max_length=20, examples=[["shop.acme.example"]])
    checkout_hold_minutes: int = Field(
        default=0, ge=0, le=1440, examples=[15],
        description="Minutes a cart in checkout holds its stock for the shopper; 0 holds nothing.")

    @field_validator("slug")
    @classmethod
    def _slug_not_reserved(cls, value: str) -> str:
        if value in RESERVED_SLUGS:
            raise ValueError(f"{value!r} is reserved")
        return value

    _currency = field_validator("currency")(_check_currency)
    _locale = field_validator("locale")(_check_locale)
    _timezone = field_validator("timezone")(_check_timezone)
    _domains = field_validator("domains")(_check_hostnames)


class StoreUpdate(StoreBase):
    name: str | None = Field(default=None, min_length=1, max_length=200, examples=["Acme Outfitters Europe"])
    currency: str | None = Field(default=None, min_length=3, max_length=3, examples=["EUR"])
    locale: str | None = Field(default=None, max_length=35, examples=["de_DE"])
    timezone: str | None = Field(default=None, max_length=64, examples=["Europe/Berlin"])
    domains: list[str] | None = Field(default=None, max_length=20, examples=[["shop.acme.example"]])
    checkout_hold_minutes: int | None = Field(
        default=None, ge=0, le=1440, examples=[15],
        description="Minutes a cart in checkout holds its stock for the shopper; 0 holds nothing.")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return None if value is None else _check_currency(value)

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str | None) -> str | None:
        return None if value is None else _check_locale(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_hostnames(value)


class StoreRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[1])
    slug: str = Field(examples=["acme"])
    name: str = Field(examples=["Acme Outfitters"])
    status: StoreStatus = Field(examples=["active"])
    currency: str = Field(examples=["EUR"])
    locale: str = Field(examples=["de_DE"])
    timezone: str = Field(examples=["Europe/Berlin"])
    domains: list[str] = Field(examples=[["shop.acme.example"]])
    checkout_hold_minutes: int = Field(examples=[15],
                                       description="Minutes a cart in checkout holds its stock (0: none).")
    created_at: UtcDatetime = Field(examples=["2026-11-25T12:00:00Z"])

    @field_validator("domains", mode="before")
    @classmethod
    def _domain_names(cls, value):
        return [d if isinstance(d, str) else d.hostname for d in value]


class DomainRead(BaseModel):
    """One of a store's domains and whether its storefront answers there yet."""

    model_config = ConfigDict(from_attributes=True)

    hostname: str = Field(examples=["shop.acme.example"])
    is_primary: bool = Field(examples=[True])
    verified: bool = Field(validation_alias="is_verified", examples=[False],
                           description="Proven to be the store's: only verified domains serve its storefront.")
    verified_at: UtcDatetime | None = Field(examples=[None])


class DnsTxtProof(BaseModel):
    name: str = Field(examples=["_pycommerce-verify.shop.acme.example"])
    type: str = Field(default="TXT", examples=["TXT"])
    value: str = Field(examples=["pcv-3q2k…"])


class HttpFileProof(BaseModel):
    url: str = Field(examples=["http://shop.acme.example/.well-known/pycommerce-verify/pcv-3q2k…"])
    body: str = Field(examples=["pcv-3q2k…"], description="The file's whole content: the token.")


class DomainVerificationRead(BaseModel):
    """How to prove the store controls ``hostname``: publish either proof, then call verify."""

    hostname: str = Field(examples=["shop.acme.example"])
    verified: bool = Field(examples=[False])
    token: str = Field(examples=["pcv-3q2k…"])
    dns_txt: DnsTxtProof = Field(examples=[{"name": "_pycommerce-verify.shop.acme.example", "type": "TXT",
                                            "value": "pcv-3q2k…"}])
    http_file: HttpFileProof = Field(examples=[{
        "url": "http://shop.acme.example/.well-known/pycommerce-verify/pcv-3q2k…", "body": "pcv-3q2k…"}])
