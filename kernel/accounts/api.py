"""Sign-in for platform administrators and staff (bearer tokens for the API, a cookie for the web)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy import select

from kernel.accounts import service
from kernel.accounts.models import StaffMembership
from kernel.accounts.schemas import LoginRequest, MembershipRead, MeRead, TokenRead
from kernel.db import across_stores
from kernel.deps import CurrentUser, SessionDep, _bearer_or_cookie
from kernel.errors import ERROR_RESPONSES, NotAuthenticated
from kernel.stores.models import Store

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)


@router.post("/login", summary="Sign in and get a bearer token")
async def login(data: LoginRequest, request: Request, session: SessionDep) -> TokenRead:
    user = await service.authenticate_user(session, data.email, data.password)
    if user is None:
        raise NotAuthenticated("Wrong email or password.")
    token = await service.start_session(session, user=user, ip=request.client.host if request.client else None,
                                        user_agent=request.headers.get("user-agent"))
    return TokenRead(access_token=token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the current session")
async def logout(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    token = _bearer_or_cookie(request)
    if token:
        await service.end_session(session, token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", summary="The signed-in user and the stores they work for")
async def me(user: CurrentUser, session: SessionDep) -> MeRead:
    async with across_stores(session):  # a user's memberships span stores, by nature
        rows = (await session.execute(
            select(Store.slug, Store.name, StaffMembership.role)
            .join(Store, Store.id == StaffMembership.store_id)
            .where(StaffMembership.user_id == user.id).order_by(Store.slug)
        )).all()
    return MeRead(id=user.id, email=user.email, full_name=user.full_name, is_platform_admin=user.is_platform_admin,
                  stores=[MembershipRead(store_slug=s, store_name=n, role=r) for s, n, r in rows])
