"""Store-level accounts: customers (register, sign in, me), staff management, API keys, security policy.

Who may call what is stated in each signature: ``StoreOwner`` for staff, keys and policy; ``require_staff(
role, scope)`` where an API key may stand in; customers only in their own store.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response, status

from kernel.accounts import apikeys, service, staff, twofactor
from kernel.accounts.api import THROTTLED, client_ip, reset_instructions, set_session_cookie
from kernel.accounts.csrf import csrf_token
from kernel.accounts.models import StaffRole
from kernel.accounts.schemas import (
    AcceptedRead, PasswordResetConfirm, PasswordResetRequest, ApiKeyCreate, ApiKeyCreated, ApiKeyRead, CustomerLogin, CustomerRead, CustomerRegister, CustomerTokenRead,
    SecuritySettingsRead, SecuritySettingsUpdate, StaffCreate, StaffRead, StaffUpdate,
)
from kernel.accounts.throttle import ThrottleKey, account_key, check, ip_key, throttle_for
from kernel.aftercommit import after_commit
from kernel.audit import audit
from kernel.deps import CurrentCustomer, Principal, SessionDep, StoreDep, StoreOwner, require_staff
from kernel.errors import ERROR_RESPONSES, NotAuthenticated
from kernel.mail import queue_mail, send_pending_mail
from kernel.routing import KernelRouter
from kernel.stores.service import storefront_origin

PREFIX = "/api/v1/stores/{store_slug}"
customers_router = KernelRouter(prefix=PREFIX + "/customers", tags=["customers"], responses=ERROR_RESPONSES)
staff_router = KernelRouter(prefix=PREFIX + "/staff", tags=["staff"], responses=ERROR_RESPONSES)
api_keys_router = KernelRouter(prefix=PREFIX + "/api-keys", tags=["api keys"], responses=ERROR_RESPONSES)
security_router = KernelRouter(prefix=PREFIX + "/security-settings", tags=["store"], responses=ERROR_RESPONSES)

# Public endpoints (anyone may register or sign in at a store): the isolation walker reads this flag.
PUBLIC = {"x-pyc-public": True}

CustomerReader = Annotated[Principal, Depends(require_staff(StaffRole.staff, "customers:read"))]
UserIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="The staff member's user id.", examples=[7])]
KeyIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="The API key's id.", examples=[3])]


# --- Customers ------------------------------------------------------------------------------------

@customers_router.post("/register", status_code=status.HTTP_201_CREATED, summary="Register a customer account",
                       openapi_extra=PUBLIC)
async def register_customer(data: CustomerRegister, store: StoreDep, request: Request,
                            session: SessionDep) -> CustomerTokenRead:
    """Creates an account in this store only and signs it in (the token works in this store only)."""
    customer = await staff.register_customer(session, data.email, data.password, data.full_name)
    token = await service.start_session(session, customer=customer, ip=client_ip(request),
                                        user_agent=request.headers.get("user-agent"))
    return CustomerTokenRead(access_token=token, customer=CustomerRead.model_validate(customer))


@customers_router.post("/login", summary="Sign a customer in", responses=THROTTLED, openapi_extra=PUBLIC)
async def login_customer(data: CustomerLogin, store: StoreDep, request: Request, response: Response,
                         session: SessionDep) -> CustomerTokenRead:
    """Throttled per account and per IP like staff sign-in. An email registered at another store is
    unknown here."""
    throttle = throttle_for(request.app.state)
    keys = [account_key(data.email, store.id), ip_key(client_ip(request))]
    await check(throttle, keys)
    customer = await service.authenticate_customer(session, data.email, data.password)
    if customer is None:
        raise NotAuthenticated("Wrong email or password.")
    await throttle.succeeded(keys)
    token = await service.start_session(session, customer=customer, ip=client_ip(request),
                                        user_agent=request.headers.get("user-agent"))
    if data.cookie:
        set_session_cookie(request, response, token)
        return CustomerTokenRead(access_token=None, csrf_token=csrf_token(request, token),
                                 customer=CustomerRead.model_validate(customer))
    return CustomerTokenRead(access_token=token, customer=CustomerRead.model_validate(customer))


@customers_router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, responses=THROTTLED,
                       summary="Ask for a customer password reset mail", openapi_extra=PUBLIC)
async def request_customer_password_reset(data: PasswordResetRequest, store: StoreDep, request: Request,
                                          session: SessionDep) -> AcceptedRead:
    """Mails a single-use link valid for one hour; same answer whether or not the account exists."""
    throttle = throttle_for(request.app.state)
    await check(throttle, [ThrottleKey("reset:" + account_key(data.email, store.id).key, 5),
                           ThrottleKey(f"reset:ip:{client_ip(request)}", 20)])
    started = await service.start_customer_password_reset(session, data.email)
    if started is not None:
        customer, token = started
        state = request.app.state
        # The store's own address, not the one this request came in on (the platform's API host).
        origin = await storefront_origin(session, store.id, store.slug, state.settings.platform_domain,
                                         scheme=request.url.scheme, port=request.url.port)
        await queue_mail(session, state.settings, to=customer.email, store_id=store.id,
                         subject=f"Reset your password at {store.name}", text=(
                             f"Someone (hopefully you) asked to reset your password at {store.name}.\n\n"
                             + reset_instructions(
                                 f"{origin}/api/v1/stores/{store.slug}/customers/password-reset/confirm", token,
                                 f"{origin}/docs")
                             + "If you did not ask for this, ignore this message.\n"))
        after_commit(session, lambda: send_pending_mail(state.sessionmaker, state.settings))
    return AcceptedRead(detail="If the account exists, a reset link is on its way.")


@customers_router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, openapi_extra=PUBLIC,
                       summary="Set a new customer password with a reset token")
async def confirm_customer_password_reset(data: PasswordResetConfirm, store: StoreDep,
                                          session: SessionDep) -> Response:
    """Spends the token (once, within an hour, at this store only) and ends the customer's sessions."""
    await service.finish_customer_password_reset(session, data.token, data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@customers_router.get("/me", summary="The signed-in customer")
async def customer_me(store: StoreDep, customer: CurrentCustomer) -> CustomerRead:
    return CustomerRead.model_validate(customer)


@customers_router.get("", summary="List the store's customers")
async def list_customers(store: StoreDep, who: CustomerReader, session: SessionDep,
                         after: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Cursor: last id of the previous page.",
                                                              examples=[40])] = None,
                         limit: Annotated[int, Query(ge=1, le=200, description="Page size.", examples=[50])] = 50,
                         ) -> list[CustomerRead]:
    """Staff, or an API key with `customers:read`."""
    return [CustomerRead.model_validate(c) for c in await staff.list_customers(session, after=after, limit=limit)]


# --- Staff --------------------------------------------------------------------------------------

def _staff_read(member, has_2fa: bool, invited: bool = False) -> StaffRead:
    return StaffRead(user_id=member.user_id, email=member.user.email, full_name=member.user.full_name,
                     role=member.role, two_factor_enabled=has_2fa, invited=invited)


@staff_router.get("", summary="List the store's staff")
async def list_staff(store: StoreDep, owner: StoreOwner, session: SessionDep) -> list[StaffRead]:
    return [_staff_read(m, has_2fa) for m, has_2fa in await staff.list_staff(session)]


@staff_router.post("", status_code=status.HTTP_201_CREATED, summary="Add a staff member by email")
async def add_staff(data: StaffCreate, store: StoreDep, owner: StoreOwner, request: Request,
                    session: SessionDep) -> StaffRead:
    """An existing account gets the role here; an unknown email gets a new account and a mail with a
    link to choose a password (a password-reset token, valid one hour)."""
    member, invited = await staff.add_staff(session, data.email, data.role, data.full_name)
    if invited:
        started = await service.start_password_reset(session, member.user.email)
        if started is not None:
            _user, token = started
            state = request.app.state
            await queue_mail(session, state.settings, to=member.user.email, store_id=store.id,
                             subject=f"You have been invited to {store.name}", text=(
                                 f"You have been added to {store.name} as {data.role.value}.\n\n"
                                 f"Choose your password within one hour:\n"
                                 f"{str(request.base_url).rstrip('/')}/admin/password-reset?token={token}\n"))
            after_commit(session, lambda: send_pending_mail(state.sessionmaker, state.settings))
    await audit(session, owner, request, "staff.add", "user", member.user_id, {"role": data.role.value})
    return _staff_read(member, False, invited)


@staff_router.patch("/{user_id}", summary="Change a staff member's role")
async def update_staff(user_id: UserIdPath, data: StaffUpdate, store: StoreDep, owner: StoreOwner,
                       request: Request, session: SessionDep) -> StaffRead:
    member = await staff.membership(session, user_id)
    if data.role is not None and data.role != member.role:
        before = member.role.value
        await staff.change_role(session, member, data.role)
        await audit(session, owner, request, "staff.role_change", "user", user_id,
                    {"role": [before, data.role.value]})
    return _staff_read(member, await twofactor.is_enrolled(session, user_id))


@staff_router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a staff member")
async def remove_staff(user_id: UserIdPath, store: StoreDep, owner: StoreOwner, request: Request,
                       session: SessionDep) -> Response:
    """The account stays (it may work for other stores); only its role in this store goes."""
    member = await staff.membership(session, user_id)
    role = member.role.value
    await staff.remove_staff(session, member)
    await audit(session, owner, request, "staff.remove", "user", user_id, {"role": role})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- API keys -----------------------------------------------------------------------------------

@api_keys_router.get("", summary="List the store's API keys")
async def list_api_keys(store: StoreDep, owner: StoreOwner, session: SessionDep) -> list[ApiKeyRead]:
    """Keys are never shown again after creation: only their prefix, scopes and last use."""
    return [ApiKeyRead.model_validate(k) for k in await apikeys.list_api_keys(session)]


@api_keys_router.post("", status_code=status.HTTP_201_CREATED, summary="Create an API key")
async def create_api_key(data: ApiKeyCreate, store: StoreDep, owner: StoreOwner, request: Request,
                         session: SessionDep) -> ApiKeyCreated:
    """Returns the key once (`token`); authenticate with `Authorization: Bearer pck_…`."""
    key, token = await apikeys.create_api_key(session, name=data.name, scopes=data.scopes,
                                              created_by_user_id=owner.user.id if owner.user else None)
    await audit(session, owner, request, "api_key.create", "api_key", key.id,
                {"name": key.name, "scopes": key.scopes})
    return ApiKeyCreated(**ApiKeyRead.model_validate(key).model_dump(), token=token)


@api_keys_router.delete("/{api_key_id}", summary="Revoke an API key")
async def revoke_api_key(api_key_id: KeyIdPath, store: StoreDep, owner: StoreOwner, request: Request,
                         session: SessionDep) -> ApiKeyRead:
    """The key stops working at once; it stays listed, marked revoked."""
    key = await apikeys.revoke_api_key(session, await apikeys.get_api_key(session, api_key_id))
    await audit(session, owner, request, "api_key.revoke", "api_key", key.id, {"name": key.name})
    return ApiKeyRead.model_validate(key)


# --- Security policy --------------------------------------------------------------------------------

@security_router.get("", summary="The store's security settings")
async def read_security_settings(store: StoreDep, owner: StoreOwner, session: SessionDep) -> SecuritySettingsRead:
    row = await staff.security_settings(session)
    return SecuritySettingsRead(require_staff_2fa=row.require_staff_2fa)


@security_router.patch("", summary="Change the store's security settings")
async def update_security_settings(data: SecuritySettingsUpdate, store: StoreDep, owner: StoreOwner,
                                   request: Request, session: SessionDep) -> SecuritySettingsRead:
    """`require_staff_2fa`: staff without two-factor get 403 on this store's routes until they enrol."""
    row = await staff.security_settings(session, create=True)
    if data.require_staff_2fa is not None and data.require_staff_2fa != row.require_staff_2fa:
        row.require_staff_2fa = data.require_staff_2fa
        await audit(session, owner, request, "store.security_settings", "store", store.id,
                    {"require_staff_2fa": data.require_staff_2fa})
    return SecuritySettingsRead(require_staff_2fa=row.require_staff_2fa)
