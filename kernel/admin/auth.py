"""Signing in and out of the dashboard: password, the TOTP step, password reset from the mailed link.

Each page calls the API's own endpoint functions (:mod:`kernel.accounts.api`), so throttling, the
second factor, replayed codes, audit entries and the reset mail are exactly the API's; this module
only turns forms into their requests and their answers into pages. The session it starts is a
bearer-style token kept in the dashboard's own cookie (:data:`kernel.admin.guards.ADMIN_COOKIE`).
"""

from __future__ import annotations

from fastapi import Request, Response
from pydantic import ValidationError

from kernel.accounts import api as accounts_api
from kernel.accounts import service
from kernel.accounts.schemas import LoginRequest, PasswordResetConfirm, PasswordResetRequest, TwoFactorLoginRequest
from kernel.admin.changes import refusable
from kernel.admin.guards import ADMIN_COOKIE, ADMIN_PATH, PlatformHost, SignedIn
from kernel.admin.rendering import check_signed_out_form, field_errors, redirect, render
from kernel.deps import SessionDep
from kernel.errors import DomainError, NotAuthenticated, TooManyRequests
from kernel.routing import KernelRouter

router = KernelRouter(prefix=ADMIN_PATH, include_in_schema=False, dependencies=[PlatformHost])


def safe_next(target: str | None) -> str:
    """Only a dashboard path: a sign-in link must not bounce the browser to another site."""
    if target and target.startswith(ADMIN_PATH) and not target.startswith("//") and "\\" not in target:
        return target
    return ADMIN_PATH


def _throttled(error: TooManyRequests) -> str:
    wait = int((error.headers or {}).get("Retry-After", "60"))
    return f"Too many attempts. Wait {max(1, round(wait / 60))} minute(s) and try again."


def _sign_in(request: Request, token: str, target: str) -> Response:
    response = redirect(request, safe_next(target))
    response.set_cookie(ADMIN_COOKIE, token, max_age=int(service.SESSION_LIFETIME.total_seconds()), path=ADMIN_PATH,
                        httponly=True, samesite="lax", secure=request.app.state.settings.env == "production")
    return response


@router.get("/login")
async def login_page(request: Request, next: str | None = None):
    return render(request, "auth/login.html", {"next": safe_next(next)})


@router.post("/login")
async def login(request: Request, session: SessionDep):
    form = await request.form()
    check_signed_out_form(request, form)
    target, email = str(form.get("next") or ""), str(form.get("email") or "")
    page = {"next": safe_next(target), "values": {"email": email}}
    try:
        data = LoginRequest(email=email, password=str(form.get("password") or ""))
        # No savepoint: a refused sign-in has written nothing in this transaction (the throttle
        # counts in a transaction of its own, which on SQLite a savepoint opened first would
        # make this one's later writes collide with).
        answer = await accounts_api.login(data, request, Response(), session)
    except ValidationError as invalid:
        return render(request, "auth/login.html", {**page, "errors": field_errors(invalid.errors())}, 422)
    except TooManyRequests as error:
        return render(request, "auth/login.html", {**page, "errors": {"form": _throttled(error)}}, 429)
    except NotAuthenticated as error:
        return render(request, "auth/login.html", {**page, "errors": {"form": error.detail}}, 401)
    if answer.two_factor_required:
        return render(request, "auth/two_factor.html", {"next": page["next"], "challenge": answer.challenge_token})
    return _sign_in(request, answer.access_token, target)


@router.post("/login/2fa")
async def login_second_factor(request: Request, session: SessionDep):
    form = await request.form()
    check_signed_out_form(request, form)
    target, challenge = str(form.get("next") or ""), str(form.get("challenge_token") or "")
    page = {"next": safe_next(target), "challenge": challenge}
    try:
        data = TwoFactorLoginRequest(challenge_token=challenge, code=str(form.get("code") or "").strip())
        answer = await accounts_api.login_second_factor(data, request, Response(), session)  # as login: no savepoint
    except ValidationError as invalid:
        return render(request, "auth/two_factor.html", {**page, "errors": field_errors(invalid.errors())}, 422)
    except TooManyRequests as error:
        return render(request, "auth/two_factor.html", {**page, "errors": {"code": _throttled(error)}}, 429)
    except NotAuthenticated as error:
        if "challenge" in (error.detail or ""):  # expired or used up: start again
            return redirect(request, f"{ADMIN_PATH}/login", error.detail, "warning")
        return render(request, "auth/two_factor.html", {**page, "errors": {"code": error.detail}}, 401)
    return _sign_in(request, answer.access_token, target)


@router.post("/logout")
async def logout(request: Request, session: SessionDep, principal: SignedIn):
    await service.end_session(session, request.cookies[ADMIN_COOKIE])
    response = redirect(request, f"{ADMIN_PATH}/login", "You are signed out.", "info")
    response.delete_cookie(ADMIN_COOKIE, path=ADMIN_PATH)
    return response


@router.post("/logout-everywhere")
async def logout_everywhere(request: Request, session: SessionDep, principal: SignedIn):
    """Ends every session of the account, on every device (and every API token it holds)."""
    await service.end_all_sessions_of_user(session, principal.user.id)
    response = redirect(request, f"{ADMIN_PATH}/login", "You are signed out on every device.", "info")
    response.delete_cookie(ADMIN_COOKIE, path=ADMIN_PATH)
    return response


@router.get("/password-reset")
async def password_reset_page(request: Request, token: str | None = None):
    """The mailed link lands here (``?token=…``): choose a new password. Without a token: ask for a mail."""
    if token:
        return render(request, "auth/reset_confirm.html", {"token": token})
    return render(request, "auth/reset_request.html", {})


@router.post("/password-reset")
async def request_password_reset(request: Request, session: SessionDep):
    form = await request.form()
    check_signed_out_form(request, form)
    email = str(form.get("email") or "")
    try:
        data = PasswordResetRequest(email=email)
        answer = await accounts_api.request_password_reset(data, request, session)
    except ValidationError as invalid:
        return render(request, "auth/reset_request.html",
                      {"values": {"email": email}, "errors": field_errors(invalid.errors())}, 422)
    except TooManyRequests as error:
        return render(request, "auth/reset_request.html",
                      {"values": {"email": email}, "errors": {"email": _throttled(error)}}, 429)
    return redirect(request, f"{ADMIN_PATH}/login", answer.detail, "info")


@router.post("/password-reset/confirm")
async def confirm_password_reset(request: Request, session: SessionDep):
    form = await request.form()
    check_signed_out_form(request, form)
    token = str(form.get("token") or "")
    password, repeated = str(form.get("new_password") or ""), str(form.get("repeat_password") or "")
    if password != repeated:
        return render(request, "auth/reset_confirm.html",
                      {"token": token, "errors": {"repeat_password": "The two passwords differ."}}, 422)
    try:
        data = PasswordResetConfirm(token=token, new_password=password)
        async with refusable(session):
            await accounts_api.confirm_password_reset(data, request, session)
    except ValidationError as invalid:
        return render(request, "auth/reset_confirm.html", {"token": token, "errors": field_errors(invalid.errors())},
                      422)
    except DomainError as refused:
        return render(request, "auth/reset_confirm.html", {"token": token, "errors": {"form": refused.detail}},
                      refused.status)
    return redirect(request, f"{ADMIN_PATH}/login", "Your password is changed. Sign in with the new one.")
