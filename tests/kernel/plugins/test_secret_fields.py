"""Which settings count as secrets: the Secret type, and text fields named like secrets."""

from __future__ import annotations

from pydantic import SecretStr

from kernel.plugins import settings as plugin_settings
from plugin_sdk import PluginSettings, Secret
from plugin_sdk.settings import secret_fields


class Mixed(PluginSettings):
    api_key: Secret
    webhook_secret: Secret | None = None
    password: str = ""  # mistyped as str: still treated as a secret by its name
    token_limit: int = 10  # named like one, but not text
    label: str = "shop"
    raw: SecretStr | None = None


def test_secret_fields_by_type_and_by_name():
    assert secret_fields(Mixed) == {"api_key", "webhook_secret", "password", "raw"}


def test_stored_form_encrypts_each_secret_and_masks_it():
    instance = Mixed(api_key="sk-1", password="hunter2", token_limit=5)
    stored = plugin_settings.encode(Mixed, instance)
    assert set(stored) == {"api_key", "password", "token_limit"}
    assert "sk-1" not in str(stored) and "hunter2" not in str(stored) and stored["token_limit"] == 5
    assert plugin_settings.decode(stored) == {"api_key": "sk-1", "password": "hunter2", "token_limit": 5}
    shown = plugin_settings.masked(Mixed, stored)
    assert shown == {"api_key": plugin_settings.MASK, "webhook_secret": None, "password": plugin_settings.MASK,
                     "token_limit": 5, "label": "shop", "raw": None}
    assert "hunter2" not in repr(plugin_settings.resolve(Mixed, "mixed", stored))
