"""API shapes for sign-in and the current account."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kernel.accounts.models import StaffRole


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, examples=["owner@acme.example"])
    password: str = Field(min_length=1, max_length=1024, examples=["correct horse battery staple"])


class TokenRead(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <token>`. Shown once.")
    token_type: str = "bearer"


class MembershipRead(BaseModel):
    store_slug: str
    store_name: str
    role: StaffRole


class MeRead(BaseModel):
    id: int
    email: str
    full_name: str
    is_platform_admin: bool
    stores: list[MembershipRead]
