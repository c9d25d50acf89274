"""API shapes for sign-in, accounts, two-factor, customers, staff and API keys."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from kernel.accounts.apikeys import API_SCOPES, known_scopes
from kernel.accounts.models import StaffRole

# SQLite hands back naive datetimes (stored in UTC); RFC 3339 (OpenAPI date-time) needs the offset.
UtcDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=timezone.utc))]

EMAIL_PATTERN = r"^[^@\s\x00]{1,64}@[^@\s\x00]{1,255}$"


class StrictModel(BaseModel):
    """Request bodies: unknown fields rejected; NUL bytes rejected (PostgreSQL cannot store them)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        def walk(value: Any) -> None:
            if isinstance(value, str) and "\x00" in value:
                raise ValueError("NUL bytes are not allowed in strings")
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, (list, tuple)):
                for v in value:
                    walk(v)

        walk(data)
        return data


Password = Field(min_length=10, max_length=1024, examples=["correct horse battery staple"])


class LoginRequest(StrictModel):
    email: str = Field(min_length=3, max_length=320, examples=["owner@acme.example"])
    password: str = Field(min_length=1, max_length=1024, examples=["correct horse battery staple"])
    cookie: bool = Field(default=False, description="Sign in the browser: set the HttpOnly `pyc_session` "
                         "cookie instead of returning a bearer token.", examples=[False])


class TwoFactorLoginRequest(StrictModel):
    challenge_token: str = Field(min_length=1, max_length=200, examples=["pch_Zm9vYmFy"])
    code: str = Field(min_length=6, max_length=20, description="A 6-digit TOTP code or a recovery code.",
                      examples=["123456"])
    cookie: bool = Field(default=False, examples=[False])


class TokenRead(BaseModel):
    access_token: str | None = Field(default=None, description="Send as `Authorization: Bearer <token>`. "
                                     "Shown once. Absent for cookie sign-ins and pending two-factor.",
                                     examples=["pcs_3q2-7bXW..."])
    token_type: str = Field(default="bearer", examples=["bearer"])
    two_factor_required: bool = Field(default=False, examples=[False])
    challenge_token: str | None = Field(default=None, description="When two-factor is required: send it with "
                                        "a code to `POST /api/v1/auth/login/2fa`.", examples=[None])
    csrf_token: str | None = Field(default=None, description="For cookie sessions: send as `X-CSRF-Token` "
                                   "(or form field `csrf_token`) on state-changing requests.", examples=[None])


class MembershipRead(BaseModel):
    store_slug: str = Field(examples=["acme"])
    store_name: str = Field(examples=["Acme"])
    role: StaffRole = Field(examples=["owner"])


class MeRead(BaseModel):
    id: int = Field(examples=[7])
    email: str = Field(examples=["owner@acme.example"])
    full_name: str = Field(examples=["Ada Owner"])
    is_platform_admin: bool = Field(examples=[False])
    two_factor_enabled: bool = Field(default=False, examples=[True])
    stores: list[MembershipRead] = Field(
        examples=[[{"store_slug": "acme", "store_name": "Acme", "role": "owner"}]])


class PasswordChange(StrictModel):
    current_password: str = Field(min_length=1, max_length=1024, examples=["old password 123"])
    new_password: str = Password


class PasswordResetRequest(StrictModel):
    email: str = Field(min_length=3, max_length=320, examples=["owner@acme.example"])


class PasswordResetConfirm(StrictModel):
    token: str = Field(min_length=1, max_length=200, examples=["pcr_Zm9vYmFy"])
    new_password: str = Password


class AcceptedRead(BaseModel):
    detail: str = Field(examples=["If the account exists, a reset link is on its way."])


class TotpEnrollRead(BaseModel):
    secret: str = Field(description="For manual entry in an authenticator. Shown once.",
                        examples=["JBSWY3DPEHPK3PXP"])
    otpauth_uri: str = Field(examples=["otpauth://totp/PyCommerce:owner%40acme.example?secret=JBSWY3DPEHPK3PXP"
                                       "&issuer=PyCommerce"])
    qr_svg: str = Field(description="The otpauth URI as a QR code (SVG).", examples=["<svg ...>"])


class TotpCode(StrictModel):
    code: str = Field(min_length=6, max_length=20, examples=["123456"])


class RecoveryCodesRead(BaseModel):
    recovery_codes: list[str] = Field(description="Shown once; each works once.", examples=[["abcde-fghjk"]])


class AccountEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[1])
    occurred_at: UtcDatetime = Field(examples=["2026-11-25T12:00:00Z"])
    action: str = Field(examples=["auth.login"])
    ip: str | None = Field(examples=["203.0.113.9"])
    user_agent: str | None = Field(examples=["Mozilla/5.0"])


# --- Customers ----------------------------------------------------------------------------------

class CustomerRegister(StrictModel):
    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN, examples=["shopper@example.com"])
    password: str = Password
    full_name: str = Field(default="", max_length=200, examples=["Sam Shopper"])


class CustomerLogin(StrictModel):
    email: str = Field(min_length=3, max_length=320, examples=["shopper@example.com"])
    password: str = Field(min_length=1, max_length=1024, examples=["correct horse battery staple"])
    cookie: bool = Field(default=False, description="Storefront sign-in: set the HttpOnly `pyc_session` cookie "
                         "instead of returning a token.", examples=[False])


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[12])
    email: str = Field(examples=["shopper@example.com"])
    full_name: str = Field(examples=["Sam Shopper"])
    created_at: UtcDatetime = Field(examples=["2026-11-25T12:00:00Z"])


class CustomerTokenRead(BaseModel):
    access_token: str | None = Field(description="A customer token, valid in this store only (absent for "
                                     "cookie sign-ins).", examples=["pcs_..."])
    token_type: str = Field(default="bearer", examples=["bearer"])
    csrf_token: str | None = Field(default=None, description="For cookie sessions: send as `X-CSRF-Token` or "
                                   "form field `csrf_token` on state-changing requests.", examples=[None])
    customer: CustomerRead = Field(examples=[{"id": 12, "email": "shopper@example.com", "full_name": "Sam Shopper",
                                              "created_at": "2026-11-25T12:00:00Z"}])


# --- Staff --------------------------------------------------------------------------------------

class StaffCreate(StrictModel):
    email: str = Field(min_length=3, max_length=320, pattern=EMAIL_PATTERN, examples=["clerk@acme.example"])
    role: StaffRole = Field(examples=["staff"])
    full_name: str = Field(default="", max_length=200, examples=["Cleo Clerk"])


class StaffUpdate(StrictModel):
    role: StaffRole | None = Field(default=None, examples=["manager"])


class StaffRead(BaseModel):
    user_id: int = Field(examples=[7])
    email: str = Field(examples=["clerk@acme.example"])
    full_name: str = Field(examples=["Cleo Clerk"])
    role: StaffRole = Field(examples=["staff"])
    two_factor_enabled: bool = Field(examples=[False])
    invited: bool = Field(default=False, description="A new account was created and a set-password mail sent.",
                          examples=[False])


# --- API keys and store security ----------------------------------------------------------------

class ApiKeyCreate(StrictModel):
    name: str = Field(min_length=1, max_length=100, examples=["ERP sync"])
    scopes: list[str] = Field(min_length=1, max_length=len(API_SCOPES) + 100,
                              examples=[["catalog:read", "orders:read"]],
                              description="The kernel's scopes and those installed plugins declare.")

    @field_validator("scopes")
    @classmethod
    def _known(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - set(known_scopes()))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {list(known_scopes())}")
        return scopes


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[3])
    name: str = Field(examples=["ERP sync"])
    prefix: str = Field(description="The key's first characters, to recognise it.", examples=["pck_3q2-7bXW"])
    scopes: list[str] = Field(examples=[["catalog:read"]])
    created_at: UtcDatetime = Field(examples=["2026-11-25T12:00:00Z"])
    last_used_at: UtcDatetime | None = Field(examples=["2026-11-25T13:30:00Z"])
    revoked_at: UtcDatetime | None = Field(examples=[None])


class ApiKeyCreated(ApiKeyRead):
    token: str = Field(description="The key itself: shown once, store it now.", examples=["pck_3q2-7bXW..."])


class SecuritySettingsRead(BaseModel):
    require_staff_2fa: bool = Field(examples=[True])


class SecuritySettingsUpdate(StrictModel):
    require_staff_2fa: bool | None = Field(default=None, examples=[True])
