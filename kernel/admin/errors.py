"""The dashboard's own error pages: a signed-out visitor is sent to sign in, everyone else reads what
happened (403: not allowed, 404: not found…) inside the dashboard's look, never a JSON document."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from kernel.admin.guards import ADMIN_PATH
from kernel.admin.rendering import render


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PATH or path.startswith(ADMIN_PATH + "/")


def admin_problem_page(request: Request, status: int, title: str, detail: str | None,
                       headers: dict[str, str] | None, *, errors: list[dict] | None = None):
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{ADMIN_PATH}/login?next={quote(target, safe='')}", status_code=303)
    response = render(request, "error.html", {"status": status, "title": title, "detail": detail,
                                              "request_id": getattr(request.state, "request_id", None)},
                      status_code=status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def problem_pages(storefront_page):
    """The app's page renderer for problems: the dashboard's for its paths, the storefront's elsewhere."""

    def page(request: Request, status: int, title: str, detail: str | None, headers: dict[str, str] | None,
             *, errors: list[dict] | None = None):
        render_page = admin_problem_page if is_admin_path(request.url.path) else storefront_page
        return render_page(request, status, title, detail, headers, errors=errors)

    return page
