"""What every storefront page shares: the store from the request's host (custom domain or subdomain),
the theme's templates with the store's plugins' before them, and problems shown as pages. The pages
themselves are in :mod:`kernel.storefront.shop`."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kernel.deps import SessionDep
from kernel.errors import NotFound
from kernel.observability import store_slug_var
from kernel.tenancy import StoreContext, StoreSuspended, resolve_store

THEMES_DIR = Path(__file__).resolve().parents[2] / "themes"
templates = Jinja2Templates(directory=str(THEMES_DIR / "default" / "templates"))


async def storefront_store(request: Request, session: SessionDep) -> StoreContext | HTMLResponse:
    settings = request.app.state.settings
    try:
        context = await resolve_store(session, host=request.headers.get("host", ""),
                                      platform_domain=settings.platform_domain)
    except StoreSuspended:
        return templates.TemplateResponse(request, "suspended.html", {}, status_code=503)
    except NotFound:
        host = request.headers.get("host", "")
        if request.url.path == "/" and _is_platform_host(host, settings.platform_domain):
            return platform_home(request, host, settings.platform_domain)
        return templates.TemplateResponse(request, "unknown_store.html", {}, status_code=404)
    request.state.store_slug = context.slug
    store_slug_var.set(context.slug)
    return context


def _is_platform_host(host: str, platform_domain: str) -> bool:
    """The platform's own address (an IP, ``localhost`` or the platform domain), where no store lives."""
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    hostname = hostname.strip("[]").lower().rstrip(".")
    if hostname in ("localhost", platform_domain.lower()):
        return True
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


def platform_home(request: Request, host: str, platform_domain: str) -> HTMLResponse:
    """``/`` on the platform's own address: where the storefronts and the API reference are, so
    that a first visit after ``make run`` is not a dead end."""
    port = host[host.rindex(":"):] if ":" in host and not host.endswith("]") else ""
    return templates.TemplateResponse(request, "platform_home.html",
                                      {"platform_domain": platform_domain, "port": port})


def problem_page(request: Request, status: int, title: str, detail: str | None,
                 headers: dict[str, str] | None, *, errors: list[dict] | None = None) -> HTMLResponse:
    """A problem (:func:`kernel.errors.problem_response`) as a page of the default theme, for
    browsers: the shopper reads what happened and what to do, never a JSON document. A request
    that was not valid lists each field at fault with what is wrong with it."""
    fields = [{"field": _field_name(error.get("loc", ())), "message": error.get("msg", "")} for error in errors or ()]
    return templates.TemplateResponse(request, "problem.html", {"title": title, "detail": detail, "fields": fields,
                                                                "request_id": getattr(request.state, "request_id", None)},
                                      status_code=status, headers=headers)


_REQUEST_PARTS = frozenset({"query", "body", "path", "header", "cookie"})


def _field_name(loc) -> str:
    """``["query", "page"]`` → ``page``; ``["body", "lines", 0, "quantity"]`` → ``lines.0.quantity``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in _REQUEST_PARTS:
        parts = parts[1:]
    return ".".join(parts) or "request"


async def store_page(request: Request, session: SessionDep, store: StoreContext, name: str, context: dict):
    """Render with the store's environment: its enabled plugins' template folders first, then the theme.

    A plugin disabled for the store contributes nothing, so its templates vanish there.
    """
    from kernel.plugins import store_hooks
    from kernel.plugins.templates import store_templates

    environment = await store_templates(await store_hooks(session, store), THEMES_DIR / "default" / "templates")
    return environment.TemplateResponse(request, name, {"store": store, **context})
