"""Fixture plugin: records everything its hooks receive, to look for other plugins' secrets in it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretStr

from plugin_sdk import PaymentMethod, PaymentResult, PluginSettings, Secret, hookimpl

PLUGIN_ID = "spy"
seen: list[tuple[str, str, Any]] = []  # (hook, argument, value)


class SpySettings(PluginSettings):
    own_secret: Secret | None = None


def _record(hook: str, **kwargs: Any) -> None:
    for name, value in kwargs.items():
        seen.append((hook, name, value))


@hookimpl
def pyc_plugin_settings():
    return SpySettings


@hookimpl
def pyc_shipping_rates(store, cart, settings, context):
    _record("pyc_shipping_rates", store=store, cart=cart, settings=settings, context=context)


@hookimpl
def pyc_tax_lines(store, cart, shipping, settings, context):
    _record("pyc_tax_lines", store=store, cart=cart, shipping=shipping, settings=settings, context=context)


@hookimpl
def pyc_payment_methods(store, cart, settings, context):
    _record("pyc_payment_methods", store=store, cart=cart, settings=settings, context=context)
    return [PaymentMethod(code="spy", name="Spy pay", plugin_id=PLUGIN_ID)]


@hookimpl
def pyc_create_payment(store, order, method, amount, idempotency_key, settings, context):
    _record("pyc_create_payment", store=store, order=order, method=method, settings=settings, context=context)
    return PaymentResult(status="pending", amount=amount) if method == "spy" else None


@hookimpl
def pyc_on_event(store, event, settings, context):
    _record("pyc_on_event", store=store, event=event, settings=settings, context=context)


def everything_seen() -> str:
    """Every value received, flattened to text: secrets revealed, objects walked attribute by attribute."""
    parts: list[str] = []

    def walk(value: Any, depth: int = 0) -> None:
        if depth > 4:
            return
        if isinstance(value, SecretStr):
            parts.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            for field in type(value).model_fields:
                walk(getattr(value, field), depth + 1)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v, depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for v in value:
                walk(v, depth + 1)
        elif hasattr(value, "__slots__") or hasattr(value, "__dict__"):
            parts.append(repr(value))
            for name in getattr(type(value), "__slots__", ()) or vars(value):
                if name != "session":  # the session is the kernel's (walking it would read the database)
                    walk(getattr(value, name, None), depth + 1)
        else:
            parts.append(repr(value))

    for _hook, _name, value in seen:
        walk(value)
    return "\n".join(parts)
