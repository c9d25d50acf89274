"""Plugin settings at rest: validation, encryption of secret fields, masking, and resolving a store's values.

Stored form (``store_plugins.settings``, ``platform_plugin_settings.settings``): the
model's JSON dump with each secret field replaced by ``{"__secret__": "<Fernet token>"}``.
Self-describing on purpose: ``pycommerce secrets rotate`` re-encrypts every secret
without needing the plugin that declared it.

A store's effective settings are layered, each field from the first layer that sets it:
the store's stored values, the platform's stored values, the environment
(``PYCOMMERCE_PLUGIN_<PLUGIN ID>_<FIELD>``), the model's default. Each stored layer is
first migrated from the ``settings_version`` it was written under.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError
from typing import Annotated

from kernel.config import Settings, get_settings
from kernel.errors import InvalidInput
from kernel.plugins.manager import PyCommercePluginManager
from kernel.security import SecretBox
from plugin_sdk.settings import secret_fields

log = logging.getLogger("pycommerce.plugins")

SECRET_MARK = "__secret__"
MASK = "••••••••"

_box: SecretBox | None = None
_deployment: Settings | None = None


def box_from(settings: Settings) -> SecretBox:
    """The deployment's secret box: encrypts with the current key, decrypts with current or previous."""
    return SecretBox(settings.secret_key.get_secret_value(),
                     [k.get_secret_value() for k in settings.previous_secret_keys])


def use_settings(settings: Settings) -> None:
    """Called by ``create_app``: encrypt plugin secrets with this deployment's key, address its storefronts."""
    global _box, _deployment
    _box = box_from(settings)
    _deployment = settings


def storefront_url(slug: str) -> str:
    """A store's storefront address: ``<slug>.<platform domain>`` (https in production)."""
    settings = _deployment or get_settings()
    if settings.env == "production":
        return f"https://{slug}.{settings.platform_domain}/"
    port = "" if settings.port in (80, 443) else f":{settings.port}"
    return f"http://{slug}.{settings.platform_domain}{port}/"


def secret_box() -> SecretBox:
    global _box
    if _box is None:
        _box = box_from(get_settings())
    return _box


def settings_models(pm: PyCommercePluginManager) -> dict[str, type[BaseModel]]:
    """Each plugin's settings model class (from ``pyc_plugin_settings``), cached per plugin set."""
    cached = getattr(pm, "_pyc_settings_models", None)
    if cached is not None and cached[0] == pm.generation:
        return cached[1]
    models: dict[str, type[BaseModel]] = {}
    for impl in pm.hook.pyc_plugin_settings.get_hookimpls():
        result = impl.function()
        if result is None:
            continue
        if not (isinstance(result, type) and issubclass(result, BaseModel)):
            raise TypeError(f"plugin {impl.plugin_name!r}: pyc_plugin_settings must return a PluginSettings "
                            f"subclass, not {result!r}")
        models[impl.plugin_name] = result
    pm._pyc_settings_models = (pm.generation, models)
    return models


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Field errors without the offending input (it may be a secret)."""
    return [{"loc": ["body", "settings", *[str(p) if not isinstance(p, int) else p for p in e["loc"]]],
             "msg": e["msg"], "type": e["type"]} for e in exc.errors(include_input=False, include_url=False)]


def validate(model: type[BaseModel], values: dict[str, Any]) -> BaseModel:
    """Validate plain values into the plugin's model; 422 with field errors (never the input) otherwise."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput("The plugin settings are not valid.", errors=_field_errors(exc)) from None


def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    info = model.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, info])


def validate_fields(model: type[BaseModel], values: dict[str, Any]) -> dict[str, Any]:
    """Validate each given field on its own (platform settings: the rest may come from each store).

    Unknown fields and invalid values answer 422 with field errors (never the input).
    """
    errors, valid = [], {}
    for name, value in values.items():
        if name not in model.model_fields:
            errors.append({"loc": ["body", "settings", name], "msg": "Extra inputs are not permitted",
                           "type": "extra_forbidden"})
            continue
        try:
            valid[name] = _field_adapter(model, name).validate_python(value)
        except ValidationError as exc:
            errors.extend({"loc": ["body", "settings", name, *e["loc"]], "msg": e["msg"], "type": e["type"]}
                          for e in exc.errors(include_input=False, include_url=False))
    if errors:
        raise InvalidInput("The plugin settings are not valid.", errors=errors)
    return valid


def encode_fields(model: type[BaseModel], values: dict[str, Any], box: SecretBox | None = None) -> dict[str, Any]:
    """The stored form of some fields (validated by :func:`validate_fields`), secrets encrypted."""
    box = box or secret_box()
    secrets = secret_fields(model)
    stored: dict[str, Any] = {}
    for name, value in validate_fields(model, values).items():
        if name in secrets:
            raw = _plain(value)
            stored[name] = None if raw is None else {SECRET_MARK: box.encrypt(str(raw))}
        else:
            stored[name] = _field_adapter(model, name).dump_python(value, mode="json")
    return stored


def changes(model: type[BaseModel] | None, before: dict[str, Any] | None, after: dict[str, Any] | None
            ) -> dict[str, Any]:
    """What an audit entry records of a settings change: ``{"settings": {field: [old, new]}}`` for
    plain fields, and only the names of changed secrets (``"hidden_changed"``), never their values."""
    if model is None:
        return {}
    secrets = secret_fields(model)
    old, new = decode(before), decode(after)
    plain: dict[str, Any] = {}
    hidden: list[str] = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        if name in secrets:
            hidden.append(name)
        else:
            plain[name] = [old.get(name), new.get(name)]
    summary: dict[str, Any] = {}
    if plain:
        summary["settings"] = plain
    if hidden:
        summary["hidden_changed"] = hidden
    return summary


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def encode(model: type[BaseModel], instance: BaseModel, box: SecretBox | None = None) -> dict[str, Any]:
    """The stored form: JSON values with every secret field encrypted."""
    box = box or secret_box()
    secrets = secret_fields(model)
    dumped = instance.model_dump(mode="json", exclude_unset=True)
    for name in dumped:
        if name in secrets:
            raw = _plain(getattr(instance, name))
            dumped[name] = None if raw is None else {SECRET_MARK: box.encrypt(str(raw))}
    return dumped


def decode(stored: dict[str, Any] | None, box: SecretBox | None = None) -> dict[str, Any]:
    """Plain values (secrets decrypted) from the stored form."""
    box = box or secret_box()
    plain: dict[str, Any] = {}
    for key, value in (stored or {}).items():
        if isinstance(value, dict) and set(value) == {SECRET_MARK}:
            value = box.decrypt(value[SECRET_MARK])
        plain[key] = value
    return plain


ENV_PREFIX = "PYCOMMERCE_PLUGIN_"


def env_values(plugin_id: str, model: type[BaseModel], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Platform values from the environment: ``PYCOMMERCE_PLUGIN_<ID>_<FIELD>`` (JSON, or plain text)."""
    environ = os.environ if environ is None else environ
    prefix = f"{ENV_PREFIX}{plugin_id.upper().replace('-', '_').replace('.', '_')}_"
    values: dict[str, Any] = {}
    for name in model.model_fields:
        raw = environ.get(prefix + name.upper())
        if raw is None:
            continue
        try:
            values[name] = json.loads(raw)
        except ValueError:
            values[name] = raw
    return values


def version_of(model: type[BaseModel]) -> int:
    return getattr(model, "settings_version", 1)


def migrated(model: type[BaseModel], values: dict[str, Any], from_version: int) -> dict[str, Any]:
    """Stored values written under ``from_version`` in the model's current form."""
    if from_version >= version_of(model) or not hasattr(model, "migrate_settings"):
        return values
    return dict(model.migrate_settings(dict(values), from_version))


class SettingsProblem(ValueError):
    """A store's stored settings of one plugin no longer validate: the plugin "needs attention" there."""


def _problem_text(exc: ValidationError) -> str:
    """Readable for staff, without the offending input (it may be a secret)."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
                     for e in exc.errors(include_input=False, include_url=False))


def layered(model: type[BaseModel], plugin_id: str, store: dict[str, Any] | None, store_version: int,
            platform: dict[str, Any] | None, platform_version: int) -> dict[str, Any]:
    """Plain values, each field from the store, else the platform, else the environment."""
    values = env_values(plugin_id, model)
    values.update(migrated(model, decode(platform), platform_version))
    values.update(migrated(model, decode(store), store_version))
    return values


def resolve(model: type[BaseModel], plugin_id: str, store: dict[str, Any] | None, store_version: int = 1,
            platform: dict[str, Any] | None = None, platform_version: int = 1) -> BaseModel:
    """The store's validated settings instance.

    :raises SettingsProblem: the layered values do not validate (or a secret cannot be decrypted).
    """
    try:
        return model.model_validate(layered(model, plugin_id, store, store_version, platform, platform_version))
    except ValidationError as exc:
        raise SettingsProblem(_problem_text(exc)) from None
    except ValueError:  # a secret encrypted under a key this deployment no longer has
        raise SettingsProblem("a stored secret cannot be decrypted with this deployment's keys; set it again") \
            from None


def masked(model: type[BaseModel] | None, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the API shows: stored values with every secret replaced by a mask (or ``None`` when unset)."""
    if model is None:
        return None
    secrets = secret_fields(model)
    shown: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if stored is not None and name in stored:
            value = stored[name]
        elif info.is_required():
            value = None
        else:
            default = info.get_default(call_default_factory=True)
            value = _plain(default) if not isinstance(default, BaseModel) else default.model_dump(mode="json")
        if name in secrets or (isinstance(value, dict) and set(value) == {SECRET_MARK}):
            value = MASK if value else None
        shown[name] = value
    return shown


def merge(existing: dict[str, Any], changes: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Apply ``changes`` over ``existing`` plain values; a secret sent back as the mask keeps its value."""
    secrets = secret_fields(model)
    merged = dict(existing)
    for key, value in changes.items():
        if key in secrets and value == MASK:
            continue
        merged[key] = value
    return merged


def settings_schema(model: type[BaseModel] | None) -> dict[str, Any] | None:
    """The JSON schema the admin renders its form from; secret fields are marked write-only passwords."""
    if model is None:
        return None
    schema = model.model_json_schema()
    for name in secret_fields(model):
        prop = schema.get("properties", {}).get(name)
        if prop is not None:
            prop.update({"writeOnly": True, "format": "password", "x-secret": True})
    return schema
