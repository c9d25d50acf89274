"""Drawing a dashboard page: the layout's context, flash messages, CSRF fields and redirects.

* Every form carries the CSRF token of the staff cookie's session (``{{ csrf_input() }}``).
  Forms shown before sign-in (login, password reset) have no session yet: the browser gets a
  random ``pyc_admin_form`` cookie and the token is the same HMAC over it, checked by
  :func:`check_signed_out_form`.
* A change that worked redirects (303) with a flash message, carried to the next page in a
  short-lived cookie signed with the deployment's key (so no other site can plant a message).
* A refused change shows the form again with each error beside its field (:func:`field_errors`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from kernel.accounts.csrf import CSRF_FIELD, csrf_token_for_session
from kernel.admin.assets import asset_url
from kernel.admin.guards import ADMIN_COOKIE, ADMIN_PATH
from kernel.errors import PermissionDenied
from kernel.security import new_token
from plugin_sdk.money import format_money

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals["asset_url"] = asset_url

FLASH_COOKIE = "pyc_admin_flash"
FORM_COOKIE = "pyc_admin_form"
LEVELS = ("success", "info", "warning", "danger")


def _secret(request: Request) -> bytes:
    return request.app.state.settings.secret_key.get_secret_value().encode()


def _set_cookie(request: Request, response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=ADMIN_PATH, httponly=True, samesite="lax",
                        secure=request.app.state.settings.env == "production")


# --- CSRF ---------------------------------------------------------------------------------------

def _form_token(request: Request) -> str:
    """The pre-sign-in browser token: its cookie, or a new one (set by :func:`render`)."""
    token = getattr(request.state, "admin_form_token", None) or request.cookies.get(FORM_COOKIE)
    if not token:
        token = new_token("pcf_")
    request.state.admin_form_token = token
    return token


def csrf_value(request: Request) -> str:
    """The token this page's forms carry: the signed-in session's, else the browser's form token (a
    stale staff cookie, say after its session expired, must not make the sign-in form unusable)."""
    principal = getattr(request.state, "principal", None)
    signed_in = principal is not None and principal.user is not None
    session_token = request.cookies.get(ADMIN_COOKIE) if signed_in else None
    return csrf_token_for_session(_secret(request), session_token or _form_token(request))


def check_signed_out_form(request: Request, form) -> None:
    """Refuse a sign-in or reset form that did not come from this browser's dashboard page."""
    browser = request.cookies.get(FORM_COOKIE)
    sent = form.get(CSRF_FIELD)
    expected = csrf_token_for_session(_secret(request), browser) if browser else ""
    if not browser or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PermissionDenied("This form has expired. Reload the page and try again.")


# --- flash messages -------------------------------------------------------------------------------

def _sign(request: Request, payload: str) -> str:
    return hmac.new(_secret(request), b"admin-flash:" + payload.encode(), hashlib.sha256).hexdigest()


def _read_flashes(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE, "")
    payload, _, signature = raw.rpartition(".")
    if not payload or not hmac.compare_digest(signature.encode(), _sign(request, payload).encode()):
        return []
    try:
        items = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return []
    return [{"level": level if level in LEVELS else "info", "message": str(message)} for level, message in items]


def redirect(request: Request, url: str, message: str | None = None, level: str = "success") -> RedirectResponse:
    """See ``url`` (303), with ``message`` shown there once."""
    response = RedirectResponse(url, status_code=303)
    if message:
        payload = base64.urlsafe_b64encode(json.dumps([[level, message]]).encode()).decode()
        _set_cookie(request, response, FLASH_COOKIE, f"{payload}.{_sign(request, payload)}", max_age=120)
    return response


# --- pages ------------------------------------------------------------------------------------------

def money_formatter(currency: str, locale: str):
    babel_locale = locale.replace("-", "_")
    return lambda amount: format_money(amount or 0, currency, babel_locale)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page of the dashboard. ``context`` may hold ``nav`` (the layout's navigation, from
    :func:`kernel.admin.layout.layout`); forms get ``csrf_input()`` and ``errors`` by field."""
    flashes = _read_flashes(request)
    token = csrf_value(request)
    response = templates.TemplateResponse(request, name, {
        "flashes": flashes, "errors": {}, "values": {}, "csrf_token": token,
        "csrf_input": lambda: Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token),
        **context}, status_code=status_code)
    if flashes or FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=ADMIN_PATH)
    made = getattr(request.state, "admin_form_token", None)
    if made and request.cookies.get(FORM_COOKIE) != made:
        _set_cookie(request, response, FORM_COOKIE, made)
    response.headers["Cache-Control"] = "no-store"  # staff data never sits in a shared cache
    return response


def field_errors(errors) -> dict[str, str]:
    """Pydantic's or a domain error's errors by form field (``["body", "settings", "rates", 0, "rate_bp"]``
    → ``settings.rates.0.rate_bp``), for the page to show each beside its field."""
    shown: dict[str, str] = {}
    for error in errors or ():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        shown.setdefault(".".join(loc) or "form", error.get("msg", "invalid"))
    return shown
