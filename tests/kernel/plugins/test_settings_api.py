"""Plugin settings through the API: validation, encryption at rest, masking, logs, and key rotation."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from sqlalchemy import delete, text

from kernel.plugins.settings import MASK, SECRET_MARK, box_from
from kernel.security import SecretBox
from kernel.plugins import rotate_secrets
from kernel.db import cross_store_session
from kernel.plugins.models import PlatformPluginSettings

SECRET = "sk_live_TOPSECRET_0123456789"
PLATFORM_SECRET = "sk_live_PLATFORMSECRET_9876543210"


def url(store, plugin_id="greeter", suffix=""):
    return f"/api/v1/stores/{store.slug}/plugins/{plugin_id}{suffix}"


async def raw_settings(factory, store, plugin_id="greeter") -> dict:
    """The settings column as stored, read with plain SQL (bypassing the ORM)."""
    async with factory.session(store) as session:
        value = (await session.execute(
            text("select settings from store_plugins where store_id = :s and plugin_id = :p"),
            {"s": store.id, "p": plugin_id})).scalar_one()
    return value if isinstance(value, dict) else json.loads(value)


async def test_enable_configure_disable_through_the_api(client, factory, greeter):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    listed = (await client.get(f"/api/v1/stores/{store.slug}/plugins", headers=owner.headers)).json()
    greeter_row = next(p for p in listed if p["id"] == "greeter")
    assert greeter_row["enabled"] is False
    assert greeter_row["settings_schema"]["properties"]["api_key"]["writeOnly"] is True
    response = await client.put(url(store), json={"settings": {"greeting": "hey", "api_key": SECRET}},
                                headers=owner.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["enabled"] is True and body["settings"] == {"greeting": "hey", "rate": 500, "api_key": MASK}
    response = await client.patch(url(store, suffix="/settings"), json={"rate": 750, "api_key": MASK},
                                  headers=owner.headers)
    assert response.json()["settings"] == {"greeting": "hey", "rate": 750, "api_key": MASK}
    assert box_from_app(client).decrypt((await raw_settings(factory, store))["api_key"][SECRET_MARK]) == SECRET
    response = await client.delete(url(store), headers=owner.headers)
    assert response.json()["enabled"] is False
    schema = (await client.get(url(store, suffix="/settings/schema"), headers=owner.headers)).json()
    assert set(schema["settings_schema"]["properties"]) == {"greeting", "rate", "api_key"}


def box_from_app(client) -> SecretBox:
    return box_from(client._transport.app.state.settings)


async def test_invalid_settings_answer_422_with_field_errors_and_no_input(client, factory, greeter):
    store = await factory.store()
    owner = await factory.staff(store, "owner")
    response = await client.put(url(store), json={"settings": {"rate": "lots", "api_key": ["nope"],
                                                               "unknown": SECRET}}, headers=owner.headers)
    assert response.status_code == 422
    problem = response.json()
    assert {tuple(e["loc"]) for e in problem["errors"]} == {
        ("body", "settings", "rate"), ("body", "settings", "api_key"), ("body", "settings", "unknown")}
    assert SECRET not in response.text and "lots" not in response.text
    nul = await client.patch(url(store, suffix="/settings"), json={"greeting": "a\x00b"}, headers=owner.headers)
    assert nul.status_code == 422
    assert (await client.get(url(store), headers=owner.headers)).json()["enabled"] is False


async def test_secret_is_encrypted_masked_everywhere_and_never_logged(client, factory, greeter, caplog):
    store = await factory.store()
    owner, admin = await factory.staff(store, "owner"), await factory.admin()
    caplog.set_level(logging.DEBUG)
    responses = [await client.put(url(store), json={"settings": {"api_key": SECRET}}, headers=owner.headers)]
    responses.append(await client.patch(url(store, suffix="/settings"), json={"api_key": SECRET + "x" * 500},
                                        headers=owner.headers))  # fine: no max length on the secret
    responses.append(await client.patch(url(store, suffix="/settings"), json={"api_key": SECRET, "rate": -1},
                                        headers=owner.headers))  # 422
    responses.append(await client.get(url(store), headers=owner.headers))
    responses.append(await client.get(f"/api/v1/stores/{store.slug}/plugins", headers=owner.headers))
    responses.append(await client.get("/api/v1/platform/plugins", headers=admin.headers))
    assert [r.status_code for r in responses] == [200, 200, 422, 200, 200, 200]
    for response in responses:
        assert SECRET not in response.text
    stored = await raw_settings(factory, store)
    assert set(stored["api_key"]) == {SECRET_MARK} and SECRET not in json.dumps(stored)
    from tests.kernel.plugins.helpers import hooks_of

    assert (await hooks_of(factory, store)).settings_of("greeter").api_key.get_secret_value() == SECRET + "x" * 500
    assert SECRET not in caplog.text
    platform = next(p for p in responses[-1].json() if p["id"] == "greeter")
    assert store.slug in platform["enabled_in"] and "pyc_shipping_rates" in platform["hooks"]


async def test_only_owners_manage_plugins(client, factory, greeter):
    store = await factory.store()
    manager = await factory.staff(store, "manager")
    assert (await client.put(url(store), json={}, headers=manager.headers)).status_code == 403
    assert (await client.get("/api/v1/platform/plugins", headers=manager.headers)).status_code == 403
    assert (await client.put(url(store, "not-installed"), json={},
                             headers=(await factory.staff(store, "owner")).headers)).status_code == 404


async def test_rotation_re_encrypts_under_the_new_key(factory, greeter, settings, database):
    store = await factory.store()
    async with factory.session(store) as session:
        from kernel.plugins import enable_plugin

        await enable_plugin(session, "greeter", {"api_key": SECRET})
    async with cross_store_session(factory.sessionmaker) as session:  # a platform default's secret too
        from kernel.plugins.service import configure_platform_plugin

        await configure_platform_plugin(session, "greeter", {"api_key": PLATFORM_SECRET})
    old_key = settings.secret_key.get_secret_value()
    new_key = "rotated-key-for-the-test-0123456789"
    env = {**os.environ, "PYCOMMERCE_DATABASE_URL": database.url,
           "PYCOMMERCE_PLATFORM_DATABASE_URL": database.platform_url, "PYCOMMERCE_SECRET_KEY": new_key,
           "PYCOMMERCE_PREVIOUS_SECRET_KEYS": json.dumps([old_key]), "PYCOMMERCE_VAR_DIR": str(settings.var_dir),
           "PYCOMMERCE_ENV": "test"}
    try:
        result = subprocess.run([sys.executable, "-m", "kernel.cli", "secrets", "rotate"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "Re-encrypted" in result.stdout and SECRET not in result.stdout + result.stderr
        token = (await raw_settings(factory, store))["api_key"][SECRET_MARK]
        platform_token = (await _platform_settings(factory))["api_key"][SECRET_MARK]
        assert SecretBox(new_key).decrypt(token) == SECRET  # the new key alone reads them
        assert SecretBox(new_key).decrypt(platform_token) == PLATFORM_SECRET
        for stale in (token, platform_token):
            try:
                SecretBox(old_key).decrypt(stale)
                raise AssertionError("still readable with the old key")
            except ValueError:
                pass
    finally:  # the database is shared by the session: put every secret back under the suite's key
        async with cross_store_session(factory.sessionmaker) as session:
            await rotate_secrets(session, SecretBox(old_key, [new_key]))
            await session.execute(delete(PlatformPluginSettings))  # and leave the platform as other tests expect it
    token = (await raw_settings(factory, store))["api_key"][SECRET_MARK]
    assert SecretBox(old_key).decrypt(token) == SECRET


async def _platform_settings(factory) -> dict:
    async with cross_store_session(factory.sessionmaker) as session:
        return (await session.get(PlatformPluginSettings, "greeter")).settings
