"""Per-store plugin settings: the base class plugins subclass, the secret type, and the store's view.

A plugin declares its settings as a pydantic model::

    from plugin_sdk import PluginSettings, Secret

    class Settings(PluginSettings):
        api_url: str = "https://api.example.com"
        api_key: Secret            # encrypted at rest, write-only through the API

and returns the class from ``pyc_plugin_settings``. Hooks that take ``settings``
receive a :class:`StoreSettings`; ``settings.get("<your plugin id>")`` is your
validated model for that store (secrets decrypted, still wrapped in
``SecretStr`` so a stray ``print`` or log line shows ``**********``).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

# Keys that hold secrets even when a plugin forgot to type them as Secret (masked and encrypted too).
SECRET_NAME = re.compile(r"(secret|password|passwd|token|api[_-]?key|private[_-]?key|credential)", re.I)

Secret = Annotated[SecretStr, Field(json_schema_extra={"x-secret": True})]
"""A secret setting (API key, webhook secret): encrypted at rest, masked in every response, never logged."""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


class PluginSettings(BaseModel):
    """Base class of every plugin's settings model: unknown keys and NUL bytes are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_nul_bytes(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("NUL bytes are not allowed in settings")
        return data

    def __repr_args__(self):
        # A secret mistyped as ``str`` (caught by its name) must not show in a repr or a log line either.
        secrets = secret_fields(type(self))
        for key, value in super().__repr_args__():
            if key in secrets and value is not None and not isinstance(value, SecretStr):
                value = "**********"
            yield key, value


def _mentions_secretstr(annotation: Any) -> bool:
    if annotation is SecretStr or (isinstance(annotation, type) and issubclass(annotation, SecretStr)):
        return True
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType, Annotated) or origin is not None:
        return any(_mentions_secretstr(arg) for arg in typing.get_args(annotation))
    return False


def _mentions_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    return any(_mentions_str(arg) for arg in typing.get_args(annotation))


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """Names of the fields treated as secrets: typed ``Secret``/``SecretStr``, or text fields named like one.

    The name rule is a safety net for a plugin that typed ``api_key: str``: the
    value is still encrypted and masked (an ``int`` named ``token_limit`` is not).
    """
    return frozenset(name for name, info in model.model_fields.items()
                     if _mentions_secretstr(info.annotation)
                     or (SECRET_NAME.search(name) and _mentions_str(info.annotation)))


class StoreSettings:
    """The validated settings of every plugin enabled for one store, by plugin id."""

    __slots__ = ("_by_plugin",)

    def __init__(self, by_plugin: Mapping[str, BaseModel] | None = None):
        self._by_plugin = dict(by_plugin or {})

    def get(self, plugin_id: str) -> Any:
        """Your plugin's settings model for this store, or ``None`` (no settings, or not configured validly)."""
        return self._by_plugin.get(plugin_id)

    def __contains__(self, plugin_id: object) -> bool:
        return plugin_id in self._by_plugin

    def __repr__(self) -> str:  # never the values: they may hold secrets
        return f"StoreSettings(plugins={sorted(self._by_plugin)})"
