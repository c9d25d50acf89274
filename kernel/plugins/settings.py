"""Plugin settings at rest: validation, encryption of secret fields, masking, and the store's view.

Stored form (``store_plugins.settings``): the model's JSON dump with each secret
field replaced by ``{"__secret__": "<Fernet token>"}``. Self-describing on
purpose: ``pycommerce secrets rotate`` re-encrypts every secret without needing
the plugin that declared it.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from kernel.config import Settings, get_settings
from kernel.errors import InvalidInput
from kernel.plugins.manager import PyCommercePluginManager
from kernel.security import SecretBox
from plugin_sdk.settings import secret_fields

log = logging.getLogger("pycommerce.plugins")

SECRET_MARK = "__secret__"
MASK = "••••••••"

_box: SecretBox | None = None


def box_from(settings: Settings) -> SecretBox:
    """The deployment's secret box: encrypts with the current key, decrypts with current or previous."""
    return SecretBox(settings.secret_key.get_secret_value(),
                     [k.get_secret_value() for k in settings.previous_secret_keys])


def use_settings(settings: Settings) -> None:
    """Called by ``create_app``: encrypt plugin secrets with this deployment's key."""
    global _box
    _box = box_from(settings)


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


def load(model: type[BaseModel], stored: dict[str, Any] | None, *, plugin_id: str = "?",
         store_id: int | None = None) -> BaseModel | None:
    """The validated settings instance, or ``None`` when the stored values no longer validate."""
    try:
        return model.model_validate(decode(stored))
    except (ValidationError, ValueError) as exc:
        kinds = sorted({e["type"] for e in exc.errors()}) if isinstance(exc, ValidationError) else ["decrypt"]
        log.warning("stored settings of plugin %s for store %s are not valid (%s); the plugin sees None",
                    plugin_id, store_id, ", ".join(kinds), extra={"plugin": plugin_id, "store_id": store_id})
        return None


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
