"""Plugin settings: the base class plugins subclass and the secret type.

A plugin declares its settings as a pydantic model::

    from plugin_sdk import PluginSettings, Secret

    class Settings(PluginSettings):
        api_url: str = "https://api.example.com"
        api_key: Secret            # encrypted at rest, write-only through the API

and returns the class from ``pyc_plugin_settings``. Hooks that take ``settings``
receive an instance of exactly that class for the store they run in, and nothing of
any other plugin's: secrets decrypted, still wrapped in ``SecretStr`` so a stray
``print`` or log line shows ``**********``.

Each value comes from the store's own settings when set there, else from the
platform's (set by a platform administrator, or the environment variable
``PYCOMMERCE_PLUGIN_<PLUGIN ID>_<FIELD>``), else from the model's default.

Settings carry a version: raise ``settings_version`` when a change of the model
would no longer accept what stores saved, and turn old stored values into new
ones in ``migrate_settings``::

    class Settings(PluginSettings):
        settings_version: ClassVar[int] = 2
        rates: list[int]

        @classmethod
        def migrate_settings(cls, values, from_version):
            if from_version < 2 and "rate" in values:
                values = dict(values)
                values["rates"] = [values.pop("rate")]
            return values
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Union

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

    settings_version: ClassVar[int] = 1
    """The version of this model's stored form; stored values of an older version go through
    :meth:`migrate_settings` before they are validated."""

    @classmethod
    def migrate_settings(cls, values: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Return ``values`` (stored under ``from_version``) in this version's form. Default: unchanged."""
        return values

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
