"""Who may call what: every account, staff, API-key and audit route, called as every kind of caller.

Callers: anonymous, a customer of the store, its staff, manager and owner, another store's owner, an
API key of the store with every scope ("with scope") and one with only ``catalog:read`` ("without").
Each must get exactly the answer its role allows. Public routes (sign-in, sign-up, reset requests)
are covered in their own tests.
"""

from __future__ import annotations

import pytest

from kernel.accounts.apikeys import create_api_key
from tests.kernel.accounts.conftest import ROLES, client_at, fresh_ip, quick_staff
from tests.support.factory import unique


def expect(anonymous, customer, staff, manager, owner, other_owner, key_with_scope, key_without_scope):
    return dict(zip(ROLES, (anonymous, customer, staff, manager, owner, other_owner, key_with_scope,
                            key_without_scope)))


def owner_only(ok):
    return expect(401, 401, 403, 403, ok, 404, 403, 403)


def person(ok):
    """Platform-level account routes: any signed-in person; customers and keys are not accounts."""
    return expect(401, 401, ok, ok, ok, ok, 401, 401)


async def new_staff_member(factory, world):
    return (await quick_staff(factory, world.store, "staff")).user.id


async def new_key(factory, world):
    async with factory.session(world.store) as session:
        key, _ = await create_api_key(session, name="target", scopes=["catalog:read"], created_by_user_id=None)
    return key.id


async def nothing(factory, world):
    return None


S = "/api/v1/stores/{slug}"
# (method, path, make a path object, body, expected statuses)
ROUTES = {
    "staff.list": ("GET", S + "/staff", nothing, None, owner_only(200)),
    "staff.add": ("POST", S + "/staff", nothing, lambda: {"email": f"{unique('n')}@example.com", "role": "staff"},
                  owner_only(201)),
    "staff.update": ("PATCH", S + "/staff/{obj}", new_staff_member, lambda: {"role": "manager"}, owner_only(200)),
    "staff.remove": ("DELETE", S + "/staff/{obj}", new_staff_member, None, owner_only(204)),
    "api_keys.list": ("GET", S + "/api-keys", nothing, None, owner_only(200)),
    "api_keys.create": ("POST", S + "/api-keys", nothing, lambda: {"name": "k", "scopes": ["orders:read"]},
                        owner_only(201)),
    "api_keys.revoke": ("DELETE", S + "/api-keys/{obj}", new_key, None, owner_only(200)),
    "security.read": ("GET", S + "/security-settings", nothing, None, owner_only(200)),
    "security.update": ("PATCH", S + "/security-settings", nothing, lambda: {"require_staff_2fa": False},
                        owner_only(200)),
    "audit.list": ("GET", S + "/audit-log", nothing, None, expect(401, 401, 403, 200, 200, 404, 200, 403)),
    "customers.list": ("GET", S + "/customers", nothing, None, expect(401, 401, 200, 200, 200, 404, 200, 403)),
    "customers.me": ("GET", S + "/customers/me", nothing, None, expect(401, 200, 401, 401, 401, 401, 401, 401)),
    "auth.me": ("GET", "/api/v1/auth/me", nothing, None, person(200)),
    "auth.logout": ("POST", "/api/v1/auth/logout", nothing, None, person(204)),
    "auth.password": ("POST", "/api/v1/auth/password", nothing,
                      lambda: {"current_password": "correct-horse-9", "new_password": "another long passphrase"},
                      person(200)),
    "auth.2fa_enroll": ("POST", "/api/v1/auth/2fa/enroll", nothing, None, person(200)),
    # Allowed to try, but nothing to confirm or disable yet: 409 says "authorised, wrong state".
    "auth.2fa_confirm": ("POST", "/api/v1/auth/2fa/confirm", nothing, lambda: {"code": "123456"}, person(409)),
    "auth.2fa_disable": ("POST", "/api/v1/auth/2fa/disable", nothing, lambda: {"code": "123456"}, person(409)),
    "auth.2fa_recovery_codes": ("POST", "/api/v1/auth/2fa/recovery-codes", nothing, lambda: {"code": "123456"},
                                person(401)),
    "auth.security_events": ("GET", "/api/v1/auth/security-events", nothing, None, person(200)),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_role_matrix(route, app, factory, world):
    method, path, make, body, expected = ROUTES[route]
    got = {}
    async with client_at(app, fresh_ip()) as client:
        for role in ROLES:
            obj = await make(factory, world)
            url = path.format(slug=world.store.slug, obj=obj)
            response = await client.request(method, url, headers=world.headers(role),
                                            json=body() if body else None)
            got[role] = response.status_code
    assert got == expected


def test_matrix_covers_every_account_route(app):
    """A new account/staff/key/audit route must be added to the matrix."""
    covered = {(m, p.replace("{slug}", "{store_slug}").replace("{obj}", "")) for m, p, *_ in ROUTES.values()}
    public = {"/api/v1/auth/login", "/api/v1/auth/login/2fa", "/api/v1/auth/password-reset",
              "/api/v1/auth/password-reset/confirm", "/api/v1/stores/{store_slug}/customers/register",
              "/api/v1/stores/{store_slug}/customers/login", "/api/v1/stores/{store_slug}/customers/password-reset",
              "/api/v1/stores/{store_slug}/customers/password-reset/confirm"}
    mine = ("/api/v1/auth", "/api/v1/stores/{store_slug}/staff", "/api/v1/stores/{store_slug}/api-keys",
            "/api/v1/stores/{store_slug}/security-settings", "/api/v1/stores/{store_slug}/audit-log",
            "/api/v1/stores/{store_slug}/customers")
    routes = {(m.upper(), p.split("/{user_id}")[0].split("/{api_key_id}")[0] + ("/" if "_id}" in p else ""))
              for p, ops in app.openapi()["paths"].items() if p.startswith(mine) and p not in public for m in ops}
    assert routes == covered
