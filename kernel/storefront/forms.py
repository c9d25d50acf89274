"""The storefront's forms: who is filling them in, and proof that the store's own page sent them.

A shopper browsing as a guest has no sign-in session for :mod:`kernel.accounts.csrf` to bind a
token to, so the storefront gives each browser a random *visitor* cookie (``pyc_visitor``,
HttpOnly, SameSite=Lax) the first time it shows a page with a form. Every form that changes
something carries ``csrf_token``, an HMAC of the visitor token's digest under the deployment's
secret key: nothing is stored, another site cannot compute it, and a post without it (or from a
browser whose cookie changed) is refused with a page that says to reload and try again.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response
from markupsafe import Markup

from kernel.accounts.csrf import CSRF_FIELD
from kernel.errors import PermissionDenied
from kernel.security import new_token, token_digest

VISITOR_COOKIE = "pyc_visitor"
VISITOR_MAX_AGE = 60 * 60 * 24 * 365


class FormExpired(PermissionDenied):
    code = "form-expired"


def visitor_token(request: Request) -> str:
    """The browser's visitor token: its cookie, or a new one (set on the response by
    :func:`keep_visitor`)."""
    token = getattr(request.state, "visitor", None)
    if token is None:
        token = request.cookies.get(VISITOR_COOKIE) or new_token("pcv_")
        request.state.visitor = token
    return token


def keep_visitor(request: Request, response: Response) -> Response:
    """Set the visitor cookie when this request made the token up."""
    token = getattr(request.state, "visitor", None)
    if token is not None and request.cookies.get(VISITOR_COOKIE) != token:
        response.set_cookie(VISITOR_COOKIE, token, max_age=VISITOR_MAX_AGE, httponly=True, samesite="lax")
    return response


def _expected(request: Request, visitor: str) -> str:
    secret = request.app.state.settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"storefront-form:" + token_digest(visitor).encode(), hashlib.sha256).hexdigest()


def form_token_input(request: Request) -> Markup:
    """The hidden field every storefront form carries (``{{ csrf_input(request) }}`` in templates)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, _expected(request,
                                                                                                visitor_token(request)))


def check_form(request: Request, form) -> None:
    """Refuse a post that did not come from one of this browser's storefront pages."""
    visitor = request.cookies.get(VISITOR_COOKIE)
    sent = form.get(CSRF_FIELD)
    if not visitor or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(),
                                                                           _expected(request, visitor).encode()):
        raise FormExpired("This form has expired or did not come from this shop. Reload the page and try again.")
