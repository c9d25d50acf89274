"""Fixture plugin: shipping rates, tax lines and payment starts that work, raise or hang, as its settings say."""

from __future__ import annotations

import asyncio
from typing import Literal

from plugin_sdk import PaymentResult, PluginSettings, ShippingRate, TaxLine, hookimpl

PLUGIN_ID = "unreliable"

Mode = Literal["ok", "raise", "hang"]


class UnreliableSettings(PluginSettings):
    mode: Mode = "ok"
    where: list[Literal["shipping", "tax", "payment"]] = ["shipping", "tax", "payment"]


async def _misbehave(settings: UnreliableSettings, hook: str) -> None:
    if hook not in settings.where:
        return
    if settings.mode == "raise":
        raise RuntimeError("unreliable failed on purpose")
    if settings.mode == "hang":
        await asyncio.sleep(3600)


@hookimpl
def pyc_plugin_settings():
    return UnreliableSettings


@hookimpl
async def pyc_shipping_rates(cart, settings):
    await _misbehave(settings, "shipping")
    return [ShippingRate(code="shaky", name="Shaky post", amount=100, currency=cart.currency, plugin_id=PLUGIN_ID)]


@hookimpl(tryfirst=True)
async def pyc_tax_lines(cart, settings):
    if "tax" not in settings.where:
        return None
    await _misbehave(settings, "tax")
    return [TaxLine(name="Shaky tax", rate_bp=100, amount=cart.subtotal // 100)]


@hookimpl
async def pyc_create_payment(method, amount, settings):
    await _misbehave(settings, "payment")
    return PaymentResult(status="pending", amount=amount)
