"""Sign-in for platform administrators and staff (bearer tokens for the API, a cookie for the web),
password change and reset, and two-factor authentication."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response, status
from sqlalchemy import select, update

from kernel.accounts import service, twofactor
from kernel.accounts.csrf import SESSION_COOKIE, csrf_token
from kernel.accounts.models import LoginChallenge, StaffMembership, User
from kernel.accounts.schemas import (
    AcceptedRead, AccountEventRead, LoginRequest, MembershipRead, MeRead, PasswordChange, PasswordResetConfirm,
    PasswordResetRequest, RecoveryCodesRead, TokenRead, TotpCode, TotpEnrollRead, TwoFactorLoginRequest,
)
from kernel.accounts.throttle import ThrottleKey, account_key, check, ip_key, throttle_for
from kernel.aftercommit import after_commit
from kernel.audit import audit
from kernel.audit.models import AccountAuditEntry
from kernel.db import across_stores, store_session, utcnow
from kernel.deps import CurrentPrincipal, CurrentUser, SessionDep, _bearer_or_cookie
from kernel.errors import ERROR_RESPONSES, NotAuthenticated
from kernel.mail import queue_mail, send_pending_mail
from kernel.stores.models import Store
from kernel.routing import KernelRouter

router = KernelRouter(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)
THROTTLED = {429: {"description": "Too many failed attempts; retry after `Retry-After` seconds."}}


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(SESSION_COOKIE, token, max_age=int(service.SESSION_LIFETIME.total_seconds()), path="/",
                        httponly=True, samesite="lax", secure=settings.env == "production")


async def issue_session(session, request: Request, response: Response, user: User, *, cookie: bool) -> TokenRead:
    """Start a session; a bearer token in the body, or (``cookie``) the HttpOnly cookie plus its CSRF token."""
    token = await service.start_session(session, user=user, ip=client_ip(request),
                                        user_agent=request.headers.get("user-agent"))
    if cookie:
        set_session_cookie(request, response, token)
        return TokenRead(access_token=None, csrf_token=csrf_token(request, token))
    return TokenRead(access_token=token)


@router.post("/login", summary="Sign in (step 1: email and password)", responses=THROTTLED)
async def login(data: LoginRequest, request: Request, response: Response, session: SessionDep) -> TokenRead:
    """Returns a bearer token, or sets the session cookie (`cookie: true`). For accounts with two-factor
    authentication, returns `two_factor_required` and a `challenge_token` for `POST /login/2fa` instead.
    Failed attempts are throttled per account and per IP (429 with `Retry-After`)."""
    throttle = throttle_for(request.app.state)
    keys = [account_key(data.email), ip_key(client_ip(request))]
    await check(throttle, keys)
    user = await service.authenticate_user(session, data.email, data.password)
    if user is None:
        raise NotAuthenticated("Wrong email or password.")
    await throttle.succeeded(keys)
    if await twofactor.is_enrolled(session, user.id):
        return TokenRead(two_factor_required=True, challenge_token=await twofactor.start_challenge(session, user))
    await audit(session, user, request, "auth.login", "user", user.id)
    return await issue_session(session, request, response, user, cookie=data.cookie)


@router.post("/login/2fa", summary="Sign in (step 2: two-factor code)", responses=THROTTLED)
async def login_second_factor(data: TwoFactorLoginRequest, request: Request, response: Response,
                              session: SessionDep) -> TokenRead:
    """Finish a sign-in with a TOTP code or a recovery code (each recovery code works once)."""
    challenge = await twofactor.challenge_user(session, data.challenge_token)
    user = await session.get(User, challenge.user_id)
    throttle = throttle_for(request.app.state)
    keys = [account_key(user.email), ip_key(client_ip(request))]
    await check(throttle, keys)
    settings = request.app.state.settings
    if not await twofactor.verify_second_factor(session, settings, user.id, data.code):
        async with store_session(request.app.state.sessionmaker, None) as counter:  # survives the rollback
            await counter.execute(update(LoginChallenge).where(LoginChallenge.id == challenge.id)
                                  .values(attempts=LoginChallenge.attempts + 1))
        raise NotAuthenticated("The code is not valid.")
    challenge.used_at = utcnow()
    user.last_login_at = utcnow()
    await audit(session, user, request, "auth.login", "user", user.id, {"second_factor": True})
    return await issue_session(session, request, response, user, cookie=data.cookie)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the current session")
async def logout(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    token = _bearer_or_cookie(request)
    if token:
        await service.end_session(session, token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", summary="The signed-in user and the stores they work for")
async def me(user: CurrentUser, session: SessionDep) -> MeRead:
    async with across_stores(session):  # a user's memberships span stores, by nature
        rows = (await session.execute(
            select(Store.slug, Store.name, StaffMembership.role)
            .join(Store, Store.id == StaffMembership.store_id)
            .where(StaffMembership.user_id == user.id).order_by(Store.slug)
        )).all()
    return MeRead(id=user.id, email=user.email, full_name=user.full_name, is_platform_admin=user.is_platform_admin,
                  two_factor_enabled=await twofactor.is_enrolled(session, user.id),
                  stores=[MembershipRead(store_slug=s, store_name=n, role=r) for s, n, r in rows])


@router.post("/password", summary="Change the password (ends every session)")
async def change_password(data: PasswordChange, request: Request, response: Response, session: SessionDep,
                          principal: CurrentPrincipal, user: CurrentUser) -> TokenRead:
    """Every session of the account, on every device, is revoked; a fresh one is returned for this client."""
    await service.change_password(session, user, data.current_password, data.new_password)
    await audit(session, user, request, "auth.password_change", "user", user.id)
    return await issue_session(session, request, response, user, cookie=principal.via_cookie)


def reset_instructions(confirm_url: str, token: str, reference_url: str) -> str:
    """How a reset mail's reader sets the new password: the API call that spends the token (the
    dashboard and the storefront's account pages have no reset page to link to)."""
    return (f"Within one hour, send this token with your new password to the API:\n\n"
            f"  POST {confirm_url}\n"
            f'  {{"token": "{token}", "new_password": "…"}}\n\n'
            f"The API reference, {reference_url}, can send it from your browser.\n\n")


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, summary="Ask for a password reset mail",
             responses=THROTTLED)
async def request_password_reset(data: PasswordResetRequest, request: Request, session: SessionDep) -> AcceptedRead:
    """Mails a single-use link, valid for one hour. The answer is the same whether or not the account
    exists. Limited per address and per IP."""
    throttle = throttle_for(request.app.state)
    keys = [ThrottleKey("reset:" + account_key(data.email).key, 5), ThrottleKey(f"reset:ip:{client_ip(request)}", 20)]
    await check(throttle, keys)  # every request counts: the form must not become a mail cannon
    started = await service.start_password_reset(session, data.email)
    if started is not None:
        user, token = started
        settings = request.app.state.settings
        base = str(request.base_url).rstrip("/")
        await queue_mail(session, settings, to=user.email, subject="Reset your PyCommerce password", text=(
            f"Someone (hopefully you) asked to reset the password of {user.email}.\n\n"
            + reset_instructions(f"{base}/api/v1/auth/password-reset/confirm", token, f"{base}/docs")
            + "If you did not ask for this, ignore this message: your password stays as it is.\n"))
        await audit(session, user, request, "auth.password_reset_request", "user", user.id)
        state = request.app.state
        after_commit(session, lambda: send_pending_mail(state.sessionmaker, state.settings))
    return AcceptedRead(detail="If the account exists, a reset link is on its way.")


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT,
             summary="Set a new password with a reset token")
async def confirm_password_reset(data: PasswordResetConfirm, request: Request, session: SessionDep) -> Response:
    """Spends the token (it works once, for one hour) and ends every session of the account."""
    user = await service.finish_password_reset(session, data.token, data.new_password)
    await audit(session, user, request, "auth.password_reset", "user", user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/2fa/enroll", summary="Start two-factor enrolment (TOTP)")
async def enroll_2fa(request: Request, session: SessionDep, user: CurrentUser) -> TotpEnrollRead:
    """Returns the seed as an otpauth URI and a QR code; confirm with a first code to activate."""
    secret, uri, svg = await twofactor.enroll(session, request.app.state.settings, user)
    await audit(session, user, request, "auth.2fa_enroll_start", "user", user.id)
    return TotpEnrollRead(secret=secret, otpauth_uri=uri, qr_svg=svg)


@router.post("/2fa/confirm", summary="Activate two-factor with a first code")
async def confirm_2fa(data: TotpCode, request: Request, session: SessionDep, principal: CurrentPrincipal,
                      user: CurrentUser) -> RecoveryCodesRead:
    """Returns ten recovery codes, shown once. Other sessions of the account are ended (they were
    opened without the second factor)."""
    codes = await twofactor.confirm(session, request.app.state.settings, user, data.code)
    await service.end_other_sessions_of_user(session, user.id, keep_session_id=principal.auth_session_id)
    await audit(session, user, request, "auth.2fa_enable", "user", user.id)
    return RecoveryCodesRead(recovery_codes=codes)


@router.post("/2fa/recovery-codes", summary="Replace the recovery codes")
async def regenerate_recovery_codes(data: TotpCode, request: Request, session: SessionDep,
                                    user: CurrentUser) -> RecoveryCodesRead:
    if not await twofactor.verify_second_factor(session, request.app.state.settings, user.id, data.code):
        raise NotAuthenticated("The code is not valid.")
    codes = await twofactor.new_recovery_codes(session, user)
    await audit(session, user, request, "auth.2fa_recovery_codes", "user", user.id)
    return RecoveryCodesRead(recovery_codes=codes)


@router.post("/2fa/disable", status_code=status.HTTP_204_NO_CONTENT, summary="Turn two-factor off")
async def disable_2fa(data: TotpCode, request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Needs a current code (or a recovery code). Stores requiring two-factor will refuse the account."""
    await twofactor.disable(session, request.app.state.settings, user, data.code)
    await audit(session, user, request, "auth.2fa_disable", "user", user.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/security-events", summary="Recent security events of my account")
async def security_events(session: SessionDep, user: CurrentUser,
                          after: Annotated[int | None, Query(ge=1, le=2**31 - 1, examples=[120], description=(
                              "Cursor: the last (lowest) id of the previous page."))] = None,
                          limit: Annotated[int, Query(ge=1, le=100, description="Page size.", examples=[50])] = 50,
                          ) -> list[AccountEventRead]:
    """Sign-ins, password and two-factor changes, newest first (keyset-paginated by id)."""
    query = (select(AccountAuditEntry).where(AccountAuditEntry.subject_user_id == user.id)
             .order_by(AccountAuditEntry.id.desc()).limit(limit))
    if after is not None:
        query = query.where(AccountAuditEntry.id < after)
    return [AccountEventRead.model_validate(r) for r in (await session.execute(query)).scalars()]
